/**
 * Hermetic worlds: while a case runs in a world, the process's time, timers and randomness belong
 * to that world, and real network calls fail the run at once.
 *
 * Two ways in, one set of functions. Each patched API has one dispatcher, made once, that asks
 * which hermetic world is running: the world's implementation while one runs, the real function
 * otherwise.
 * - Globals (`setTimeout`, `Date`, `Math.random`, `performance.now`, `process.hrtime`, `fetch`, …)
 *   point at their dispatchers only while a world runs and are the originals at every other
 *   moment.
 * - Module functions (`node:timers`, `node:timers/promises`, `node:crypto`, Web Crypto's
 *   prototype, `net`, `dgram`, `http`, `https`) point at their dispatchers for good, from the
 *   moment this module loads: code that destructured them (`const { setTimeout } = require('timers')`,
 *   ESM named imports, `getRandomValues.bind(crypto)`) after that still reaches the world.
 *   Rewriting ESM bindings of builtins (`syncBuiltinESMExports`) costs about 7 µs, too much to do
 *   twice per seed, which is why these are not swapped per run.
 *
 * Hermetic runs in one process take turns (see {@link enterHermetic}): a world runs from start to
 * end without yielding to the event loop, so turns cost nothing while runs are sequential.
 * @module
 */
import crypto, { webcrypto } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import { RealIoInWorld } from '../errors.js';
import type { World } from '../world.js';
import { makeSimDate } from './sim-date.js';
import { WorldRandomness } from './world-randomness.js';
import { WorldTimers, type TimerPromiseOptions } from './world-timers.js';

/** The default epoch of a hermetic world's `Date`: 2020-01-01T00:00:00Z, in ms. */
export const DEFAULT_EPOCH_MS = Date.UTC(2020, 0, 1);

/**
 * What `performance.now()` and `process.hrtime` read at simulated time 0: 1 s, as if the process
 * had run for a second before the world started. Real monotonic clocks are never 0 when user code
 * runs, and libraries use 0 to mean "no time set" (lru-cache's TTL start, for one).
 */
export const MONOTONIC_ORIGIN_NS = 1_000_000_000;

type AnyFunction = (...args: any[]) => any;

/** The real time sources and timers, taken before anything is patched. */
const real = Object.freeze({
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  Date: globalThis.Date,
  dateNow: globalThis.Date.now,
  mathRandom: Math.random,
  performanceNow: globalThis.performance.now,
  hrtime: process.hrtime,
  fetch: globalThis.fetch as AnyFunction | undefined,
  abortSignalTimeout: AbortSignal.timeout,
});

/** The world running now, with its timers and randomness (made on first use). */
interface ActiveWorld {
  readonly world: World;
  readonly epochMs: number;
  timers: WorldTimers | undefined;
  randomness: WorldRandomness | undefined;
}

let active: ActiveWorld | undefined;

function timersOf(a: ActiveWorld): WorldTimers {
  return (a.timers ??= new WorldTimers(a.world, (error) => a.world.failUncaught(error)));
}

function randomnessOf(a: ActiveWorld): WorldRandomness {
  return (a.randomness ??= new WorldRandomness(a.world.choices));
}

/** Fails the running world: `call` would do real network I/O. */
function realIo(a: ActiveWorld, call: string): RealIoInWorld {
  const error = new RealIoInWorld(`${call}: real network I/O inside a simulated world; use the world's network (sim.endpoint or hostEnv.endpoint()) instead`);
  a.world.fail(error);
  return error;
}

/** A dispatcher: the world's `sim` while a hermetic world runs, `realFn` (with the caller's `this`) otherwise. */
function dispatch<F extends AnyFunction>(realFn: F, sim: (a: ActiveWorld, args: Parameters<F>) => ReturnType<F>): F {
  const dispatcher = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const a = active;
    return a === undefined ? realFn.apply(this, args) : sim(a, args);
  };
  Object.defineProperty(dispatcher, 'name', { value: realFn.name });
  return dispatcher as unknown as F;
}

function refuse<F extends AnyFunction>(realFn: F, call: string, rejects = false): F {
  return dispatch(realFn, (a) => {
    const error = realIo(a, call);
    if (rejects) return Promise.reject(error) as ReturnType<F>;
    throw error;
  });
}

// ---- the dispatchers ----

const promiseTimers = {
  setTimeout: dispatch(timersPromises.setTimeout, (a, [ms, value, options]) => timersOf(a).sleep(ms, value, options)),
  setImmediate: dispatch(timersPromises.setImmediate, (a, [value, options]) => timersOf(a).immediate(value, options)),
  setInterval: dispatch(timersPromises.setInterval, (a, [ms, value, options]) => timersOf(a).interval(ms, value, options)),
  wait: dispatch(timersPromises.scheduler.wait.bind(timersPromises.scheduler), (a, [ms, options]) =>
    timersOf(a).sleep<void>(ms, undefined, options as TimerPromiseOptions),
  ),
  yield: dispatch(timersPromises.scheduler.yield.bind(timersPromises.scheduler), (a) => timersOf(a).immediate<void>()),
};

const callbackTimers = {
  setTimeout: dispatch(real.setTimeout, (a, [callback, ms, ...args]) => timersOf(a).setTimeout(callback, ms, ...args) as any),
  setInterval: dispatch(real.setInterval, (a, [callback, ms, ...args]) => timersOf(a).setInterval(callback, ms, ...args) as any),
  setImmediate: dispatch(real.setImmediate, (a, [callback, ...args]) => timersOf(a).setImmediate(callback, ...args) as any),
  clearTimeout: dispatch(real.clearTimeout, (a, [timer]) => timersOf(a).clear(timer)),
  clearInterval: dispatch(real.clearInterval, (a, [timer]) => timersOf(a).clear(timer)),
  clearImmediate: dispatch(real.clearImmediate, (a, [timer]) => timersOf(a).clear(timer)),
};
// util.promisify(setTimeout) must keep giving the promise form, as it does for Node's own.
Object.defineProperty(callbackTimers.setTimeout, promisify.custom, { value: promiseTimers.setTimeout });
Object.defineProperty(callbackTimers.setImmediate, promisify.custom, { value: promiseTimers.setImmediate });

const nowMs = (a: ActiveWorld): number => a.epochMs + Math.floor(a.world.nowNs / 1e6);
const SimDate = makeSimDate(real.Date, () => (active === undefined ? real.dateNow() : nowMs(active)));
const dateNow = dispatch(real.dateNow, nowMs);
const mathRandom = dispatch(real.mathRandom, (a) => randomnessOf(a).mathRandom());
const performanceNow = dispatch(real.performanceNow, (a) => (MONOTONIC_ORIGIN_NS + a.world.nowNs) / 1e6);
const hrtime = Object.assign(
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
const abortSignalTimeout = dispatch(real.abortSignalTimeout, (a, [ms]) => {
  const controller = new AbortController();
  timersOf(a).setTimeout(() => controller.abort(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError', code: 23 })), ms).unref();
  return controller.signal;
});

const realCrypto = {
  randomUUID: crypto.randomUUID,
  randomBytes: crypto.randomBytes,
  randomInt: crypto.randomInt,
  randomFillSync: crypto.randomFillSync,
  randomFill: crypto.randomFill,
};
const cryptoPrototype = Object.getPrototypeOf(webcrypto) as { getRandomValues: AnyFunction; randomUUID: AnyFunction };

/** Calls `callback(null, value)` at the current instant, as Node's async randomness calls back later. */
function callBack(a: ActiveWorld, callback: unknown, value: unknown): undefined {
  timersOf(a).setImmediate(callback, null, value);
  return undefined;
}

// ---- permanent patches of module functions ----

function patch(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
}

for (const [key, value] of Object.entries(callbackTimers)) patch(timers, key, value);
for (const key of ['setTimeout', 'setImmediate', 'setInterval'] as const) patch(timersPromises, key, promiseTimers[key]);
patch(timersPromises.scheduler, 'wait', promiseTimers.wait);
patch(timersPromises.scheduler, 'yield', promiseTimers.yield);
patch(crypto, 'randomUUID', dispatch(realCrypto.randomUUID as AnyFunction, (a) => randomnessOf(a).randomUUID()));
patch(crypto, 'randomBytes', dispatch(realCrypto.randomBytes as AnyFunction, (a, [size, callback]) => {
  const bytes = randomnessOf(a).randomBytes(size);
  return callback === undefined ? bytes : callBack(a, callback, bytes);
}));
patch(crypto, 'randomInt', dispatch(realCrypto.randomInt as AnyFunction, (a, args: unknown[]) => {
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  const [min, max] = args.length === 1 ? [0, args[0] as number] : [args[0] as number, args[1] as number];
  const value = randomnessOf(a).randomInt(min, max);
  return callback === undefined ? value : callBack(a, callback, value);
}));
patch(crypto, 'randomFillSync', dispatch(realCrypto.randomFillSync as AnyFunction, (a, [buffer, offset, size]) => randomnessOf(a).randomFillSync(buffer, offset, size)));
patch(crypto, 'randomFill', dispatch(realCrypto.randomFill as AnyFunction, (a, args: unknown[]) => {
  const callback = args.pop();
  const [buffer, offset, size] = args as [ArrayBufferView, number | undefined, number | undefined];
  return callBack(a, callback, randomnessOf(a).randomFillSync(buffer, offset, size));
}));
// node:crypto's own getRandomValues is a fixed getter of a function that calls Web Crypto's, so
// patching the prototype covers it, globalThis.crypto and webcrypto alike.
patch(cryptoPrototype, 'getRandomValues', dispatch(cryptoPrototype.getRandomValues, (a, [array]) => randomnessOf(a).getRandomValues(array)));
patch(cryptoPrototype, 'randomUUID', dispatch(cryptoPrototype.randomUUID, (a) => randomnessOf(a).randomUUID() as ReturnType<typeof cryptoPrototype.randomUUID>));
patch(net, 'connect', refuse(net.connect, 'net.connect'));
patch(net, 'createConnection', refuse(net.createConnection, 'net.createConnection'));
patch(dgram, 'createSocket', refuse(dgram.createSocket, 'dgram.createSocket'));
patch(http, 'request', refuse(http.request, 'http.request'));
patch(http, 'get', refuse(http.get, 'http.get'));
patch(https, 'request', refuse(https.request, 'https.request'));
patch(https, 'get', refuse(https.get, 'https.get'));
syncBuiltinESMExports();

// ---- per-run swaps of globals ----

const fetchDispatcher = real.fetch === undefined ? undefined : refuse(real.fetch, 'fetch', true);
const performancePrototype = Object.getPrototypeOf(globalThis.performance) as { now: () => number };
const realPerformancePrototypeNow = performancePrototype.now;

// Written out property by property: V8 writes a global named in the code in a few ns, while a
// loop over a table of keyed writes costs about 60 ns a property, several times per seed.
function swapIn(): void {
  globalThis.setTimeout = callbackTimers.setTimeout;
  globalThis.setInterval = callbackTimers.setInterval;
  globalThis.setImmediate = callbackTimers.setImmediate;
  globalThis.clearTimeout = callbackTimers.clearTimeout;
  globalThis.clearInterval = callbackTimers.clearInterval;
  globalThis.clearImmediate = callbackTimers.clearImmediate;
  globalThis.Date = SimDate;
  real.Date.now = dateNow;
  Math.random = mathRandom;
  performancePrototype.now = performanceNow;
  process.hrtime = hrtime;
  AbortSignal.timeout = abortSignalTimeout;
  if (fetchDispatcher !== undefined) globalThis.fetch = fetchDispatcher;
}

function swapOut(): void {
  globalThis.setTimeout = real.setTimeout;
  globalThis.setInterval = real.setInterval;
  globalThis.setImmediate = real.setImmediate;
  globalThis.clearTimeout = real.clearTimeout;
  globalThis.clearInterval = real.clearInterval;
  globalThis.clearImmediate = real.clearImmediate;
  globalThis.Date = real.Date;
  real.Date.now = real.dateNow;
  Math.random = real.mathRandom;
  performancePrototype.now = realPerformancePrototypeNow;
  process.hrtime = real.hrtime;
  AbortSignal.timeout = real.abortSignalTimeout;
  if (real.fetch !== undefined) globalThis.fetch = real.fetch as typeof fetch;
}

// ---- turns ----

/** Whether a hermetic run holds the turn. */
let busy = false;
/** Runs waiting for the turn, oldest first; the turn passes straight to the next one, which enters. */
const waiting: (() => void)[] = [];

/**
 * Makes `world` the process's hermetic world: globals are the world's from now until
 * {@link exitHermetic}. Hermetic runs take turns: while another is in progress this returns a
 * promise that settles when this run's turn has come (and it has entered); otherwise it enters at
 * once and returns undefined, so a run without competition awaits nothing.
 */
export function enterHermetic(world: World, epochMs: number): Promise<void> | undefined {
  if (!busy) {
    busy = true;
    enter(world, epochMs);
    return undefined;
  }
  return new Promise<void>((resolve) =>
    waiting.push(() => {
      enter(world, epochMs);
      resolve();
    }),
  );
}

/** Ends the hermetic run: every global is the original again, and the next waiting run enters. */
export function exitHermetic(): void {
  swapOut();
  active = undefined;
  const next = waiting.shift();
  if (next === undefined) busy = false;
  else next();
}

function enter(world: World, epochMs: number): void {
  active = { world, epochMs, timers: undefined, randomness: undefined };
  swapIn();
}
