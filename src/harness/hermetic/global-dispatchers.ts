import { promisify } from 'node:util';
import timersPromises from 'node:timers/promises';
import { activeWorld, dispatch, randomnessOf, refuse, timersOf, type ActiveWorld, type AnyFunction } from './active-world.js';
import { makeSimDate } from './sim-date.js';
import type { TimerPromiseOptions } from './world-timers.js';

/**
 * What `performance.now()` and `process.hrtime` read at simulated time 0: 1 s, as if the process
 * had run for a second before the world started. Real monotonic clocks are never 0 when user code
 * runs, and libraries use 0 to mean "no time set" (lru-cache's TTL start, for one).
 */
export const MONOTONIC_ORIGIN_NS = 1_000_000_000;

/** The real time sources, timers and network entry points, taken before anything is patched. */
export const real = Object.freeze({
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  Date: globalThis.Date,
  dateNow: globalThis.Date.now,
  mathRandom: Math.random,
  performanceNow: Object.getPrototypeOf(globalThis.performance).now as () => number,
  hrtime: process.hrtime,
  fetch: globalThis.fetch as AnyFunction | undefined,
  abortSignalTimeout: AbortSignal.timeout,
});

/** `node:timers/promises` and `scheduler`, on world time. */
export const promiseTimers = {
  setTimeout: dispatch(timersPromises.setTimeout, (a, [ms, value, options]) => timersOf(a).sleep(ms, value, options)),
  setImmediate: dispatch(timersPromises.setImmediate, (a, [value, options]) => timersOf(a).immediate(value, options)),
  setInterval: dispatch(timersPromises.setInterval, (a, [ms, value, options]) => timersOf(a).interval(ms, value, options)),
  wait: dispatch(timersPromises.scheduler.wait.bind(timersPromises.scheduler), (a, [ms, options]) =>
    timersOf(a).sleep<void>(ms, undefined, options as TimerPromiseOptions),
  ),
  yield: dispatch(timersPromises.scheduler.yield.bind(timersPromises.scheduler), (a) => timersOf(a).immediate<void>()),
};

/** The callback timers of the globals and of `node:timers`, on world time. */
export const callbackTimers = {
  setTimeout: dispatch(real.setTimeout, (a, [callback, ms, ...args]) => timersOf(a).setTimeout(callback, ms, ...args) as any),
  setInterval: dispatch(real.setInterval, (a, [callback, ms, ...args]) => timersOf(a).setInterval(callback, ms, ...args) as any),
  setImmediate: dispatch(real.setImmediate, (a, [callback, ...args]) => timersOf(a).setImmediate(callback, ...args) as any),
  // A handle that is not the world's is a real timer set before the world started: clear it for real.
  clearTimeout: dispatch(real.clearTimeout, (a, [timer]) => void (timersOf(a).clear(timer) || real.clearTimeout(timer))),
  clearInterval: dispatch(real.clearInterval, (a, [timer]) => void (timersOf(a).clear(timer) || real.clearInterval(timer))),
  clearImmediate: dispatch(real.clearImmediate, (a, [timer]) => void (timersOf(a).clear(timer) || real.clearImmediate(timer as NodeJS.Immediate))),
};
// util.promisify(setTimeout) must keep giving the promise form, as it does for Node's own.
Object.defineProperty(callbackTimers.setTimeout, promisify.custom, { value: promiseTimers.setTimeout });
Object.defineProperty(callbackTimers.setImmediate, promisify.custom, { value: promiseTimers.setImmediate });

const nowMs = (a: ActiveWorld): number => a.epochMs + Math.floor(a.world.nowNs / 1e6);

/** `Date` whose no-argument forms read the world's clock from its epoch. */
export const SimDate = makeSimDate(real.Date, () => {
  const a = activeWorld();
  return a === undefined ? real.dateNow() : nowMs(a);
});
/** `Date.now` of the real `Date` constructor (code that kept a reference to it). */
export const dateNow = dispatch(real.dateNow, nowMs);
export const mathRandom = dispatch(real.mathRandom, (a) => randomnessOf(a).mathRandom());
export const performanceNow = dispatch(real.performanceNow, (a) => (MONOTONIC_ORIGIN_NS + a.world.nowNs) / 1e6);
export const hrtime = Object.assign(
  dispatch(real.hrtime, (a, [previous]) => {
    const ns = MONOTONIC_ORIGIN_NS + a.world.nowNs;
    let seconds = Math.floor(ns / 1e9);
    let nanos = ns % 1e9;
    if (previous !== undefined) {
      seconds -= previous[0];
      nanos -= previous[1];
      if (nanos < 0) {
        seconds -= 1;
        nanos += 1e9;
      }
    }
    return [seconds, nanos] as [number, number];
  }),
  { bigint: dispatch(real.hrtime.bigint, (a) => BigInt(MONOTONIC_ORIGIN_NS + a.world.nowNs)) },
);
export const abortSignalTimeout = dispatch(real.abortSignalTimeout, (a, [ms]) => {
  const controller = new AbortController();
  const abort = () => controller.abort(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError', code: 23 }));
  timersOf(a).setTimeout(abort, ms).unref();
  return controller.signal;
});
export const fetchDispatcher = real.fetch === undefined ? undefined : refuse(real.fetch, 'fetch', true);
