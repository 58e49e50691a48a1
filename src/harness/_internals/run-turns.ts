import { real } from '../hermetic/global-dispatchers.js';

/** Whether a run holds the turn. */
let busy = false;
/** Runs waiting for the turn, oldest first. */
const waiting: (() => void)[] = [];

/**
 * Takes the process's turn to run a world. Runs take turns, hermetic or not: a hermetic world owns
 * the process's globals while it runs, and a run beside it (`Promise.all` of two `runCase`) would
 * draw from that world's choices through them. Returns undefined when the turn was free (a run
 * without competition awaits nothing), else a promise that settles when the turn is this run's.
 */
export function takeTurn(): Promise<void> | undefined {
  if (!busy) {
    busy = true;
    return undefined;
  }
  return new Promise<void>((resolve) => waiting.push(resolve));
}

/**
 * Gives the turn up. The next waiting run gets it on a later turn of the event loop, so the code
 * that awaited the finished run carries on first, with every global the original.
 */
export function endTurn(): void {
  const next = waiting.shift();
  if (next === undefined) busy = false;
  else real.setImmediate(next);
}
