/**
 * Where a world's decisions come from. Every decision of a world (random draws, BUGGIFY rolls,
 * fault dice) is one call `intLessThan(bound)`, so a run is fully described by the sequence of
 * values returned here: that sequence is what the minimizer records, edits and replays.
 */
export interface ChoiceSource {
  /** An integer in `[0, bound)`, `bound` an integer in `[1, 2^53]`. */
  intLessThan(bound: number): number;
}
