import type { Prng } from '../../kernel/prng.js';
import { MUTATIONS, type Mutation, type Placement } from './mutate-tape.js';

/** One way to mutate: what to do, and where. */
export interface Arm {
  readonly mutation: Mutation;
  readonly placement: Placement;
}

/**
 * Out of 8: how often a drawn mutation acts at the focus (the decision right after the point is
 * the one most likely to lead on), a few decisions after it (unrelated draws may come between),
 * or anywhere.
 */
const PLACEMENT_OF_8: readonly Placement[] = ['at-focus', 'at-focus', 'at-focus', 'at-focus', 'at-focus', 'after-focus', 'anywhere', 'anywhere'];

/**
 * Chooses mutations by how well they have worked in this lane (MOpt's idea, in its simplest
 * form): each mutation is picked with probability proportional to its Laplace success rate `(wins + 1) / (uses + 2)`, a win being a run that added coverage. What
 * works for the case under test (repeating the step that made progress, redrawing the tail) soon
 * gets most of the runs, and no arm ever drops to zero.
 */
export class MutationSchedule {
  private readonly uses = new Float64Array(MUTATIONS.length);
  private readonly wins = new Float64Array(MUTATIONS.length);

  /** Draws a mutation by its success so far, and a placement (see PLACEMENT_OF_8). */
  pick(rng: Prng): Arm {
    let total = 0;
    for (let i = 0; i < MUTATIONS.length; i++) total += this.rate(i);
    let target = (rng.nextU32() / 2 ** 32) * total;
    let index = MUTATIONS.length - 1;
    for (let i = 0; i < MUTATIONS.length; i++) {
      target -= this.rate(i);
      if (target < 0) {
        index = i;
        break;
      }
    }
    return { mutation: MUTATIONS[index]!, placement: PLACEMENT_OF_8[rng.intLessThan(8)]! };
  }

  /** Counts a run of `mutation`. */
  record(mutation: Mutation, won: boolean): void {
    const index = MUTATIONS.indexOf(mutation);
    this.uses[index]!++;
    if (won) this.wins[index]!++;
  }

  private rate(index: number): number {
    return (this.wins[index]! + 1) / (this.uses[index]! + 2);
  }
}
