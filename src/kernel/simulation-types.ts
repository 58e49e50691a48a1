import type { BuggifyRate } from '../faults/buggify-rate.js';
import type { Disk, DiskControl, DiskOptions } from '../faults/disk/disk-types.js';
import type { Endpoint, NetworkControl, NetworkOptions } from '../faults/network/network-types.js';
import type { TraceFields } from './trace/record-format.js';

/** Time as production-shaped code sees it. */
export interface Clock {
  /** Current time in integer nanoseconds (simulated time in a world, monotonic time in production). */
  now(): number;
  /** Resolves after `durationNs` nanoseconds (a simulated timer in a world). */
  sleep(durationNs: number): Promise<void>;
}

/** Randomness as production-shaped code sees it; in a world every draw is traced. */
export interface Random {
  /** A uniformly distributed integer in `[0, 2^32)`. */
  u32(): number;
  /** A uniformly distributed u64. */
  u64(): bigint;
  /** A uniformly distributed integer in `[0, bound)`, `bound` an integer in `[1, 2^53]`. */
  intLessThan(bound: number): number;
  /** A fair boolean. */
  bool(): boolean;
}

/**
 * The app-facing handles production-shaped code receives. The simulated and the production
 * environment have this same shape, so service code runs unchanged in both.
 */
export interface Env {
  readonly clock: Clock;
  readonly random: Random;
  /** Whether the fault at `hook` should happen now. Always false in production. */
  buggify(hook: string, rate: BuggifyRate): boolean;
  /** Records a trace event: `record('comp.action', { k: v })`, `record('comp.action k=v')` or `record('comp.done')`. */
  record(nameOrRaw: string, fields?: TraceFields): void;
  /** The disk (when one is configured; reading it otherwise throws a clear error). */
  readonly disk: Disk;
}

/** Harness-only control of a simulation: moves time and (with subsystems) injects faults. */
export interface Control {
  /** Advances simulated time by one tick, firing every timer due on the way. */
  tick(): Promise<void>;
  /** Advances simulated time by `durationNs`, firing every timer due on the way. */
  runFor(durationNs: number): Promise<void>;
  /** Network faults and topology (when the simulation has a network). */
  readonly network: NetworkControl;
  /** Disk faults, crash and restart (when the simulation has a disk). */
  readonly disk: DiskControl;
}

/** Options of `world.simulate`. */
export interface SimulateOptions {
  /** A simulated network of typed endpoints. */
  readonly network?: NetworkOptions;
  /** A simulated disk. */
  readonly disk?: DiskOptions;
}

/** What `world.simulate` returns. */
export interface Simulation {
  /** App-facing handles for the code under test. */
  readonly env: Env;
  /** Harness-only control. */
  readonly control: Control;
  /** The typed endpoint of `node` (requires a network). Messages are delivered as the same objects: treat them as immutable. */
  endpoint<Message>(node: number): Endpoint<Message>;
}
