import type { BuggifyRate } from '../faults/buggify-rate.js';
import type { Disk, DiskControl, DiskOptions } from '../faults/disk/disk-types.js';
import type { Endpoint, NetworkControl, NetworkOptions } from '../faults/network/network-types.js';
import type { TraceFields } from '../kernel/trace/record-format.js';

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
  /**
   * Asserts that `condition` holds whenever this line runs. A false one fails the run at once as
   * `assertion_failed` (signature `assertion_failed|<name>|AssertionFailed`), traced as
   * `assert.fail name kind=always` with `details`; in production it throws `AssertionFailed`.
   */
  always(name: string, condition: boolean, details?: TraceFields): void;
  /**
   * Notes that `condition` was true at least once in this run (traced once per run and name as
   * `assert.sometimes name`); it never fails a run. Free in production. A case declares the names
   * it expects to be hit (`defineCase({ sometimes })`) and `expectFuzz` fails when none of its
   * seeds hit one: the test exercised nothing.
   */
  sometimes(name: string, condition: boolean, details?: TraceFields): void;
  /** Notes that this point was reached (traced once per run as `assert.reachable name`). Free in production. */
  reachable(name: string): void;
  /** Fails the run like a false `always` when this point is reached (`assert.fail name kind=unreachable`). */
  unreachable(name: string, details?: TraceFields): void;
}

/**
 * What a host's `main` receives: an {@link Env} of its own (its private disk, when the simulation
 * has one) plus who it is. A fresh `HostEnv` is made for every incarnation.
 */
export interface HostEnv extends Env {
  /** The host id (its network node id when the simulation has a network). */
  readonly id: number;
  /** 0 at the first start, one more after every restart. */
  readonly incarnation: number;
  /** This host's typed network endpoint (requires a network). */
  endpoint<Message>(): Endpoint<Message>;
}

/** A host's code: runs at every (re)start of the host; may run for ever (a server loop). */
export type HostMain = (env: HostEnv) => unknown;

/** A live view of a host started with `sim.host`. */
export interface Host {
  readonly id: number;
  /** The current (or, while crashed, the last) incarnation. */
  readonly incarnation: number;
  /** False while crashed. */
  readonly up: boolean;
}

/** Harness-only control of the hosts: crash, restart and bounce them. Every call acts at once and is traced. */
export interface HostControl {
  /**
   * Stops host `id` at once: every wait its code started (sleeps, timers, intervals, disk and
   * network waits, and promises chained from them) is abandoned and never settles; its pending
   * disk writes land, are lost or tear as in a disk crash; its endpoint goes down.
   * @throws {InvalidArgument} for an unknown or already crashed host.
   */
  crash(id: number): Promise<void>;
  /**
   * Restarts crashed host `id`: its disk restarts, its endpoint comes up and `main` runs again
   * with the next incarnation.
   * @throws {InvalidArgument} for an unknown host or one that is up.
   */
  restart(id: number): Promise<void>;
  /** Crashes and restarts host `id` at one instant. */
  bounce(id: number): Promise<void>;
  /** Whether host `id` is up. @throws {InvalidArgument} for an unknown host. */
  isUp(id: number): boolean;
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
  /** Host crashes and restarts. */
  readonly hosts: HostControl;
  /**
   * Ends every fault at once: partitions heal, clogs end, every node and link comes up, loss and
   * disk faults go to zero, partition, clog and host-crash dynamics stop, crashed disks and hosts
   * restart. Latency stays as it is. Traced as `control.calm`. Liveness checks run after this.
   */
  calm(): Promise<void>;
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
  /**
   * Starts host `id` running `main(hostEnv)` at the current simulated instant. `id` is a network
   * node id when the simulation has a network, else an integer in `[0, 1024)`; each id once.
   * An error thrown by `main` (or by work it started) fails the run as `scenario_error`.
   * @throws {InvalidArgument} for an id out of range or already used.
   */
  host(id: number, main: HostMain): Host;
}
