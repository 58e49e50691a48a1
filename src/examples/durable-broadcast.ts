/**
 * Durable broadcast: a primary writes one operation to its WAL, syncs it, broadcasts it to three
 * replicas and reports it committed once a quorum acknowledged it. Invariant across disk and
 * network: an operation a quorum acknowledged must be recoverable from the primary's durable WAL
 * after a crash, and every replica's accepted operation must match it. The buggy primary
 * broadcasts before syncing, so a crash can lose an operation the cluster already acknowledged.
 */
import { BuggifyRate, DiskCrashed, defineCase, type Endpoint, type Env, type Simulation, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';
import { retryIo } from './_shared/retry-io.js';
import { decodeRecord, encodeRecord, recordBytes } from './_shared/wal-record.js';

const MAGIC = 0x44425731; // "DBW1"
const WAL_PATH = 'durable_broadcast.wal';
const RECORD_BYTES = recordBytes(4); // magic, op, value, 2 reserved words, checksum = 24 bytes
const PRIMARY = 0;
const REPLICAS = [1, 2, 3] as const;
const QUORUM = 2;

/** Messages between primary and replicas. */
export type BroadcastMessage =
  | { readonly kind: 'operation'; readonly op: number; readonly value: number }
  | { readonly kind: 'ack'; readonly op: number };

/** An operation. */
export interface Operation {
  readonly op: number;
  readonly value: number;
}

/** A replica that accepts operations and acknowledges them. */
export class BroadcastReplica {
  accepted: Operation | undefined;

  constructor(
    private readonly env: Env,
    private readonly endpoint: Endpoint<BroadcastMessage>,
  ) {}

  /** Handles every message pending for this replica. */
  async drain(): Promise<void> {
    for (let envelope = await this.endpoint.receive(); envelope !== null; envelope = await this.endpoint.receive()) {
      const message = envelope.message;
      if (message.kind !== 'operation') continue;
      this.accepted = { op: message.op, value: message.value };
      this.env.record('durable.replica.accept', { replica: this.endpoint.node, op: message.op, value: message.value });
      this.endpoint.send(envelope.from, { kind: 'ack', op: message.op });
    }
  }
}

/** Options of {@link Primary}. */
export interface PrimaryOptions {
  /** The bug: broadcast (and report the quorum) before the WAL write is synced. */
  readonly broadcastBeforeSync: boolean;
}

/** How the harness takes part in one replication. */
export interface ReplicationHooks {
  /** Waits until the broadcast has been delivered to the replicas and answered. */
  readonly deliver: () => Promise<unknown>;
  /** Called the moment a quorum acknowledged the operation (the client is told it committed). */
  readonly onQuorum?: (acks: number) => unknown;
}

/** The primary: WAL on `env.disk`, broadcast over its endpoint. */
export class Primary {
  constructor(
    private readonly env: Env,
    private readonly endpoint: Endpoint<BroadcastMessage>,
    private readonly options: PrimaryOptions,
  ) {}

  /**
   * Replicates one operation: WAL write, sync, broadcast, quorum (the buggy primary syncs after
   * the quorum instead). Returns the number of acknowledgements, 0 without a quorum.
   */
  async replicate(operation: Operation, hooks: ReplicationHooks): Promise<number> {
    const bytes = encodeRecord(MAGIC, [operation.op, operation.value, 0, 0]);
    await retryIo(this.env, () => this.env.disk.write({ path: WAL_PATH, offset: 0, bytes }));
    if (!this.options.broadcastBeforeSync) await this.sync(operation);
    for (const replica of REPLICAS) this.endpoint.send(replica, { kind: 'operation', ...operation });
    await hooks.deliver();
    let acks = 0;
    for (let envelope = await this.endpoint.receive(); envelope !== null; envelope = await this.endpoint.receive()) {
      if (envelope.message.kind === 'ack' && envelope.message.op === operation.op) acks++;
    }
    if (acks < QUORUM) {
      this.env.record('durable.broadcast.no_quorum', { op: operation.op, acks });
      return 0;
    }
    this.env.record('durable.broadcast.quorum', { op: operation.op, value: operation.value, acks });
    await hooks.onQuorum?.(acks);
    if (this.options.broadcastBeforeSync) await this.sync(operation);
    return acks;
  }

  /** Recovers the WAL's operation after a restart (re-reading an invalid record, as a read can be corrupted in flight). */
  async recover(): Promise<Operation | undefined> {
    const read = () => retryIo(this.env, () => this.env.disk.read({ path: WAL_PATH, offset: 0, length: RECORD_BYTES }));
    let decoded = decodeRecord(await read(), MAGIC, 4);
    for (let reread = 0; decoded.status !== 'ok' && reread < 3; reread++) decoded = decodeRecord(await read(), MAGIC, 4);
    const operation = decoded.status === 'ok' ? { op: decoded.fields[0]!, value: decoded.fields[1]! } : undefined;
    this.env.record('durable.recover', { status: decoded.status, op: operation?.op ?? 0, value: operation?.value ?? 0 });
    return operation;
  }

  private async sync(operation: Operation): Promise<void> {
    await this.env.disk.sync({ path: WAL_PATH });
    this.env.record('durable.wal.synced', { op: operation.op });
  }
}

/** Swallows the `DiskCrashed` of an operation the crash interrupted; anything else is a real error. */
function interruptedByCrash(error: unknown): void {
  if (!(error instanceof DiskCrashed)) throw error;
}

interface BroadcastState {
  readonly sim: Simulation;
  readonly primary: Primary;
  readonly replicas: BroadcastReplica[];
  acknowledged: Operation | undefined;
  recovered: Operation | undefined;
}

function build(broadcastBeforeSync: boolean, diskLatencyNs: number) {
  return (world: World): BroadcastState => {
    const sim = world.simulate({
      network: { nodes: 4, pathCapacity: 16 },
      disk: { sectorSize: 8, minLatencyNs: diskLatencyNs, latencyJitterNs: diskLatencyNs },
    });
    const replicas = REPLICAS.map((id) => new BroadcastReplica(sim.env, sim.endpoint<BroadcastMessage>(id)));
    const primary = new Primary(sim.env, sim.endpoint<BroadcastMessage>(PRIMARY), { broadcastBeforeSync });
    return { sim, primary, replicas, acknowledged: undefined, recovered: undefined };
  };
}

const checks = [
  {
    name: 'quorum acknowledged => durable',
    check({ sim, acknowledged, recovered }: BroadcastState) {
      if (acknowledged !== undefined && (recovered?.op !== acknowledged.op || recovered.value !== acknowledged.value)) {
        sim.env.record('durable.invariant_violation', { reason: 'quorum_without_durable', op: acknowledged.op });
        throw new InvariantViolation(`op ${acknowledged.op} was acknowledged by a quorum but is not in the durable WAL`);
      }
    },
  },
  {
    name: 'accepted operations match the durable operation',
    check({ sim, replicas, recovered }: BroadcastState) {
      for (const replica of replicas) {
        const accepted = replica.accepted;
        if (accepted !== undefined && recovered !== undefined && (accepted.op !== recovered.op || accepted.value !== recovered.value)) {
          sim.env.record('durable.invariant_violation', { reason: 'replica_diverged', op: accepted.op });
          throw new InvariantViolation(`a replica accepted op ${accepted.op}=${accepted.value}, the WAL holds ${recovered.op}=${recovered.value}`);
        }
      }
    },
  },
];

/**
 * The scripted scenario: replicate op 1 (value 99) with the disk set to lose pending writes on
 * crash, and crash it the moment the quorum is reported; then restart and recover.
 */
function scriptedCase(name: string, broadcastBeforeSync: boolean) {
  return defineCase<BroadcastState>({
    name,
    description: broadcastBeforeSync
      ? 'broadcasts before syncing; a crash loses an operation a quorum acknowledged'
      : 'WAL write, sync, broadcast, quorum; the acknowledged operation survives a crash',
    tags: ['example:durable_broadcast'],
    init: build(broadcastBeforeSync, 0),
    async scenario(state) {
      const { primary, replicas, sim } = state;
      const operation = { op: 1, value: 99 };
      await sim.control.disk.setFaults({ crashLostWriteRate: BuggifyRate.always() });
      await primary
        .replicate(operation, {
          deliver: () => Promise.all(replicas.map((replica) => replica.drain())),
          onQuorum: async () => {
            state.acknowledged = operation;
            await sim.control.disk.crash();
          },
        })
        .catch(interruptedByCrash);
      await sim.control.disk.restart();
      state.recovered = await primary.recover();
    },
    checks,
  });
}

/**
 * The probabilistic scenario: the buggy ordering, and the disk crashes at a seeded moment while
 * the operation is in flight. Under `none` a crash lands every pending write, so the operation
 * survives; a profile that loses writes on crash exposes the bug.
 */
function swarmCase(name: string, broadcastBeforeSync: boolean) {
  return defineCase<BroadcastState>({
    name,
    description: broadcastBeforeSync
      ? 'broadcast before sync with a crash at a seeded moment (fails only when the profile loses writes on crash)'
      : 'sync before broadcast with a crash at a seeded moment',
    tags: ['example:durable_broadcast', 'probabilistic'],
    init: build(broadcastBeforeSync, 400_000),
    async scenario(state) {
      const { primary, sim } = state;
      const { env, control } = sim;
      const operation = { op: 1, value: 1 + env.random.intLessThan(1000) };
      const crashAfterNs = env.random.intLessThan(4_000_000);
      const replicated = primary
        .replicate(operation, {
          deliver: () => Promise.all(state.replicas.map((replica) => replica.drain())),
          onQuorum: () => {
            state.acknowledged = operation;
          },
        })
        .catch(interruptedByCrash);
      await env.clock.sleep(crashAfterNs);
      await control.disk.crash();
      await replicated;
      await control.disk.restart();
      state.recovered = await primary.recover();
    },
    checks,
  });
}

/** Correct: sync before broadcast. */
export const durableBroadcast = scriptedCase('durable-broadcast', false);
/** Buggy: broadcast before sync; the scripted crash loses the acknowledged operation. */
export const durableBroadcastBug = scriptedCase('durable-broadcast-bug', true);
/** Correct ordering under a crash at a seeded moment and the profile's faults. */
export const durableBroadcastSwarm = swarmCase('durable-broadcast-swarm', false);
/** Buggy ordering under a crash at a seeded moment: rare under `none`, found by `swarm`. */
export const durableBroadcastSwarmBug = swarmCase('durable-broadcast-swarm-bug', true);
