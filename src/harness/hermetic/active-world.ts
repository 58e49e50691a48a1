import { RealIoInWorld } from '../errors.js';
import type { World } from '../world.js';
import { WorldRandomness } from './world-randomness.js';
import { WorldTimers } from './world-timers.js';

/** The hermetic world running now, with its timers and randomness (made on first use). */
export interface ActiveWorld {
  readonly world: World;
  /** What `Date.now()` reads at simulated time 0. */
  readonly epochMs: number;
  timers: WorldTimers | undefined;
  randomness: WorldRandomness | undefined;
}

let active: ActiveWorld | undefined;

/** The hermetic world running now, if any. */
export function activeWorld(): ActiveWorld | undefined {
  return active;
}

/** Sets (or, with undefined, clears) the hermetic world running now. */
export function setActiveWorld(world: World | undefined, epochMs = 0): void {
  active = world === undefined ? undefined : { world, epochMs, timers: undefined, randomness: undefined };
}

export function timersOf(a: ActiveWorld): WorldTimers {
  return (a.timers ??= new WorldTimers(a.world, (error) => a.world.failUncaught(error)));
}

export function randomnessOf(a: ActiveWorld): WorldRandomness {
  return (a.randomness ??= new WorldRandomness(a.world.choices));
}

export type AnyFunction = (...args: any[]) => any;

/**
 * A dispatcher of one API: `sim` with the running world while a hermetic world runs, `realFn`
 * (with the caller's `this`) otherwise. Made once per API; installing it is the caller's job.
 */
export function dispatch<F extends AnyFunction>(realFn: F, sim: (a: ActiveWorld, args: Parameters<F>) => ReturnType<F>): F {
  const dispatcher = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const a = active;
    if (a === undefined) return realFn.apply(this, args);
    a.world.assertOwnerAlive(); // a crashed host's leftover code stops here
    return sim(a, args);
  };
  Object.defineProperty(dispatcher, 'name', { value: realFn.name });
  return dispatcher as unknown as F;
}

/**
 * A dispatcher that, inside a hermetic world, fails the run at once: `call` would do real network
 * I/O. It throws (or, with `rejects`, returns a rejected promise, as `fetch` would).
 */
export function refuse<F extends AnyFunction>(realFn: F, call: string, rejects = false): F {
  return dispatch(realFn, (a) => {
    const error = new RealIoInWorld(`${call}: real network I/O inside a simulated world; use the world's network (sim.endpoint or hostEnv.endpoint()) instead`);
    a.world.fail(error);
    if (rejects) return Promise.reject(error) as ReturnType<F>;
    throw error;
  });
}
