/**
 * Retry queue: one leased job. Worker 1 leases it, the lease times out, worker 2 leases it, and
 * worker 1's completion arrives late. The correct queue rejects the stale completion; the buggy
 * one accepts it, and the check `job completed at most once` catches the double completion.
 */
import { defineCase, type Endpoint, type Env, type Simulation, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

const JOB_ID = 7;

/** Options of {@link RetryQueue}. */
export interface RetryQueueOptions {
  /** How long a lease lasts, in ns. */
  readonly leaseNs: number;
  /** The bug: accept a completion from a worker whose lease already expired. */
  readonly acceptStaleCompletions: boolean;
}

/** A production-shaped queue holding one job with at-most-one active lease. */
export class RetryQueue {
  private lease: { readonly worker: number; readonly deadlineNs: number } | undefined;
  private done = false;
  private completionCount = 0;

  constructor(
    private readonly env: Env,
    readonly jobId: number,
    private readonly options: RetryQueueOptions,
  ) {}

  /** Leases the job to `worker` unless it is leased or done. */
  leaseTo(worker: number): boolean {
    if (this.lease !== undefined || this.done) return false;
    const deadlineNs = this.env.clock.now() + this.options.leaseNs;
    this.lease = { worker, deadlineNs };
    this.env.record('queue.lease', { job: this.jobId, worker, deadline_ns: deadlineNs });
    return true;
  }

  /** Expires the lease if its deadline has passed, so the job can be retried. */
  expireLeases(): void {
    if (this.lease !== undefined && this.env.clock.now() >= this.lease.deadlineNs) {
      this.env.record('queue.timeout', { job: this.jobId, worker: this.lease.worker });
      this.lease = undefined;
    }
  }

  /** A worker reports the job complete; returns whether the completion was accepted. */
  complete(worker: number): boolean {
    const current = this.lease?.worker === worker;
    const accepted = current || (!this.done && this.options.acceptStaleCompletions);
    const reason = current ? 'current_lease' : accepted ? 'stale_ack_bug' : 'stale_lease';
    if (accepted) {
      this.completionCount += 1;
      if (current) {
        this.lease = undefined;
        this.done = true;
      }
    }
    this.env.record('queue.complete', { job: this.jobId, worker, accepted, reason, completions: this.completionCount });
    return accepted;
  }

  /** How many completions were accepted. */
  get completions(): number {
    return this.completionCount;
  }

  /** Whether the job can be leased now (not leased, not done). */
  get available(): boolean {
    return this.lease === undefined && !this.done;
  }
}

interface RetryQueueState {
  readonly sim: Simulation;
  readonly queue: RetryQueue;
  readonly tickNs: number;
}

const LEASE_TICKS = 5;

function retryQueueCase(name: string, acceptStaleCompletions: boolean) {
  return defineCase<RetryQueueState>({
    name,
    description: acceptStaleCompletions
      ? 'leased job whose queue accepts a stale completion (fails every seed)'
      : 'leased job, lease timeout, second lease, late completion rejected',
    tags: ['example:retry_queue'],
    attributes: { lease_ticks: LEASE_TICKS },
    init(world: World) {
      const sim = world.simulate();
      const queue = new RetryQueue(sim.env, JOB_ID, { leaseNs: LEASE_TICKS * world.tickNs, acceptStaleCompletions });
      return { sim, queue, tickNs: world.tickNs };
    },
    async scenario({ sim, queue, tickNs }) {
      const { env, control } = sim;
      queue.leaseTo(1);
      await control.runFor(LEASE_TICKS * tickNs);
      queue.expireLeases();
      queue.leaseTo(2);
      // Worker 1's completion is in flight for a seeded number of ticks before it lands.
      await env.clock.sleep(env.random.intLessThan(3) * tickNs);
      queue.complete(1);
      queue.complete(2);
    },
    checks: [atMostOnce],
  });
}

const atMostOnce = {
  name: 'job completed at most once',
  check({ sim, queue }: { readonly sim: Simulation; readonly queue: RetryQueue }) {
    if (queue.completions > 1) {
      sim.env.record('queue.invariant_violation', { job: queue.jobId, completions: queue.completions });
      throw new InvariantViolation(`job ${queue.jobId} completed ${queue.completions} times`);
    }
  },
};

/** The correct retry queue: rejects the late completion. */
export const retryQueue = retryQueueCase('retry-queue', false);
/** The buggy retry queue: accepts the late completion on every seed. */
export const retryQueueBug = retryQueueCase('retry-queue-bug', true);

/** Messages between the queue server and its workers. */
export type QueueMessage = { readonly kind: 'lease'; readonly job: number } | { readonly kind: 'complete'; readonly job: number };

const QUEUE_NODE = 0;
const WORKERS = [1, 2] as const;
const WORK_TICKS = 2;
const HORIZON_TICKS = 60;

interface NetworkQueueState {
  readonly sim: Simulation;
  readonly queue: RetryQueue;
  readonly tickNs: number;
}

/**
 * The queue as a server: completions are handled the moment they arrive, while a ticker expires
 * leases and leases the job out again every tick, until the horizon.
 */
async function serveQueue(state: NetworkQueueState, endpoint: Endpoint<QueueMessage>): Promise<void> {
  const { queue, sim, tickNs } = state;
  const horizonNs = HORIZON_TICKS * tickNs;
  const receiving = (async () => {
    while (sim.env.clock.now() < horizonNs) {
      const envelope = await endpoint.receive();
      if (envelope === null) await sim.env.clock.sleep(tickNs);
      else if (envelope.message.kind === 'complete') queue.complete(envelope.from);
    }
  })();
  let next = 0;
  while (sim.env.clock.now() < horizonNs) {
    queue.expireLeases();
    if (queue.available) {
      const worker = WORKERS[next++ % WORKERS.length]!;
      queue.leaseTo(worker);
      endpoint.send(worker, { kind: 'lease', job: queue.jobId });
    }
    await sim.env.clock.sleep(tickNs);
  }
  await receiving;
}

/** A worker: takes a lease, works for a while, reports the job complete. */
async function work(state: NetworkQueueState, endpoint: Endpoint<QueueMessage>): Promise<void> {
  const { sim, tickNs } = state;
  while (sim.env.clock.now() < HORIZON_TICKS * tickNs) {
    const envelope = await endpoint.receive();
    if (envelope === null) {
      await sim.env.clock.sleep(tickNs);
      continue;
    }
    if (envelope.message.kind !== 'lease') continue;
    await sim.env.clock.sleep(WORK_TICKS * tickNs);
    endpoint.send(QUEUE_NODE, { kind: 'complete', job: envelope.message.job });
  }
}

function retryQueueNetworkCase(name: string, acceptStaleCompletions: boolean) {
  return defineCase<NetworkQueueState>({
    name,
    description: acceptStaleCompletions
      ? 'workers complete over the network; the buggy queue double-completes only when the profile delays a completion past the lease'
      : 'workers complete over the network; late completions are rejected',
    tags: ['example:retry_queue', 'probabilistic'],
    attributes: { lease_ticks: LEASE_TICKS, work_ticks: WORK_TICKS },
    init(world: World) {
      const sim = world.simulate({ network: { nodes: 3, serviceNodes: 1 } });
      const queue = new RetryQueue(sim.env, JOB_ID, { leaseNs: LEASE_TICKS * world.tickNs, acceptStaleCompletions });
      return { sim, queue, tickNs: world.tickNs };
    },
    async scenario(state) {
      await Promise.all([
        serveQueue(state, state.sim.endpoint<QueueMessage>(QUEUE_NODE)),
        ...WORKERS.map((worker) => work(state, state.sim.endpoint<QueueMessage>(worker))),
      ]);
    },
    checks: [atMostOnce],
  });
}

/** Correct queue, completions over the network under the profile's faults. */
export const retryQueueSwarm = retryQueueNetworkCase('retry-queue-swarm', false);
/** Buggy queue, completions over the network: never fails under `none`, found by `swarm`. */
export const retryQueueSwarmBug = retryQueueNetworkCase('retry-queue-swarm-bug', true);
