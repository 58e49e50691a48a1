import type { ScheduledTimer, WorldCore } from '../../kernel/world.js';

/** Node's longest timer delay in ms; longer (or invalid) delays become 1 ms, as in Node. */
const TIMEOUT_MAX_MS = 2 ** 31 - 1;
const NS_PER_MS = 1_000_000;

/** Node's delay rule: a number in `[1, TIMEOUT_MAX]` ms, truncated to whole ms; anything else is 1 ms. */
function delayNs(ms: unknown): number {
  const after = Number(ms);
  return (after >= 1 && after <= TIMEOUT_MAX_MS ? Math.trunc(after) : 1) * NS_PER_MS;
}

function assertCallback(callback: unknown): asserts callback is (...args: unknown[]) => unknown {
  if (typeof callback !== 'function') {
    throw Object.assign(new TypeError(`The "callback" argument must be of type function. Received ${callback === null ? 'null' : typeof callback}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
}

/** What a world does with an error thrown by a timer callback (in Node: an uncaught exception). */
export type UncaughtHandler = (error: unknown) => void;

/**
 * A timer of a hermetic world, shaped like Node's `Timeout` and `Immediate`: `ref`, `unref`,
 * `hasRef`, `refresh`, `close`, and a numeric id through `Symbol.toPrimitive`.
 */
export class SimTimeout {
  /** @internal */ scheduled: ScheduledTimer | undefined;
  /** @internal Cleared for good: `refresh` no longer revives it (Node's cleared timers stay cleared). */
  cleared = false;
  private refed = true;

  constructor(
    private readonly timers: WorldTimers,
    /** @internal */ readonly id: number,
    /** @internal */ readonly callback: (...args: unknown[]) => unknown,
    /** @internal */ readonly args: readonly unknown[],
    /** @internal */ readonly delayNs: number,
    /** @internal */ readonly repeat: boolean,
  ) {}

  ref(): this {
    this.refed = true;
    this.scheduled?.setRef(true);
    return this;
  }

  unref(): this {
    this.refed = false;
    this.scheduled?.setRef(false);
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  /** Starts the timer again from now with its delay (also one that already fired, as in Node). */
  refresh(): this {
    this.timers.restart(this);
    return this;
  }

  close(): this {
    this.timers.clear(this);
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }

  [Symbol.dispose](): void {
    this.timers.clear(this);
  }

  /** @internal Arms the world timer of this callback at `dueNs`. */
  schedule(world: WorldCore, dueNs: number, fire: () => void): void {
    this.scheduled?.cancel();
    // Node runs the microtasks a timer callback queues before the next timer callback.
    this.scheduled = world.setTimer(dueNs, fire, undefined, true);
    if (!this.refed) this.scheduled.setRef(false);
  }
}

/**
 * Node's timer API (`setTimeout`, `setInterval`, `setImmediate`, their `clear*`, and the promise
 * forms of `node:timers/promises`) on top of one world's scheduler. Delays follow Node's rules
 * (whole ms, at least 1); an immediate is due at the current instant, after the microtasks.
 * Every timer is set by the code running now, so it belongs to that code's host.
 */
export class WorldTimers {
  private nextId = 1;
  private readonly byId = new Map<number, SimTimeout>();

  constructor(
    private readonly world: WorldCore,
    private readonly uncaught: UncaughtHandler,
  ) {}

  setTimeout(callback: unknown, ms?: unknown, ...args: unknown[]): SimTimeout {
    assertCallback(callback);
    return this.start(new SimTimeout(this, this.nextId++, callback, args, delayNs(ms), false));
  }

  setInterval(callback: unknown, ms?: unknown, ...args: unknown[]): SimTimeout {
    assertCallback(callback);
    return this.start(new SimTimeout(this, this.nextId++, callback, args, delayNs(ms), true));
  }

  setImmediate(callback: unknown, ...args: unknown[]): SimTimeout {
    assertCallback(callback);
    return this.start(new SimTimeout(this, this.nextId++, callback, args, 0, false));
  }

  /**
   * `clearTimeout`, `clearInterval` and `clearImmediate` alike: a timer object or its numeric id.
   * Returns false for anything that is not one of this world's timers (a real timer set before
   * the world started: the caller clears it for real).
   */
  clear(timer: unknown): boolean {
    const found = timer instanceof SimTimeout ? timer : typeof timer === 'number' || typeof timer === 'string' ? this.byId.get(Number(timer)) : undefined;
    if (found === undefined) return timer === undefined || timer === null;
    found.cleared = true;
    found.scheduled?.cancel();
    this.byId.delete(found.id);
    return true;
  }

  /** @internal Arms `timer` again from now (`refresh`), unless it was cleared. */
  restart(timer: SimTimeout): void {
    if (!timer.cleared) this.start(timer);
  }

  private arm(timer: SimTimeout): void {
    timer.schedule(this.world, this.world.nowNs + timer.delayNs, () => this.fire(timer));
  }

  private start(timer: SimTimeout): SimTimeout {
    this.byId.set(timer.id, timer);
    this.arm(timer);
    return timer;
  }

  private fire(timer: SimTimeout): void {
    if (!timer.repeat) this.byId.delete(timer.id);
    try {
      timer.callback.apply(timer, timer.args as unknown[]); // Node calls it with the timer as `this`
    } catch (error) {
      this.uncaught(error);
      return;
    }
    // An interval runs again one delay after its callback, unless the callback cleared it.
    if (timer.repeat && this.byId.has(timer.id) && timer.scheduled?.pending === false) this.arm(timer);
  }

  // ---- node:timers/promises ----

  /** `timers/promises.setTimeout(delay, value, { signal, ref })`. */
  sleep<T>(ms?: unknown, value?: T, options?: TimerPromiseOptions): Promise<T> {
    return this.promise(delayNs(ms), value as T, options);
  }

  /** `timers/promises.setImmediate(value, { signal, ref })`. */
  immediate<T>(value?: T, options?: TimerPromiseOptions): Promise<T> {
    return this.promise(0, value as T, options);
  }

  /**
   * `timers/promises.setInterval(delay, value, { signal, ref })`: yields `value` once per tick of
   * an interval that starts at the first `next()`, as Node's async generator does.
   */
  async *interval<T>(ms?: unknown, value?: T, options?: TimerPromiseOptions): AsyncGenerator<T, undefined, undefined> {
    const signal = options?.signal;
    if (signal?.aborted === true) throw abortError(signal);
    let ticks = 0;
    let wake: (() => void) | undefined;
    const timer = this.setInterval(() => {
      ticks++;
      wake?.();
    }, ms);
    if (options?.ref === false) timer.unref();
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (aborted(signal)) throw abortError(signal!);
        if (ticks === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        ticks--;
        yield value as T;
      }
    } finally {
      this.clear(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private promise<T>(durationNs: number, value: T, options: TimerPromiseOptions | undefined): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.clear(timer);
        reject(abortError(signal!));
      };
      const timer = new SimTimeout(this, this.nextId++, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }, [], durationNs, false);
      if (options?.ref === false) timer.unref();
      this.start(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Options of the promise timers. */
export interface TimerPromiseOptions {
  readonly signal?: AbortSignal;
  readonly ref?: boolean;
}

/** Whether `signal` has aborted (read afresh: it changes while the iterator waits). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The error Node's promise timers reject with when their signal aborts. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
}
