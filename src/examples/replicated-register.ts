/**
 * Replicated register: three replicas and clients, quorum 2. A client proposes a value at a
 * version to every replica, commits it once a quorum accepted it, and retries lost messages.
 * Replicas reject a conflicting value at a version they already accepted. Checks: committed
 * replicas agree, and every committed value was accepted by a quorum. Not a real consensus
 * protocol: a small, concrete cluster model for the network APIs.
 */
import { defineCase, type Endpoint, type Env, type Simulation, type World, BuggifyRate } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

/** Messages of the register protocol. */
export type RegisterMessage =
  | { readonly kind: 'propose'; readonly version: number; readonly value: string }
  | { readonly kind: 'accepted'; readonly version: number; readonly value: string }
  | { readonly kind: 'rejected'; readonly version: number; readonly value: string; readonly reason: 'conflict' | 'stale' }
  | { readonly kind: 'commit'; readonly version: number; readonly value: string };

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
    const { version, value } = message;
    if (message.kind === 'propose') {
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
      this.env.record('register.accept', { replica: this.id, version, value });
      if (this.options.commitOnAccept) this.commit({ version, value });
      this.endpoint.send(from, { kind: 'accepted', version, value });
    } else if (message.kind === 'commit') {
      this.commit({ version, value });
    }
  }

  private commit(entry: Versioned): void {
    if (this.committed !== undefined && this.committed.version > entry.version) return;
    this.committed = entry;
    this.env.record('register.commit', { replica: this.id, version: entry.version, value: entry.value });
  }
}

/** Options of {@link RegisterClient}. */
export interface ClientOptions {
  readonly replicas: readonly number[];
  /** Resend the proposal to replicas that have not answered after this long, in ns. */
  readonly retryNs: number;
  /** Give up after this many rounds. */
  readonly maxRounds: number;
  readonly pollNs: number;
}

/** A client that writes a value with quorum 2 and commits it. */
export class RegisterClient {
  constructor(
    private readonly env: Env,
    private readonly endpoint: Endpoint<RegisterMessage>,
    private readonly options: ClientOptions,
  ) {}

  /** Proposes `value` at `version`; commits and returns true once a quorum accepted it. */
  async write(version: number, value: string, targets: readonly number[] = this.options.replicas): Promise<boolean> {
    const quorum = Math.floor(this.options.replicas.length / 2) + 1;
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
        if (reply.version !== version || reply.value !== value) continue;
        if (reply.kind === 'accepted') accepted.add(envelope.from);
        if (reply.kind === 'accepted' || reply.kind === 'rejected') answered.add(envelope.from);
      }
      if (answered.size === targets.length && accepted.size < quorum) break;
    }
    const ok = accepted.size >= quorum;
    this.env.record('register.write', { client: this.endpoint.node, version, value, accepts: accepted.size, committed: ok });
    if (ok) for (const replica of this.options.replicas) this.endpoint.send(replica, { kind: 'commit', version, value });
    return ok;
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
}

function buildCluster(world: World, commitOnAccept: boolean): RegisterState {
  const sim = world.simulate({ network: { nodes: 5, serviceNodes: REPLICAS.length, pathCapacity: 64 } });
  const tickNs = world.tickNs;
  const replicas = REPLICAS.map((id) => new Replica(sim.env, sim.endpoint<RegisterMessage>(id), { commitOnAccept, pollNs: tickNs }));
  const clientOptions = { replicas: REPLICAS, retryNs: 20 * tickNs, maxRounds: 10, pollNs: tickNs };
  const clients = [CLIENT_A, CLIENT_B].map((id) => new RegisterClient(sim.env, sim.endpoint<RegisterMessage>(id), clientOptions));
  return { sim, replicas, clients, tickNs };
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
      const committed = replicas.filter((r) => r.committed !== undefined);
      const values = new Set(committed.map((r) => `${r.committed!.version}:${r.committed!.value}`));
      if (values.size > 1) {
        sim.env.record('register.invariant_violation', { reason: 'divergent_commits', values: [...values].sort().join(',') });
        throw new InvariantViolation(`replicas committed different values: ${[...values].sort().join(', ')}`);
      }
    },
  },
  {
    name: 'committed values were accepted by a quorum',
    check({ sim, replicas }: RegisterState) {
      for (const replica of replicas) {
        const entry = replica.committed;
        if (entry === undefined) continue;
        const accepts = replicas.filter((r) => r.accepted?.version === entry.version && r.accepted.value === entry.value).length;
        if (accepts < 2) {
          sim.env.record('register.invariant_violation', { reason: 'commit_without_quorum', replica: replica.id, accepts });
          throw new InvariantViolation(`replica ${replica.id} committed ${entry.value} accepted by only ${accepts} replica(s)`);
        }
      }
    },
  },
];

/** Seeded drops and latency, one write that retries until a quorum accepts it. */
export const replicatedRegister = defineCase<RegisterState>({
  name: 'replicated-register',
  description: 'three replicas, quorum 2, seeded drops and latency; committed replicas agree',
  tags: ['example:replicated_register'],
  init: (world) => buildCluster(world, false),
  async scenario(state) {
    const { control } = state.sim;
    await control.network.setLossiness({ dropRate: BuggifyRate.percent(10) });
    await control.network.setLatency({ minLatencyNs: state.tickNs, latencyJitterNs: 4 * state.tickNs });
    await withCluster(state, async () => {
      await state.clients[0]!.write(1, 'x');
    });
  },
  checks,
});

/** A partition isolates replica 2; after healing, replaying the same value lets replica 2 commit too. */
export const replicatedRegisterPartition = defineCase<RegisterState>({
  name: 'replicated-register-partition',
  description: 'partition isolates one replica, heal, replay the value: all three commit',
  tags: ['example:replicated_register'],
  init: (world) => buildCluster(world, false),
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
  init: (world) => buildCluster(world, false),
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
  init: (world) => buildCluster(world, true),
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
    init: (world) => buildCluster(world, commitOnAccept),
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
