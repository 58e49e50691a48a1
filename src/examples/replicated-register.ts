/**
 * Replicated register: three replicas and clients, quorum 2. A client proposes a value at a
 * version to every replica, commits it once a quorum accepted it, and retries lost messages.
 * Replicas reject a conflicting value at a version they already accepted. A read asks every
 * replica for the newest value it holds, takes the newest of a quorum's answers and writes it
 * back to a quorum before returning it (as in ABD), so a read never returns something older than
 * a write or read that finished before it began. Checks: replicas that committed a version agree
 * on its value, every committed value was accepted by a quorum, and (for the cases with reads)
 * the history of writes and reads is linearizable. Not a real consensus protocol: a small,
 * concrete cluster model for the network APIs.
 */
import {
  defineCase,
  createHistory,
  linearizable,
  models,
  type CasRegisterInput,
  type Endpoint,
  type Env,
  type History,
  type Simulation,
  type World,
  BuggifyRate,
} from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

/** Messages of the register protocol. */
export type RegisterMessage =
  | { readonly kind: 'propose'; readonly version: number; readonly value: string }
  | { readonly kind: 'accepted'; readonly version: number; readonly value: string }
  | { readonly kind: 'rejected'; readonly version: number; readonly value: string; readonly reason: 'conflict' | 'stale' }
  | { readonly kind: 'commit'; readonly version: number; readonly value: string }
  | { readonly kind: 'query'; readonly request: number }
  | { readonly kind: 'current'; readonly request: number; readonly entry: Versioned | null };

/** A value at a version. */
export interface Versioned {
  readonly version: number;
  readonly value: string;
}

/** Options of {@link Replica}. */
export interface ReplicaOptions {
  /** The bug: commit a value as soon as it is accepted, without waiting for the client's quorum commit. */
  readonly commitOnAccept: boolean;
  /** How long a replica sleeps when nothing is pending, in ns. */
  readonly pollNs: number;
}

/** A production-shaped replica: it only sees its `Env` and its `Endpoint`. */
export class Replica {
  accepted: Versioned | undefined;
  committed: Versioned | undefined;
  /** Every value this replica ever accepted, by version (it accepts at most one per version). */
  readonly acceptedByVersion = new Map<number, string>();

  constructor(
    private readonly env: Env,
    private readonly endpoint: Endpoint<RegisterMessage>,
    private readonly options: ReplicaOptions,
  ) {}

  get id(): number {
    return this.endpoint.node;
  }

  /** Serves messages until `stopped()` says so. */
  async serve(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const envelope = await this.endpoint.receive();
      if (envelope === null) await this.env.clock.sleep(this.options.pollNs);
      else this.handle(envelope.from, envelope.message);
    }
  }

  /** Handles one message. */
  handle(from: number, message: RegisterMessage): void {
    if (message.kind === 'propose') this.propose(from, message);
    else if (message.kind === 'commit') this.commit(message);
    // A query is answered from this replica's own copy; the client decides how far to trust it.
    else if (message.kind === 'query') this.endpoint.send(from, { kind: 'current', request: message.request, entry: this.latest ?? null });
  }

  /** The newest value this replica knows of: the one it accepted last, or a newer one it learned was committed. */
  get latest(): Versioned | undefined {
    const { accepted, committed } = this;
    if (accepted === undefined || (committed !== undefined && committed.version > accepted.version)) return committed;
    return accepted;
  }

  /** Accepts `version` unless it is older than, or conflicts with, what this replica accepted. */
  private propose(from: number, { version, value }: Versioned): void {
    const current = this.accepted;
    const conflict = current !== undefined && current.version === version && current.value !== value;
    const stale = current !== undefined && current.version > version;
    if (stale || conflict) {
      const reason = stale ? 'stale' : 'conflict';
      this.env.record('register.reject', { replica: this.id, version, value, reason });
      this.endpoint.send(from, { kind: 'rejected', version, value, reason });
      return;
    }
    this.accepted = { version, value };
    this.acceptedByVersion.set(version, value);
    this.env.record('register.accept', { replica: this.id, version, value });
    if (this.options.commitOnAccept) this.commit({ version, value });
    this.endpoint.send(from, { kind: 'accepted', version, value });
  }

  private commit({ version, value }: Versioned): void {
    if (this.committed !== undefined && this.committed.version > version) return;
    this.committed = { version, value };
    this.env.record('register.commit', { replica: this.id, version, value });
  }
}

/** Options of {@link RegisterClient}. */
export interface ClientOptions {
  readonly replicas: readonly number[];
  /** Resend a request to replicas that have not answered after this long, in ns. */
  readonly retryNs: number;
  /** Give up after this many rounds. */
  readonly maxRounds: number;
  readonly pollNs: number;
  /**
   * The bug: answer a read from the first replica that replies, with its own copy, skipping the
   * quorum and the write-back. That copy may miss a write a quorum already accepted, or hold one
   * the other replicas have not seen yet.
   */
  readonly staleReads?: boolean;
}

/** What a read found: the register's value (`null` before any write), or `ok: false` when it gave up. */
export type ReadResult = { readonly ok: true; readonly value: string | null } | { readonly ok: false };

/** How a client judges a reply: it agrees, it answers but does not agree, or it belongs to another request. */
type Verdict = 'agree' | 'disagree' | undefined;

/** A client that writes a value with quorum 2 and commits it, and reads the newest value a quorum holds. */
export class RegisterClient {
  private requests = 0;

  constructor(
    private readonly env: Env,
    private readonly endpoint: Endpoint<RegisterMessage>,
    private readonly options: ClientOptions,
  ) {}

  /** This client's node id. */
  get id(): number {
    return this.endpoint.node;
  }

  private get quorum(): number {
    return Math.floor(this.options.replicas.length / 2) + 1;
  }

  /**
   * Proposes `value` at `version`; commits and returns true once a quorum accepted it. The loop is
   * {@link exchange}'s, written out: the extra `await` of a call would move this client's steps
   * against the replicas' and change the traces recorded before reads existed.
   */
  async write(version: number, value: string, targets: readonly number[] = this.options.replicas): Promise<boolean> {
    const quorum = this.quorum;
    const accepted = new Set<number>();
    const answered = new Set<number>();
    for (let round = 0; round < this.options.maxRounds && accepted.size < quorum; round++) {
      for (const replica of targets) if (!answered.has(replica)) this.endpoint.send(replica, { kind: 'propose', version, value });
      const deadline = this.env.clock.now() + this.options.retryNs;
      while (accepted.size < quorum && answered.size < targets.length && this.env.clock.now() < deadline) {
        const envelope = await this.endpoint.receive();
        if (envelope === null) {
          await this.env.clock.sleep(this.options.pollNs);
          continue;
        }
        const reply = envelope.message;
        if ((reply.kind !== 'accepted' && reply.kind !== 'rejected') || reply.version !== version || reply.value !== value) continue;
        if (reply.kind === 'accepted') accepted.add(envelope.from);
        answered.add(envelope.from);
      }
      if (answered.size === targets.length && accepted.size < quorum) break;
    }
    const ok = accepted.size >= quorum;
    this.env.record('register.write', { client: this.endpoint.node, version, value, accepts: accepted.size, committed: ok });
    if (ok) for (const replica of this.options.replicas) this.endpoint.send(replica, { kind: 'commit', version, value });
    return ok;
  }

  /**
   * Reads the register: the newest value among a quorum's answers, once a quorum holds it. Any
   * later read asks a quorum too, and two quorums share a replica, so it cannot see older.
   */
  async read(): Promise<ReadResult> {
    const request = this.requests++;
    const staleReads = this.options.staleReads === true;
    const needed = staleReads ? 1 : this.quorum;
    const answers = await this.query(request, needed);
    const newest = answers.reduce<Versioned | null>((a, b) => (b !== null && (a === null || b.version > a.version) ? b : a), null);
    // Nothing to write back for a register nobody wrote; the buggy read returns its one copy as is.
    const ok = answers.length >= needed && (staleReads || newest === null || (await this.writeBack(newest)));
    const found = newest ?? { version: 0 }; // version 0: never written
    this.env.record('register.read', { client: this.endpoint.node, request, answers: answers.length, ok, ...found });
    return ok ? { ok: true, value: newest?.value ?? null } : { ok: false };
  }

  /** Asks every replica for the newest value it holds until `needed` answered; returns their answers. */
  private async query(request: number, needed: number): Promise<(Versioned | null)[]> {
    const answers = new Map<number, Versioned | null>();
    await this.exchange({ kind: 'query', request }, this.options.replicas, needed, (reply, from) => {
      // Only answers to this request: an older one may predate a write that finished before this read began.
      if (reply.kind !== 'current' || reply.request !== request) return undefined;
      answers.set(from, reply.entry);
      return 'agree';
    });
    return [...answers.values()];
  }

  /**
   * Makes sure a quorum holds `entry` or something newer before a read returns it: a value one
   * replica has may be one only it has, and a later read could miss it. A replica that rejects
   * it as stale already holds a newer version; an `accepted` left over from an earlier request
   * still counts, because a replica's accepted version never goes back.
   */
  private async writeBack({ version, value }: Versioned): Promise<boolean> {
    const holders = await this.exchange({ kind: 'propose', version, value }, this.options.replicas, this.quorum, (reply) => {
      if ((reply.kind !== 'accepted' && reply.kind !== 'rejected') || reply.version !== version || reply.value !== value) return undefined;
      return reply.kind === 'accepted' || reply.reason === 'stale' ? 'agree' : 'disagree';
    });
    return holders.size >= this.quorum;
  }

  /**
   * Sends `request` to every target that has not answered it yet, once a round, and judges each
   * reply until `needed` targets agreed, every target answered, or the rounds ran out. Returns
   * the targets that agreed.
   */
  private async exchange(request: RegisterMessage, targets: readonly number[], needed: number, judge: (reply: RegisterMessage, from: number) => Verdict): Promise<Set<number>> {
    const agreed = new Set<number>();
    const answered = new Set<number>();
    for (let round = 0; round < this.options.maxRounds && agreed.size < needed; round++) {
      for (const replica of targets) if (!answered.has(replica)) this.endpoint.send(replica, request);
      const deadline = this.env.clock.now() + this.options.retryNs;
      while (agreed.size < needed && answered.size < targets.length && this.env.clock.now() < deadline) {
        const envelope = await this.endpoint.receive();
        if (envelope === null) {
          await this.env.clock.sleep(this.options.pollNs);
          continue;
        }
        const verdict = judge(envelope.message, envelope.from);
        if (verdict === 'agree') agreed.add(envelope.from);
        if (verdict !== undefined) answered.add(envelope.from);
      }
      if (answered.size === targets.length && agreed.size < needed) break;
    }
    return agreed;
  }
}

const REPLICAS = [0, 1, 2] as const;
const CLIENT_A = 3;
const CLIENT_B = 4;

interface RegisterState {
  readonly sim: Simulation;
  readonly replicas: Replica[];
  readonly clients: RegisterClient[];
  readonly tickNs: number;
  /** The writes and reads of the cases that check linearizability. */
  readonly history: History<CasRegisterInput<string>, unknown>;
}

/** How the replicas and clients of a cluster behave. */
interface ClusterOptions {
  readonly commitOnAccept?: boolean;
  readonly staleReads?: boolean;
}

function buildCluster(world: World, { commitOnAccept = false, staleReads = false }: ClusterOptions = {}): RegisterState {
  const sim = world.simulate({ network: { nodes: 5, serviceNodes: REPLICAS.length, pathCapacity: 64 } });
  const tickNs = world.tickNs;
  const replicas = REPLICAS.map((id) => new Replica(sim.env, sim.endpoint<RegisterMessage>(id), { commitOnAccept, pollNs: tickNs }));
  const clientOptions = { replicas: REPLICAS, retryNs: 20 * tickNs, maxRounds: 10, pollNs: tickNs, staleReads };
  const clients = [CLIENT_A, CLIENT_B].map((id) => new RegisterClient(sim.env, sim.endpoint<RegisterMessage>(id), clientOptions));
  return { sim, replicas, clients, tickNs, history: createHistory(sim.env) };
}

/** Runs `work` while every replica serves, then lets in-flight commits land for `drainTicks` ticks. */
async function withCluster(state: RegisterState, work: () => Promise<void>, drainTicks = 30): Promise<void> {
  let stopped = false;
  const serving = state.replicas.map((replica) => replica.serve(() => stopped));
  await work();
  await state.sim.control.runFor(drainTicks * state.tickNs);
  stopped = true;
  await Promise.all(serving);
}

const checks = [
  {
    name: 'committed replicas agree',
    check({ sim, replicas }: RegisterState) {
      // Replicas may be at different versions (a commit message can be lost), never at different values of one version.
      const valuesByVersion = new Map<number, Set<string>>();
      for (const { committed } of replicas) {
        if (committed === undefined) continue;
        const values = valuesByVersion.get(committed.version) ?? new Set<string>();
        valuesByVersion.set(committed.version, values.add(committed.value));
      }
      const divergent = [...valuesByVersion].filter(([, values]) => values.size > 1).flatMap(([version, values]) => [...values].map((value) => `${version}:${value}`));
      if (divergent.length > 0) {
        sim.env.record('register.invariant_violation', { reason: 'divergent_commits', values: divergent.sort().join(',') });
        throw new InvariantViolation(`replicas committed different values: ${divergent.join(', ')}`);
      }
    },
  },
  {
    name: 'committed values were accepted by a quorum',
    check({ sim, replicas }: RegisterState) {
      for (const replica of replicas) {
        const entry = replica.committed;
        if (entry === undefined) continue;
        const accepts = replicas.filter((r) => r.acceptedByVersion.get(entry.version) === entry.value).length;
        if (accepts < 2) {
          sim.env.record('register.invariant_violation', { reason: 'commit_without_quorum', replica: replica.id, accepts });
          throw new InvariantViolation(`replica ${replica.id} committed ${entry.value} accepted by only ${accepts} replica(s)`);
        }
      }
    },
  },
];

/** The history check of the cases with reads: writes and reads behave like one register. */
const linearizableRegister = linearizable(models.casRegister<string>(), (state: RegisterState) => state.history);

/** A write recorded in the history: one that got no quorum may still have reached some replicas, so its outcome is unknown. */
async function recordedWrite({ history }: RegisterState, client: RegisterClient, version: number, value: string): Promise<void> {
  const op = history.invoke(client.id, { op: 'write', value });
  if (await client.write(version, value)) op.ok('ok');
  else op.info();
}

/** A read recorded in the history: one that gave up changed nothing the register holds, so it is dropped. */
async function recordedRead({ history }: RegisterState, client: RegisterClient): Promise<void> {
  const op = history.invoke(client.id, { op: 'read' });
  const result = await client.read();
  if (result.ok) op.ok(result.value);
  else op.fail();
}

const WRITES = ['x', 'y', 'z'];
const READS = 8;

/**
 * Client A writes x, y and z at versions 1 to 3 and reads after each write; meanwhile client B
 * reads every couple of ticks. One writer keeps versions unique, so a read never meets two values
 * at one version.
 */
async function writeAndRead(state: RegisterState): Promise<void> {
  const [writer, reader] = state.clients as [RegisterClient, RegisterClient];
  const writing = async () => {
    for (const [i, value] of WRITES.entries()) {
      await recordedWrite(state, writer, i + 1, value);
      await recordedRead(state, writer);
    }
  };
  const reading = async () => {
    for (let i = 0; i < READS; i++) {
      await recordedRead(state, reader);
      await state.sim.env.clock.sleep(2 * state.tickNs);
    }
  };
  await Promise.all([writing(), reading()]);
}

/** Seeded drops and latency; writes that retry until a quorum accepts them, and quorum reads, recorded and checked for linearizability. */
export const replicatedRegister = defineCase<RegisterState>({
  name: 'replicated-register',
  description: 'three replicas, quorum 2, seeded drops and latency; committed replicas agree, reads and writes linearizable',
  tags: ['example:replicated_register'],
  init: (world) => buildCluster(world),
  async scenario(state) {
    const { control } = state.sim;
    await control.network.setLossiness({ dropRate: BuggifyRate.percent(10) });
    await control.network.setLatency({ minLatencyNs: state.tickNs, latencyJitterNs: 4 * state.tickNs });
    await withCluster(state, () => writeAndRead(state));
  },
  checks: [...checks, linearizableRegister],
});

/** A partition isolates replica 2; after healing, replaying the same value lets replica 2 commit too. */
export const replicatedRegisterPartition = defineCase<RegisterState>({
  name: 'replicated-register-partition',
  description: 'partition isolates one replica, heal, replay the value: all three commit',
  tags: ['example:replicated_register'],
  init: (world) => buildCluster(world),
  async scenario(state) {
    const { control } = state.sim;
    await control.network.partition([2], [0, 1, CLIENT_A, CLIENT_B]);
    await withCluster(state, async () => {
      await state.clients[0]!.write(1, 'x');
      await control.runFor(10 * state.tickNs);
      await control.network.heal();
      await state.clients[0]!.write(1, 'x');
    });
  },
  checks: [
    ...checks,
    {
      name: 'every replica committed after the heal',
      check({ sim, replicas }) {
        const missing = replicas.filter((r) => r.committed?.value !== 'x').map((r) => r.id);
        if (missing.length > 0) {
          sim.env.record('register.invariant_violation', { reason: 'not_committed', replicas: missing.join(',') });
          throw new InvariantViolation(`replicas ${missing.join(', ')} did not commit x`);
        }
      },
    },
  ],
});

/** Two values at the same version: replicas keep the first and reject the second as a conflict. */
export const replicatedRegisterConflict = defineCase<RegisterState>({
  name: 'replicated-register-conflict',
  description: 'a second value at the same version is rejected, not overwritten',
  tags: ['example:replicated_register'],
  init: (world) => buildCluster(world),
  async scenario(state) {
    await withCluster(state, async () => {
      await state.clients[0]!.write(1, 'first');
      const second = await state.clients[1]!.write(1, 'second');
      state.sim.env.record('register.conflict_write', { committed: second });
    });
  },
  checks: [
    ...checks,
    {
      name: 'the first value is kept',
      check({ sim, replicas }) {
        const wrong = replicas.filter((r) => r.accepted?.value !== 'first' || r.committed?.value !== 'first').map((r) => r.id);
        if (wrong.length > 0) {
          sim.env.record('register.invariant_violation', { reason: 'conflict_overwrote', replicas: wrong.join(',') });
          throw new InvariantViolation(`replicas ${wrong.join(', ')} lost the first value`);
        }
      },
    },
  ],
});

/** Two clients on opposite sides of a partition; replicas that commit on accept diverge. */
export const replicatedRegisterBug = defineCase<RegisterState>({
  name: 'replicated-register-bug',
  description: 'replicas commit on accept; two sides of a partition commit different values',
  tags: ['example:replicated_register'],
  init: (world) => buildCluster(world, { commitOnAccept: true }),
  async scenario(state) {
    const { control } = state.sim;
    await control.network.partition([0, 1, CLIENT_A], [2, CLIENT_B]);
    await withCluster(state, async () => {
      await Promise.all([state.clients[0]!.write(1, 'a'), state.clients[1]!.write(1, 'b')]);
    });
  },
  checks,
});

function concurrentWritersCase(name: string, commitOnAccept: boolean) {
  return defineCase<RegisterState>({
    name,
    description: commitOnAccept
      ? 'replicas commit on accept; two concurrent writers diverge only when the profile reorders messages'
      : 'two concurrent writers under the profile network faults',
    tags: ['example:replicated_register', 'probabilistic'],
    init: (world) => buildCluster(world, { commitOnAccept }),
    async scenario(state) {
      await withCluster(state, async () => {
        await Promise.all([state.clients[0]!.write(1, 'a'), state.clients[1]!.write(1, 'b')]);
      }, 60);
    },
    checks,
  });
}

/** Correct replicas, two concurrent writers, faults from the profile. */
export const replicatedRegisterSwarm = concurrentWritersCase('replicated-register-swarm', false);
/**
 * Buggy replicas (commit on accept), two concurrent writers: with the fixed latency of `none`
 * every replica sees the same proposal first and they agree; jitter, clogs or loss from a `swarm`
 * profile reorder proposals and the replicas diverge.
 */
export const replicatedRegisterSwarmBug = concurrentWritersCase('replicated-register-swarm-bug', true);

function writeAndReadCase(name: string, staleReads: boolean) {
  return defineCase<RegisterState>({
    name,
    description: staleReads
      ? 'reads answered by one replica from its own copy; only the linearizability check sees stale reads, when the profile delays or drops messages'
      : 'one writer, reads from both clients, quorum reads with write-back under the profile network faults; linearizable',
    tags: ['example:replicated_register', 'probabilistic'],
    init: (world) => buildCluster(world, { staleReads }),
    scenario: (state) => withCluster(state, () => writeAndRead(state), 60),
    // The linearizability check comes last: a run it fails passed the others.
    checks: [...checks, linearizableRegister],
  });
}

/** Quorum reads with write-back, one writer, faults from the profile: every history is linearizable. */
export const replicatedRegisterReads = writeAndReadCase('replicated-register-reads', false);
/**
 * The same with reads answered by the first replica to reply, from its own copy. With the fixed
 * latency of `none` every replica accepts a write at the same tick and no read sees a stale
 * copy; jitter, clogs or loss from a `swarm` profile leave one replica behind (or ahead), and a
 * read returns an older value than a finished write or read already showed. Nothing but the
 * history shows it: no replica stores anything wrong.
 */
export const replicatedRegisterStaleReadBug = writeAndReadCase('replicated-register-stale-read-bug', true);
