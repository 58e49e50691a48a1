import type { Case } from '../define-case.js';
import type { ProfileInput } from '../../faults/profiles/fault-profile.js';
import type { CorpusEntry } from './corpus-entry.js';
import { fitCorpus } from './corpus.js';
import { LANE_RUNS, ROUND_RUNS, runLane, type LaneRun } from './run-lane.js';

/** Options of {@link runGuidedInProcess}. */
export interface GuidedRunOptions {
  readonly firstSeed: bigint;
  readonly seeds: number;
  readonly profile: ProfileInput;
  /** Called after every run in offset order; `'stop'` ends the search. */
  readonly onRun: (run: LaneRun) => void | 'stop' | Promise<void | 'stop'>;
}

/** What an in-process guided search did. */
export interface GuidedRunSummary {
  readonly runs: number;
  readonly mutationRuns: number;
  /** The corpus at the end, in offset order. */
  readonly corpus: readonly CorpusEntry[];
}

/**
 * Guided search in this thread, lane after lane, with exactly the rounds of a guided campaign
 * (`mar fuzz --guided`): every lane of a round starts from the corpus of the rounds before it,
 * so the same seeds make the same runs here and in a campaign with any number of workers.
 */
export async function runGuidedInProcess(c: Case, options: GuidedRunOptions): Promise<GuidedRunSummary> {
  let corpus: CorpusEntry[] = [];
  let runs = 0;
  let mutationRuns = 0;
  for (let roundStart = 0; roundStart < options.seeds; roundStart += ROUND_RUNS) {
    const found: CorpusEntry[] = [];
    const roundEnd = Math.min(options.seeds, roundStart + ROUND_RUNS);
    // What a campaign's coordinator sends its lanes: the corpus so far, fitted to the limits.
    const snapshot = fitCorpus(corpus);
    for (let laneStart = roundStart; laneStart < roundEnd; laneStart += LANE_RUNS) {
      const lane = await runLane(c, {
        firstSeed: options.firstSeed + BigInt(laneStart),
        firstOffset: laneStart,
        count: Math.min(LANE_RUNS, roundEnd - laneStart),
        profile: options.profile,
        corpus: snapshot,
        onRun: options.onRun,
      });
      runs += lane.runs;
      mutationRuns += lane.mutationRuns;
      found.push(...lane.entries);
      if (lane.stopped) return { runs, mutationRuns, corpus: [...corpus, ...found] };
    }
    corpus = [...corpus, ...found];
  }
  return { runs, mutationRuns, corpus };
}
