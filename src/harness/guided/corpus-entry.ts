import type { FaultProfile } from '../../faults/profiles/fault-profile.js';

/**
 * A choice tape that reached coverage no earlier run had: guided search mutates it instead of
 * starting from a fresh seed. Plain data, so it travels to workers and into the store as it is.
 */
export interface CorpusEntry {
  /** The campaign offset of the run that found it. */
  readonly offset: number;
  /** The concrete fault profile it ran under; runs mutated from it keep it. */
  readonly profile: FaultProfile;
  /** The decisions the run made, in order (each below the bound it was drawn with). */
  readonly choices: readonly number[];
  /**
   * The coverage points it added, each with the number of decisions the run had made when it
   * first reached the point: mutations aim there, at the decisions that come next.
   */
  readonly points: readonly (readonly [point: string, decisionIndex: number])[];
}
