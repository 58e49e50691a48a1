import {
  abortSignalTimeout,
  callbackTimers,
  dateNow,
  fetchDispatcher,
  hrtime,
  mathRandom,
  performanceNow,
  real,
  SimDate,
} from './global-dispatchers.js';

const performancePrototype = Object.getPrototypeOf(globalThis.performance) as { now: () => number };

// Written out property by property: V8 writes a global named in the code in a few ns, while a
// loop over a table of keyed writes to the global object costs about 60 ns a property, several
// times per seed. `performance.now` is swapped on its prototype: adding and deleting an own
// property would change the object's shape twice a run.

/** Points every global a hermetic world owns at its dispatcher. */
export function swapGlobalsIn(): void {
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

/** Puts every global back to the original. */
export function swapGlobalsOut(): void {
  globalThis.setTimeout = real.setTimeout;
  globalThis.setInterval = real.setInterval;
  globalThis.setImmediate = real.setImmediate;
  globalThis.clearTimeout = real.clearTimeout;
  globalThis.clearInterval = real.clearInterval;
  globalThis.clearImmediate = real.clearImmediate;
  globalThis.Date = real.Date;
  real.Date.now = real.dateNow;
  Math.random = real.mathRandom;
  performancePrototype.now = real.performanceNow;
  process.hrtime = real.hrtime;
  AbortSignal.timeout = real.abortSignalTimeout;
  if (real.fetch !== undefined) globalThis.fetch = real.fetch as typeof fetch;
}
