/**
 * Messages between the campaign coordinator and its piscina workers (structured-cloned).
 * Seeds travel as decimal text; a task's progress slot is shared memory the coordinator reads to
 * tell which seed a worker is on (and so which seed ran away).
 */
import type { NewFailure } from '../store/failure-store.js';
import type { PartialProfile } from '../../faults/profiles/fault-profile.js';
import type { CorpusEntry } from '../../harness/guided/corpus-entry.js';

/**
 * Index in a task's progress slot: the offset within the task of the seed being run. It starts at
 * -1 (the task is queued or its worker is starting), so time spent waiting is never blamed on a seed.
 */
export const PROGRESS_SEED_INDEX = 0;
/** The progress value of a task that has not started a seed yet. */
export const PROGRESS_NOT_STARTED = -1;
/** Int32 words in a progress slot. */
export const PROGRESS_WORDS = 1;

/** Run `count` consecutive seeds from `firstSeed`. */
export interface RangeTask {
  readonly kind: 'range';
  readonly caseRef: string;
  /** The directory `caseRef` is resolved against. */
  readonly cwd: string;
  /** `none`, `smoke`, `swarm`, or a concrete profile object. */
  readonly profile: string | PartialProfile;
  readonly firstSeed: string;
  /** Offset of `firstSeed` within the campaign. */
  readonly firstOffset: number;
  readonly count: number;
  /** Seed `i` of the task is `firstSeed + seedStride * i` (a shard's stride; default 1). */
  readonly seedStride?: number;
  /** Audit one passing seed in `auditEvery` (chosen by a hash of the seed) by running it twice. */
  readonly auditEvery: number;
  /** Full reports (two runs, stack traces, full trace) for at most this many failures per signature in the task. */
  readonly keepTraces: number;
  /** Shared `Int32Array(PROGRESS_WORDS)` the worker updates as it goes. */
  readonly progress: SharedArrayBuffer;
  /**
   * Replay this choice sequence instead of the seed's generator (only with `count` 1: a run found
   * by guided search that ran away or crashed its worker, replayed in a worker).
   */
  readonly choices?: readonly number[];
}

/**
 * Run a lane of a guided campaign: `count` runs from `firstSeed`, each a fresh seed or a mutated
 * corpus tape (see `runLane`), starting from the corpus of the rounds before the lane's.
 */
export interface GuidedRangeTask extends Omit<RangeTask, 'kind' | 'choices'> {
  readonly kind: 'guided-range';
  readonly corpus: readonly CorpusEntry[];
  /** Runs that ran away or crashed a worker before: not run again, recorded as these failures. */
  readonly skip: readonly SkippedRun[];
}

/** A run of a guided lane that is recorded as a failure without being run again. */
export interface SkippedRun {
  readonly offset: number;
  readonly kind: 'timeout' | 'scenario_error';
  readonly errorName: string;
  readonly errorMessage: string;
}

/** What a range task returns: its results, or why the worker itself could not run it. */
export type RangeResult = RangeDone | RangeError;

/** A range task that ran every seed. */
export interface RangeDone {
  readonly kind: 'range';
  readonly seedsRun: number;
  readonly failures: NewFailure[];
  readonly elapsedMs: number;
  /** Assertion coverage of the range: each name hit, by how many of its runs, first at which offset. */
  readonly coverage: CoverageCount[];
  /** What a guided lane adds to its campaign's corpus (absent for an unguided range). */
  readonly guided?: GuidedLaneResult;
}

/** The corpus side of a guided lane. */
export interface GuidedLaneResult {
  /** Runs that mutated a corpus tape rather than starting from a fresh seed. */
  readonly mutationRuns: number;
  /** The lane's new corpus entries, in offset order. */
  readonly entries: CorpusEntry[];
}

/** How many runs of a batch hit one `sometimes` or `reachable` name (no per-seed rows). */
export interface CoverageCount {
  readonly name: string;
  readonly kind: 'sometimes' | 'reachable';
  readonly runs: number;
  /** The campaign offset of the first seed that hit it. */
  readonly firstOffset: number;
}

/**
 * The worker could not run the range (the case failed to load, a seed was invalid): a harness
 * problem, not a failure of the case, so the campaign stops instead of retrying.
 */
export interface RangeError {
  readonly kind: 'range-error';
  readonly message: string;
}

/** Minimize one failing seed. */
export interface MinimizeTask {
  readonly kind: 'minimize';
  readonly caseRef: string;
  readonly cwd: string;
  readonly seed: string;
  /** The concrete profile the seed failed under. */
  readonly profile: PartialProfile;
  readonly maxRuns: number;
  readonly maxMs: number;
  /** The choice sequence of a failure found from a mutated tape: minimization starts from it. */
  readonly choices?: readonly number[];
}

/** What a minimize task returns (nothing when the failure cannot be minimized in-process). */
export interface MinimizeTaskResult {
  readonly kind: 'minimize';
  readonly minimized: {
    readonly artifact: string;
    readonly trace: string;
    readonly traceHash: string;
    readonly eventCount: number;
    readonly originalEventCount: number;
    readonly runs: number;
  } | null;
  readonly error: string | null;
}

export type WorkerTask = RangeTask | GuidedRangeTask | MinimizeTask;
export type WorkerResult = RangeResult | MinimizeTaskResult;
