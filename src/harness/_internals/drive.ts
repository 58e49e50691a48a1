import type { WorldCore } from '../../kernel/world.js';

/** How one phase of a run (init, scenario, a check, deinit) ended. */
export type PhaseOutcome<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'error'; readonly error: unknown }
  | { readonly status: 'stalled' }
  | { readonly status: 'fatal'; readonly error: unknown };

/**
 * Runs one phase inside `world` and reports how it ended. A phase that returns a promise is
 * awaited while the world's scheduler fires simulated timers; if the world goes idle (microtasks
 * drained, no timer pending) while the promise is still pending, the phase awaited something the
 * simulation will never settle and is reported `stalled`. A world stopped by a fatal error (event
 * limit, clock overflow, real I/O in a hermetic world, a host's error) is reported `fatal` even if
 * user code caught the error.
 */
export function drive<T>(world: WorldCore, phase: () => T | PromiseLike<T>): PhaseOutcome<T> | Promise<PhaseOutcome<T>> {
  let result: T | PromiseLike<T>;
  try {
    result = phase();
  } catch (error) {
    return settled(world, { status: 'error', error });
  }
  if (!isThenable(result)) return settled(world, { status: 'ok', value: result });
  const pending = result;
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: PhaseOutcome<T>): void => {
      if (done) return;
      done = true;
      stopWatching();
      resolve(settled(world, outcome));
    };
    const stopWatching = world.watchIdle(() => finish({ status: 'stalled' }));
    pending.then(
      (value) => finish({ status: 'ok', value }),
      (error: unknown) => finish({ status: 'error', error }),
    );
  });
}

function settled<T>(world: WorldCore, outcome: PhaseOutcome<T>): PhaseOutcome<T> {
  return world.failed ? { status: 'fatal', error: world.fatal } : outcome;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
