import { BuggifyRate } from '../faults/buggify-rate.js';
import { assertHookName } from '../faults/buggify-hook.js';
import { afterMicrotasks } from './_internals/after-microtasks.js';
import { TimerQueue, type Timer } from './_internals/timer-queue.js';
import type { ChoiceSource } from './choice-source.js';
import { ClockOverflow, EventLimitExceeded, InvalidArgument, MarionetteError, WorldMisuse, describeValue } from './errors.js';
import { formatSeed, parseSeed, type SeedInput } from './parse-seed.js';
import { Prng } from './prng.js';
import type { TraceFields } from './trace/record-format.js';
import { Trace } from './trace/trace.js';
import { createSimulation } from './simulation.js';
import { NONE_PROFILE, normalizeProfile, type FaultProfile } from '../faults/profiles/fault-profile.js';
import { hookPolicy } from '../faults/profiles/hook-policy.js';
import type { Simulation, SimulateOptions } from './simulation-types.js';

/** Default simulated tick: 1 ms. */
export const DEFAULT_TICK_NS = 1_000_000;
/** Default most events one run may record before it is stopped as a runaway. */
export const DEFAULT_MAX_EVENTS = 1_000_000;

const TWO_32 = 4294967296;
/**
 * How many consecutive drains without a timer and without a new event the world waits before it
 * calls itself idle (stalled). Covers short `process.nextTick` chains (in-memory streams).
 */
const IDLE_RECHECKS = 64;

/** Options of a {@link World}. */
export interface WorldOptions {
  /** The seed of the world's PRNG (see `parseSeed`). */
  readonly seed: SeedInput;
  /** Simulated tick in ns: the period at which time-evolved faults roll their dice. Default 1 ms. */
  readonly tickNs?: number;
  /** Most events the trace accepts; a run that records more fails as a runaway. Default 1,000,000. */
  readonly maxEvents?: number;
  /**
   * Where decisions come from. Default: the seeded xoshiro128** generator. The minimizer passes
   * a recorded or edited choice sequence here.
   */
  readonly choices?: ChoiceSource;
  /**
   * The run's fault profile (default `none`): `simulate` applies its network and disk faults, and
   * its BUGGIFY part decides which hooks may fire (unless `hookPolicy` is given).
   */
  readonly profile?: FaultProfile;
  /** Decides, per BUGGIFY hook and for the whole run, whether the hook may fire. Default: the profile's. */
  readonly hookPolicy?: BuggifyHookPolicy;
}

/** Decides once per run whether a BUGGIFY hook is enabled (swarm testing, FoundationDB style). */
export interface BuggifyHookPolicy {
  /** Called the first time `hook` is evaluated in a run; may draw from `choices`. */
  enabled(hook: string, choices: ChoiceSource): boolean;
}

/** A subsystem whose faults evolve with time (random clogs, automatic partitions). */
export interface TickListener {
  /** Whether `tick` has anything to do; while no listener wants ticks, time jumps over them. */
  readonly wantsTicks: boolean;
  /** Called at every tick boundary, with the clock at that boundary. */
  tick(nowNs: number): void;
}

/** Random draws that are not written to the trace, for hot internal use. */
export interface UntracedRandom {
  /** An integer in `[0, bound)`. */
  intLessThan(bound: number): number;
  /** A uniformly distributed u64. */
  u64(): bigint;
  /** A fair boolean. */
  bool(): boolean;
}

/**
 * The deterministic world of one run: one seeded PRNG, one simulated clock in integer
 * nanoseconds, one trace and one scheduler of simulated timers.
 *
 * Time moves only when the scheduler fires a timer (`control.tick`, `control.runFor`,
 * `env.clock.sleep` and simulated I/O latency all set timers), and it fires one only when the
 * microtask queue has drained, so concurrent simulated activities interleave in a fixed order.
 */
export class World {
  /** The world's seed, a u64. */
  readonly seed: bigint;
  /** The simulated tick in ns. */
  readonly tickNs: number;
  /** Draws from the world's decisions that are not traced. */
  readonly untraced: UntracedRandom;
  /** @internal The trace; user code records through `record`. */
  readonly trace: Trace;
  /** @internal Where every decision comes from. */
  readonly choices: ChoiceSource;
  /** The run's fault profile. */
  readonly profile: FaultProfile;

  private clockNs = 0;
  private nextTickNs: number;
  private readonly timers = new TimerQueue();
  private readonly tickListeners: TickListener[] = [];
  private readonly idleWatchers = new Set<() => void>();
  private readonly hookPolicy: BuggifyHookPolicy | undefined;
  private readonly hookStates = new Map<string, boolean>();
  private pumpArmed = false;
  /** Drains in a row that found no timer while a phase was pending; see IDLE_RECHECKS. */
  private idleRechecks = 0;
  private eventsAtLastRecheck = -1;
  private timeStopped = false;
  private closed = false;
  private fatalError: MarionetteError | undefined;
  private simulated = false;

  constructor(options: WorldOptions) {
    this.seed = parseSeed(options.seed);
    const tickNs = options.tickNs ?? DEFAULT_TICK_NS;
    if (!Number.isSafeInteger(tickNs) || tickNs < 1) {
      throw new InvalidArgument(`World: tickNs must be a positive safe integer, got ${describeValue(tickNs)}`);
    }
    const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) {
      throw new InvalidArgument(`World: maxEvents must be a positive safe integer, got ${describeValue(maxEvents)}`);
    }
    this.tickNs = tickNs;
    this.nextTickNs = tickNs;
    this.trace = new Trace(maxEvents);
    this.choices = options.choices ?? Prng.fromSeed(this.seed);
    if (options.profile !== undefined && (typeof options.profile !== 'object' || options.profile === null)) {
      throw new InvalidArgument(`World: profile must be a profile object (use resolveProfile for named profiles), got ${describeValue(options.profile)}`);
    }
    this.profile = options.profile === undefined ? NONE_PROFILE : normalizeProfile(options.profile, 'World: profile');
    this.hookPolicy = options.hookPolicy ?? hookPolicy(this.profile.buggify);
    const choices = this.choices;
    this.untraced = {
      intLessThan: (bound) => choices.intLessThan(bound),
      u64: () => drawU64(choices),
      bool: () => choices.intLessThan(2) === 1,
    };
    this.emit(`world.init seed=${formatSeed(this.seed)} start_ns=0 tick_ns=${tickNs}`);
  }

  /** Current simulated time in ns. */
  get nowNs(): number {
    return this.clockNs;
  }

  /** A traced u64 draw (`random.u64 value=...`). */
  randomU64(): bigint {
    const value = drawU64(this.choices);
    this.emit(`random.u64 value=${value}`);
    return value;
  }

  /** A traced u32 draw (`random.u32 value=...`). */
  randomU32(): number {
    const value = this.choices.intLessThan(TWO_32);
    this.emit(`random.u32 value=${value}`);
    return value;
  }

  /** A traced integer in `[0, bound)`, `bound` an integer in `[1, 2^53]` (`random.int bound=... value=...`). */
  randomIntLessThan(bound: number): number {
    const value = this.choices.intLessThan(bound);
    this.emit(`random.int bound=${bound} value=${value}`);
    return value;
  }

  /** A traced fair boolean (`random.bool value=...`). */
  randomBool(): boolean {
    const value = this.choices.intLessThan(2) === 1;
    this.emit(`random.bool value=${value}`);
    return value;
  }

  /**
   * Records an event. `record('comp.action', { key: value })` writes a structured record (text
   * values percent-encoded); `record('comp.action k=v k=v')` writes a raw record after strict
   * validation; `record('comp.done')` writes a bare event.
   * @throws {InvalidTraceRecord} for a malformed record, before anything is written.
   */
  record(nameOrRaw: string, fields?: TraceFields): void {
    this.assertWritable();
    if (fields === undefined && typeof nameOrRaw === 'string' && nameOrRaw.includes(' ')) {
      this.trace.recordRaw(nameOrRaw, 'record');
    } else {
      this.trace.record(nameOrRaw, fields, 'record');
    }
  }

  /**
   * Evaluates a BUGGIFY hook: the world draws a roll in `[0, rate.denominator)` and the hook fires
   * when the rate says so. Traced as `buggify hook=... rate=n/d roll=... fired=...`; a hook the
   * run's profile disabled is traced with `roll=disabled` and never fires.
   */
  buggify(hook: string, rate: BuggifyRate): boolean {
    assertHookName(hook, 'buggify');
    const checked = rate instanceof BuggifyRate ? rate : BuggifyRate.from(rate, 'buggify');
    if (!this.hookEnabled(hook)) {
      this.emit(`buggify hook=${hook} rate=${checked.numerator}/${checked.denominator} roll=disabled fired=false`);
      return false;
    }
    const roll = this.choices.intLessThan(checked.denominator);
    const fired = checked.fires(roll);
    this.emit(`buggify hook=${hook} rate=${checked.numerator}/${checked.denominator} roll=${roll} fired=${fired}`);
    return fired;
  }

  /**
   * Builds the simulation of this world, once. The returned object holds the app-facing `env`,
   * the harness-only `control`, and (with a network) `endpoint(node)`.
   */
  simulate(options?: SimulateOptions): Simulation {
    if (this.simulated) throw new WorldMisuse('world.simulate: a world builds its simulation only once');
    this.simulated = true;
    return createSimulation(this, options ?? {});
  }

  // ---- internal machinery (used by the simulation, subsystems and the runner) ----

  /** @internal Appends a library-formatted event; enforces the event limit and closed state. */
  emit(body: string): void {
    this.assertWritable();
    this.trace.append(body);
  }

  /** @internal Resolves at simulated time `dueNs` (>= now). */
  sleepUntil(dueNs: number): Promise<void> {
    this.assertTimer(dueNs);
    return new Promise((resolve) => this.pushTimer(dueNs, resolve));
  }

  /**
   * @internal Calls `fire` at simulated time `dueNs` (>= now), after the microtask queue drains.
   * Returns a function that cancels the timer; a cancelled timer never moves time.
   */
  setTimer(dueNs: number, fire: () => void): () => void {
    this.assertTimer(dueNs);
    const timer = this.pushTimer(dueNs, fire);
    return () => {
      if (timer !== undefined) timer.cancelled = true;
    };
  }

  private pushTimer(dueNs: number, fire: () => void): Timer | undefined {
    if (this.timeStopped) return undefined; // the run is over: what waits on time never resumes
    const timer = this.timers.push(dueNs, fire);
    this.arm();
    return timer;
  }

  private assertTimer(dueNs: number): void {
    this.assertWritable();
    if (!Number.isSafeInteger(dueNs)) {
      this.fail(new ClockOverflow(`world: simulated time ${dueNs} ns is past Number.MAX_SAFE_INTEGER`));
      throw this.fatalError;
    }
    if (dueNs < this.clockNs) throw new InvalidArgument(`world: a timer cannot be set in the past (${dueNs} < ${this.clockNs})`);
  }

  /** @internal Registers a subsystem whose faults evolve at every tick boundary as time passes. */
  onTick(listener: TickListener): void {
    this.tickListeners.push(listener);
  }

  /**
   * @internal Calls `onIdle` when the simulation can make no more progress: the microtask queue
   * is drained and no timer is pending. Returns a function that cancels the watch.
   */
  watchIdle(onIdle: () => void): () => void {
    this.idleWatchers.add(onIdle);
    this.arm();
    return () => this.idleWatchers.delete(onIdle);
  }

  /** @internal The error that stopped this world (event limit, clock overflow), if any. */
  get fatal(): MarionetteError | undefined {
    return this.fatalError;
  }

  /**
   * @internal Stops time: pending timers are dropped and never fire, so activities waiting on
   * them never resume. Activities already runnable still run (see the runner's final drain).
   */
  stopTime(): void {
    this.timeStopped = true;
    this.timers.clear();
  }

  /** @internal Ends the world: timers are dropped and further use throws. */
  close(): void {
    this.closed = true;
    this.timers.clear();
    this.idleWatchers.clear();
  }

  /** @internal Stops the world with a fatal error; the runner reports it. */
  fail(error: MarionetteError): void {
    if (this.fatalError === undefined) this.fatalError = error;
    this.timers.clear();
    this.arm();
  }

  private assertWritable(): void {
    if (this.closed) throw new WorldMisuse('world: this world is closed (its run has ended)');
    if (this.fatalError !== undefined) throw this.fatalError;
    if (this.trace.eventCount >= this.trace.maxEvents) {
      this.fail(new EventLimitExceeded(`world: the run recorded more than maxEvents=${this.trace.maxEvents} events`));
      throw this.fatalError;
    }
  }

  private hookEnabled(hook: string): boolean {
    if (this.hookPolicy === undefined) return true;
    let enabled = this.hookStates.get(hook);
    if (enabled === undefined) {
      enabled = this.hookPolicy.enabled(hook, this.choices);
      this.hookStates.set(hook, enabled);
      this.emit(`buggify.hook hook=${hook} enabled=${enabled}`);
    }
    return enabled;
  }

  private arm(): void {
    if (this.pumpArmed || this.closed) return;
    this.pumpArmed = true;
    afterMicrotasks(this.onDrained);
  }

  private readonly onDrained = (): void => {
    this.pumpArmed = false;
    if (this.closed) return;
    const timer = this.timers.popLive();
    if (timer !== undefined) {
      this.advanceTo(timer.dueNs);
      // Wake everything due at this instant together, in the order the timers were set; their
      // continuations then run (in that order) before time moves again.
      const dueNs = timer.dueNs;
      if (this.fatalError === undefined) timer.fire();
      for (let next = this.timers.peek(); next !== undefined && next.dueNs === dueNs && this.fatalError === undefined; next = this.timers.peek()) {
        this.timers.pop();
        if (!next.cancelled) next.fire();
      }
      this.arm();
      return;
    }
    if (this.idleWatchers.size === 0) return;
    // Code waiting on process.nextTick queued after ours is still runnable: look again a bounded
    // number of times (more while it keeps recording events) before calling the world idle.
    if (this.trace.eventCount !== this.eventsAtLastRecheck) {
      this.eventsAtLastRecheck = this.trace.eventCount;
      this.idleRechecks = 0;
    }
    if (this.idleRechecks++ < IDLE_RECHECKS) {
      this.arm();
      return;
    }
    this.idleRechecks = 0;
    for (const onIdle of [...this.idleWatchers]) onIdle();
  };

  private advanceTo(targetNs: number): void {
    const listeners = this.tickListeners;
    while (this.nextTickNs <= targetNs && this.fatalError === undefined) {
      if (!listeners.some((listener) => listener.wantsTicks)) {
        // Nothing evolves with ticks right now: jump straight past the ticks up to the target.
        this.nextTickNs = (Math.floor(targetNs / this.tickNs) + 1) * this.tickNs;
        break;
      }
      this.clockNs = this.nextTickNs;
      this.nextTickNs += this.tickNs;
      try {
        for (const listener of listeners) if (listener.wantsTicks) listener.tick(this.clockNs);
      } catch (error) {
        this.fail(error instanceof MarionetteError ? error : new MarionetteError(String(error)));
      }
    }
    this.clockNs = targetNs;
  }
}

function drawU64(choices: ChoiceSource): bigint {
  const hi = choices.intLessThan(TWO_32);
  const lo = choices.intLessThan(TWO_32);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
