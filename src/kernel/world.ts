import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEachDrain } from './_internals/after-microtasks.js';
import { TimerQueue, type Timer, type TimerOwner } from './_internals/timer-queue.js';
import type { ChoiceSource } from './choice-source.js';
import { ClockOverflow, EventLimitExceeded, InvalidArgument, OwnerStopped, StepLimitExceeded, WorldMisuse, describeValue } from './errors.js';
import { formatSeed, parseSeed, type SeedInput } from './parse-seed.js';
import { Prng } from './prng.js';
import type { TraceFields } from './trace/record-format.js';
import { eventFormat, type EventFormat, type EventValue } from './trace/event-format.js';
import { Trace } from './trace/trace.js';

export type { TimerOwner } from './_internals/timer-queue.js';

/** Default simulated tick: 1 ms. */
export const DEFAULT_TICK_NS = 1_000_000;
/** Default most events one run may record before it is stopped as a runaway. */
export const DEFAULT_MAX_EVENTS = 1_000_000;
/** Default most timers one run may fire before it is stopped as a runaway (an endless interval). */
export const DEFAULT_MAX_STEPS = 10_000_000;

const TWO_32 = 4294967296;

const RANDOM_U64 = eventFormat`random.u64 value=${'value'}`;
const RANDOM_U32 = eventFormat`random.u32 value=${'value'}`;
const RANDOM_INT = eventFormat`random.int bound=${'bound'} value=${'value'}`;
const RANDOM_BOOL = eventFormat`random.bool value=${'value'}`;
/**
 * How many consecutive drains without a timer and without a new event the world waits before it
 * calls itself idle (stalled). Covers short `process.nextTick` chains (in-memory streams).
 */
const IDLE_RECHECKS = 64;

/**
 * The owner of the code running now, carried through promises and callbacks by Node's async
 * context. It is switched on by the first world that has owners (hosts) and off again when a
 * world without owners ends while no world with owners is open: async context tracking roughly
 * doubles the cost of every promise while it is on, and switching it costs about as much as a
 * small run, so a campaign of a case with hosts keeps it on and one without never turns it on.
 */
const ownerContext = new AsyncLocalStorage<TimerOwner | undefined>();
/** Open worlds that have run code as an owner. */
let worldsWithOwners = 0;
/** Whether `ownerContext` has been switched on (by `run`) and not off since. */
let ownerContextOn = false;

/** Options of a {@link WorldCore}. */
export interface WorldCoreOptions {
  /** The seed of the world's PRNG (see `parseSeed`). */
  readonly seed: SeedInput;
  /** Simulated tick in ns: the period at which time-evolved faults roll their dice. Default 1 ms. */
  readonly tickNs?: number;
  /** Most events the trace accepts; a run that records more fails as a runaway. Default 1,000,000. */
  readonly maxEvents?: number;
  /** Most timers the world fires; a run that fires more (an interval nobody stops) fails as a runaway. Default 10,000,000. */
  readonly maxSteps?: number;
  /**
   * Where decisions come from. Default: the seeded xoshiro128** generator. The minimizer passes
   * a recorded or edited choice sequence here.
   */
  readonly choices?: ChoiceSource;
  /** Sees every event body as it is written (guided search derives coverage from it). */
  readonly observeEvents?: (body: string) => void;
}

/** A subsystem whose faults evolve with time (random clogs, automatic partitions, host crashes). */
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

/** A timer set with {@link WorldCore.setTimer}. */
export interface ScheduledTimer {
  /** Cancels the timer; a cancelled timer never fires and never moves time. */
  cancel(): void;
  /** Whether the timer keeps the world busy (default true); see Node's `timeout.ref()`/`unref()`. */
  setRef(ref: boolean): void;
  /** Whether the timer has neither fired nor been cancelled. */
  readonly pending: boolean;
  /** Whether the timer keeps the world busy. */
  readonly hasRef: boolean;
}

/** The handle of a set timer (a class, not a literal with closures: the fuzz path sets many). */
class TimerHandle implements ScheduledTimer {
  constructor(
    private readonly queue: TimerQueue,
    private readonly timer: Timer,
  ) {}

  cancel(): void {
    this.queue.settle(this.timer);
  }

  setRef(ref: boolean): void {
    this.queue.setRef(this.timer, ref);
  }

  get pending(): boolean {
    return this.timer.pending;
  }

  get hasRef(): boolean {
    return this.timer.ref;
  }
}

/** The handle of a timer that was never set (its owner had already stopped). */
const DEAD_TIMER: ScheduledTimer = Object.freeze({ cancel() {}, setRef() {}, pending: false, hasRef: false });

/**
 * The deterministic core of one run: one seeded PRNG, one simulated clock in integer
 * nanoseconds, one trace and one scheduler of simulated timers.
 *
 * Time moves only when the scheduler fires a timer, and it fires one only when the microtask
 * queue has drained, so concurrent simulated activities interleave in a fixed order. Timers may
 * belong to an owner (a host): an owner that stops abandons its timers, and code started by an
 * owner keeps its owner through promises and callbacks.
 */
export class WorldCore {
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

  private clockNs = 0;
  private nextTickNs: number;
  private readonly timers = new TimerQueue();
  private readonly maxSteps: number;
  private steps = 0;
  private readonly tickListeners: TickListener[] = [];
  private readonly idleWatchers = new Set<() => void>();
  private pumpArmed = false;
  /** Drains in a row that found no timer while a phase was pending; see IDLE_RECHECKS. */
  private idleRechecks = 0;
  private eventsAtLastRecheck = -1;
  private timeStopped = false;
  private closed = false;
  private fatalError: unknown;
  private hasFatal = false;
  private usesOwners = false;

  constructor(options: WorldCoreOptions) {
    this.seed = parseSeed(options.seed);
    this.tickNs = positive(options.tickNs ?? DEFAULT_TICK_NS, 'tickNs');
    this.nextTickNs = this.tickNs;
    this.trace = new Trace(positive(options.maxEvents ?? DEFAULT_MAX_EVENTS, 'maxEvents'), options.observeEvents);
    this.maxSteps = positive(options.maxSteps ?? DEFAULT_MAX_STEPS, 'maxSteps');
    this.choices = options.choices ?? Prng.fromSeed(this.seed);
    const choices = this.choices;
    this.untraced = {
      intLessThan: (bound) => choices.intLessThan(bound),
      u64: () => drawU64(choices),
      bool: () => choices.intLessThan(2) === 1,
    };
    this.emit(`world.init seed=${formatSeed(this.seed)} start_ns=0 tick_ns=${this.tickNs}`);
  }

  /** Current simulated time in ns. */
  get nowNs(): number {
    return this.clockNs;
  }

  /** A traced u64 draw (`random.u64 value=...`). */
  randomU64(): bigint {
    this.assertOwnerAlive();
    const value = drawU64(this.choices);
    this.emitEvent(RANDOM_U64, value);
    return value;
  }

  /** A traced u32 draw (`random.u32 value=...`). */
  randomU32(): number {
    this.assertOwnerAlive();
    const value = this.choices.intLessThan(TWO_32);
    this.emitEvent(RANDOM_U32, value);
    return value;
  }

  /** A traced integer in `[0, bound)`, `bound` an integer in `[1, 2^53]` (`random.int bound=... value=...`). */
  randomIntLessThan(bound: number): number {
    this.assertOwnerAlive();
    const value = this.choices.intLessThan(bound);
    this.emitEvent(RANDOM_INT, bound, value);
    return value;
  }

  /** A traced fair boolean (`random.bool value=...`). */
  randomBool(): boolean {
    this.assertOwnerAlive();
    const value = this.choices.intLessThan(2) === 1;
    this.emitEvent(RANDOM_BOOL, value);
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

  // ---- internal machinery (used by the simulation, subsystems and the runner) ----

  /** @internal Appends a library-formatted event; enforces the event limit and closed state. */
  emit(body: string): void {
    this.assertWritable();
    this.trace.append(body);
  }

  /** @internal Appends a library event of `format` with its values (the fuzz path writes no text for it); as `emit`. */
  emitEvent(format: EventFormat, v0?: EventValue, v1?: EventValue, v2?: EventValue, v3?: EventValue, v4?: EventValue, v5?: EventValue, v6?: EventValue, v7?: EventValue): void {
    this.assertWritable();
    this.trace.appendEvent(format, v0, v1, v2, v3, v4, v5, v6, v7);
  }

  /** @internal Resolves at simulated time `dueNs` (>= now); owned by the code running now. */
  sleepUntil(dueNs: number): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.schedule(dueNs, wake, this.currentOwner, false); // outside the executor, so a bad time throws here and not into the promise
    return woken;
  }

  /**
   * @internal Calls `fire` at simulated time `dueNs` (>= now), after the microtask queue drains.
   * The timer belongs to `owner` (default: the owner of the code running now; `null`: the world
   * itself); a timer of an owner that has stopped is never set. With `drainsMicrotasks`, the
   * microtasks its callback queues run before the next timer due at the same instant fires (as
   * Node runs them after each timer callback); otherwise everything due at one instant wakes
   * together.
   */
  setTimer(dueNs: number, fire: () => void, ownerOrNull?: TimerOwner | null, drainsMicrotasks = false): ScheduledTimer {
    const owner = ownerOrNull === undefined ? this.currentOwner : (ownerOrNull ?? undefined);
    const timer = this.schedule(dueNs, fire, owner, drainsMicrotasks);
    return timer === undefined ? DEAD_TIMER : new TimerHandle(this.timers, timer);
  }

  /** Sets a timer (see `setTimer`) and returns it, or undefined when it never fires (time stopped, owner stopped). */
  private schedule(dueNs: number, fire: () => void, owner: TimerOwner | undefined, drainsMicrotasks: boolean): Timer | undefined {
    this.assertWritable();
    if (!Number.isSafeInteger(dueNs)) {
      this.fail(new ClockOverflow(`world: simulated time ${dueNs} ns is past Number.MAX_SAFE_INTEGER`));
      throw this.fatalError;
    }
    if (dueNs < this.clockNs) throw new InvalidArgument(`world: a timer cannot be set in the past (${dueNs} < ${this.clockNs})`);
    // The run is over (time stopped) or the owner crashed: what waits on this timer never resumes.
    if (this.timeStopped || (owner !== undefined && !owner.alive)) return undefined;
    const timer = this.timers.push(dueNs, fire, owner, drainsMicrotasks);
    this.arm();
    return timer;
  }

  /** @internal The owner of the code running now (undefined outside every owner). */
  get currentOwner(): TimerOwner | undefined {
    return this.usesOwners ? ownerContext.getStore() : undefined;
  }

  /**
   * @internal Throws {@link OwnerStopped} when the code running now belongs to an owner that has
   * stopped: code of a crashed host that was already runnable at the crash (a continuation queued
   * at that instant, or one woken by code outside the host) makes no decision, records nothing and
   * does no I/O; it stops at its first call into the world.
   */
  assertOwnerAlive(): void {
    if (!this.usesOwners) return;
    const owner = ownerContext.getStore();
    if (owner !== undefined && !owner.alive) throw new OwnerStopped('world: the code of a crashed host called into the world after the crash');
  }

  /** @internal Runs `fn` as the world itself (no owner), whoever called: control actions, such as a host crashing itself. */
  runUnowned<T>(fn: () => T): T {
    return this.usesOwners ? ownerContext.run(undefined, fn) : fn();
  }

  /**
   * @internal Runs `fn` as `owner`: every timer it sets, also through promises and callbacks
   * chained from it, belongs to `owner`.
   */
  runOwned<T>(owner: TimerOwner, fn: () => T): T {
    if (!this.usesOwners) {
      this.usesOwners = true;
      worldsWithOwners++;
      ownerContextOn = true;
    }
    return ownerContext.run(owner, fn);
  }

  /** @internal Abandons every pending timer of `owner` (it stopped); returns how many there were. */
  abandon(owner: TimerOwner): number {
    return this.timers.abandon(owner);
  }

  /** @internal Registers a subsystem whose faults evolve at every tick boundary as time passes. */
  onTick(listener: TickListener): void {
    this.tickListeners.push(listener);
  }

  /**
   * @internal Calls `onIdle` when the simulation can make no more progress: the microtask queue
   * is drained and no ref'd timer is pending. Returns a function that cancels the watch.
   */
  watchIdle(onIdle: () => void): () => void {
    this.idleWatchers.add(onIdle);
    this.arm();
    return () => this.idleWatchers.delete(onIdle);
  }

  /** @internal Whether an error stopped this world (event limit, clock overflow, a host's error). */
  get failed(): boolean {
    return this.hasFatal;
  }

  /** @internal The error that stopped this world, if any (see `failed`). */
  get fatal(): unknown {
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
    if (this.usesOwners) {
      this.usesOwners = false;
      worldsWithOwners--;
    } else if (ownerContextOn && worldsWithOwners === 0) {
      ownerContextOn = false;
      ownerContext.disable();
    }
  }

  /** @internal Stops the world with a fatal error (the first one wins); the runner reports it. */
  fail(error: unknown): void {
    if (!this.hasFatal) {
      this.hasFatal = true;
      this.fatalError = error;
    }
    this.timers.clear();
    this.arm();
  }

  private assertWritable(): void {
    if (this.closed) throw new WorldMisuse('world: this world is closed (its run has ended)');
    if (this.hasFatal) throw this.fatalError;
    this.assertOwnerAlive();
    if (this.trace.eventCount >= this.trace.maxEvents) {
      this.fail(new EventLimitExceeded(`world: the run recorded more than maxEvents=${this.trace.maxEvents} events`));
      throw this.fatalError;
    }
  }

  private arm(): void {
    if (this.pumpArmed || this.closed) return;
    this.pumpArmed = true;
    this.drainThenPump();
  }

  private readonly onDrained = (): void => {
    this.pumpArmed = false;
    if (this.closed) return;
    // Only ref'd timers keep the world going, as only ref'd timers keep a Node process alive.
    const timer = this.timers.refCount > 0 ? this.timers.popPendingUntil(Number.POSITIVE_INFINITY) : undefined;
    if (timer !== undefined) {
      this.advanceTo(timer.dueNs);
      // Wake everything due at this instant together, in the order the timers were set; their
      // continuations then run (in that order) before time moves again. A timer that drains
      // microtasks ends the batch: the rest due now fire at the next drain, at the same instant.
      let due: Timer | undefined = timer;
      while (due !== undefined && !this.hasFatal) {
        this.fire(due);
        if (due.drainsMicrotasks) break;
        due = this.timers.popPendingUntil(timer.dueNs);
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

  /** Calls `onDrained` once the microtask queue has drained (made once: the pump arms once per timer). */
  private readonly drainThenPump = afterEachDrain(this.onDrained);

  private fire(timer: Timer): void {
    // Its owner may have stopped at this very instant (a host crash rolled at the tick boundary).
    if (timer.owner !== undefined && !timer.owner.alive) return;
    if (++this.steps > this.maxSteps) {
      this.fail(new StepLimitExceeded(`world: the run fired more than maxSteps=${this.maxSteps} timers (an interval or loop that never ends)`));
      return;
    }
    try {
      // A timer runs as its owner, and one of the world's runs as nobody, whatever code armed the
      // pump. (`run(undefined)` rather than `exit`, which switches the promise hooks off and on.)
      if (this.usesOwners) ownerContext.run(timer.owner, timer.fire);
      else timer.fire();
    } catch (error) {
      this.fail(error);
    }
  }

  private tickAll(nowNs: number): void {
    for (const listener of this.tickListeners) if (listener.wantsTicks) listener.tick(nowNs);
  }

  private advanceTo(targetNs: number): void {
    const listeners = this.tickListeners;
    while (this.nextTickNs <= targetNs && !this.hasFatal) {
      if (!listeners.some((listener) => listener.wantsTicks)) {
        // Nothing evolves with ticks right now: jump straight past the ticks up to the target.
        this.nextTickNs = (Math.floor(targetNs / this.tickNs) + 1) * this.tickNs;
        break;
      }
      this.clockNs = this.nextTickNs;
      this.nextTickNs += this.tickNs;
      try {
        if (this.usesOwners) ownerContext.run(undefined, () => this.tickAll(this.clockNs));
        else this.tickAll(this.clockNs);
      } catch (error) {
        this.fail(error);
      }
    }
    this.clockNs = targetNs;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgument(`World: ${name} must be a positive safe integer, got ${describeValue(value)}`);
  }
  return value;
}

function drawU64(choices: ChoiceSource): bigint {
  const hi = choices.intLessThan(TWO_32);
  const lo = choices.intLessThan(TWO_32);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
