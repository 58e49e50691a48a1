/**
 * Hermetic worlds: while a case runs in a world, the process's time, timers and randomness belong
 * to that world, and real network calls fail the run at once.
 *
 * Two ways in, one set of functions. Each patched API has one dispatcher, made once
 * (`global-dispatchers.ts`, `patch-modules.ts`), that asks which hermetic world is running: the
 * world's implementation while one runs, the real function otherwise.
 * - Globals (`setTimeout`, `Date`, `Math.random`, `performance.now`, `process.hrtime`, `fetch`, …)
 *   point at their dispatchers only while a world runs and are the originals at every other
 *   moment (`swap-globals.ts`).
 * - Module functions (`node:timers`, `node:timers/promises`, `node:crypto`, Web Crypto's
 *   prototype, `net`, `dgram`, `http`, `https`) point at their dispatchers for good, from the
 *   moment this module loads: code that destructured them (`const { setTimeout } = require('timers')`,
 *   ESM named imports, `getRandomValues.bind(crypto)`) after that still reaches the world.
 *   Rewriting ESM bindings of builtins (`syncBuiltinESMExports`) costs about 7 µs, too much to do
 *   twice per seed, which is why these are not swapped per run.
 *
 * Runs in one process take turns (`_internals/run-turns.ts`): a world runs from start to end
 * without yielding to the event loop, so turns cost nothing while runs are sequential.
 * @module
 */
import type { World } from '../world.js';
import { setActiveWorld } from './active-world.js';
import './patch-modules.js';
import { swapGlobalsIn, swapGlobalsOut } from './swap-globals.js';

export { MONOTONIC_ORIGIN_NS } from './global-dispatchers.js';

/** The default epoch of a hermetic world's `Date`: 2020-01-01T00:00:00Z, in ms. */
export const DEFAULT_EPOCH_MS = Date.UTC(2020, 0, 1);

/**
 * Makes `world` the process's hermetic world: globals are the world's from now until
 * {@link exitHermetic}. The caller holds the run turn (`takeTurn`), so no other world is running.
 */
export function enterHermetic(world: World, epochMs: number): void {
  setActiveWorld(world, epochMs);
  swapGlobalsIn();
}

/** Ends the hermetic run: every global is the original again. */
export function exitHermetic(): void {
  swapGlobalsOut();
  setActiveWorld(undefined);
}
