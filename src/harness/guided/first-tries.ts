import type { CorpusEntry } from './corpus-entry.js';
import type { MutationPlan } from './mutate-tape.js';

/** A mutation of one entry aimed at one of its points. */
export interface Aim {
  readonly entry: CorpusEntry;
  readonly point: string;
  readonly focus: number;
  readonly plan: MutationPlan;
}

/** Most distinct places of one new entry that get first tries. */
const MAX_FIRST_TRY_FOCUSES = 4;
/** Redraws of the decision at each place. */
const REDRAWS = 3;

/**
 * The first mutations of an entry a lane just found (AFL's deterministic stage, for choice
 * tapes): at each place where the run reached a new point, repeat the decision just before it
 * (the step that made progress, once more) and redraw the decision right after it. The newest
 * find is the most promising one, so a lane works through these before it draws weighted
 * mutations again; a protocol that needs several rare steps in a row is climbed a step per find.
 * At most {@link MAX_FIRST_TRY_FOCUSES} places, the latest ones first.
 */
export function firstTries(entry: CorpusEntry): Aim[] {
  const byFocus = new Map<number, string>();
  for (const [point, focus] of entry.points) {
    // After the run's last decision there is no decision to repeat into or redraw.
    if (focus < entry.choices.length && !byFocus.has(focus)) byFocus.set(focus, point);
  }
  const focuses = [...byFocus.keys()].sort((a, b) => b - a).slice(0, MAX_FIRST_TRY_FOCUSES);
  return focuses.flatMap((focus) => {
    const point = byFocus.get(focus)!;
    const repeat: Aim = { entry, point, focus, plan: { mutation: 'duplicate', placement: 'at-focus', span: 1 } };
    const redraw: Aim = { entry, point, focus, plan: { mutation: 'change', placement: 'at-focus' } };
    return [repeat, ...Array.from({ length: REDRAWS }, () => redraw)];
  });
}
