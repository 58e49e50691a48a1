import { RecordingChoices, TapeChoices } from '../../kernel/choice-tape.js';
import { Prng } from '../../kernel/prng.js';
import type { Case } from '../define-case.js';
import { runOnce, type RunOutcome } from '../run-once.js';
import { normalizeProfile, type FaultProfile, type ProfileInput } from '../../faults/profiles/fault-profile.js';
import { resolveProfile } from '../../faults/profiles/resolve-profile.js';
import { Corpus } from './corpus.js';
import type { CorpusEntry } from './corpus-entry.js';
import { CoverageCollector } from './coverage-points.js';
import { mutateTape } from './mutate-tape.js';
import { MutationSchedule } from './mutation-schedule.js';
import { firstTries, type Aim } from './first-tries.js';

/** Runs in one lane: a worker task of a guided campaign, run in order with the lane's own corpus. */
export const LANE_RUNS = 256;
/** Lanes per round: every lane of a round starts from the corpus of the rounds before it. */
export const LANES_PER_ROUND = 8;
/** Runs per round. */
export const ROUND_RUNS = LANE_RUNS * LANES_PER_ROUND;
/**
 * Out of 8: how many runs mutate a corpus tape once the corpus has one; the rest start from a
 * fresh seed, so the search never stops sampling the whole space.
 */
export const MUTATION_SHARE_OF_8 = 7;
/** The stream of a seed's generator that makes guided search's own decisions (never the world's). */
const GUIDED_STREAM = 0x67756964;

/** One run of a lane, as the lane's caller sees it. */
export interface LaneRun {
  readonly offset: number;
  readonly seed: bigint;
  readonly profile: FaultProfile;
  /** The decisions of a run mutated from a corpus tape (realized; the input tape when skipped); null for a fresh seed. */
  readonly choices: readonly number[] | null;
  /** What happened; undefined for a run the lane was told to skip. */
  readonly outcome: RunOutcome | undefined;
}

/** What to run. */
export interface LaneOptions {
  /** The seed of the run at offset `firstOffset`; the run at `firstOffset + i` has seed `firstSeed + seedStride * i`. */
  readonly firstSeed: bigint;
  /** Distance between the seeds of consecutive offsets (a shard's; default 1). */
  readonly seedStride?: number;
  readonly firstOffset: number;
  readonly count: number;
  /** How fresh seeds get their profiles: `none`, `smoke`, `swarm` or a profile. */
  readonly profile: ProfileInput;
  /** The corpus of the rounds before this lane's. */
  readonly corpus: readonly CorpusEntry[];
  /** Offsets not to run (a run that ran away or crashed its worker): reported with no outcome. */
  readonly skip?: ReadonlySet<number>;
  /** Called after every run, in order; returning `'stop'` ends the lane there. */
  readonly onRun: (run: LaneRun) => void | 'stop' | Promise<void | 'stop'>;
  /** Called before each run with its index in the lane. */
  readonly onStart?: (index: number) => void;
}

/** What a lane did. */
export interface LaneResult {
  readonly runs: number;
  readonly mutationRuns: number;
  /** Runs that added coverage, in offset order: the corpus entries of this lane. */
  readonly entries: CorpusEntry[];
  /** `onRun` ended the lane early. */
  readonly stopped: boolean;
}

/**
 * Runs a lane of guided search. Each run either starts from a fresh seed (exactly the run an
 * unguided campaign makes at that offset) or mutates a tape of the corpus, decided by the run's
 * own seed on a stream the world never uses; a passing run whose coverage adds a point joins the
 * corpus at once, so later runs of the lane build on it. Given the same options the lane makes
 * the same runs, whatever thread runs it.
 */
export async function runLane(c: Case, options: LaneOptions): Promise<LaneResult> {
  // Entries that came through a worker message are plain copies: normalized once here, each
  // keeps one profile object, so its mutated runs share the profile's cached trace lines.
  const corpus = new Corpus(options.corpus.map((entry) => ({ ...entry, profile: normalizeProfile(entry.profile) })));
  const schedule = new MutationSchedule();
  /** First tries of the entries this lane found, the newest entry's on top. */
  const pending: Aim[] = [];
  const entries: CorpusEntry[] = [];
  let mutationRuns = 0;
  let runs = 0;
  let stopped = false;
  for (let i = 0; i < options.count; i++) {
    options.onStart?.(i);
    const offset = options.firstOffset + i;
    const seed = options.firstSeed + BigInt(options.seedStride ?? 1) * BigInt(i);
    const rng = Prng.fromSeed(seed, GUIDED_STREAM);
    const mutate = corpus.size > 0 && rng.intLessThan(8) < MUTATION_SHARE_OF_8;
    let profile: FaultProfile;
    let input: readonly number[] | null = null;
    let aim: Aim | undefined;
    if (mutate) {
      aim = pending.pop();
      if (aim === undefined) {
        const { entry, point, focus } = corpus.select(rng);
        aim = { entry, point, focus, plan: schedule.pick(rng) };
      }
      input = mutateTape(aim.entry.choices, aim.focus, corpus.any(rng).choices, rng, aim.plan);
      // Some mutations can leave a tape as it was (a span duplicated from before the start, a
      // zeroed span already zero); rerunning the parent teaches nothing, so change a decision.
      for (let retry = 0; retry < 3 && sameTape(input, aim.entry.choices); retry++) {
        input = mutateTape(aim.entry.choices, aim.focus, [], rng, { mutation: 'change', placement: 'anywhere' });
      }
      profile = aim.entry.profile;
      mutationRuns++;
    } else {
      profile = resolveProfile(options.profile, seed);
    }
    runs++;
    if (options.skip?.has(offset)) {
      stopped = (await options.onRun({ offset, seed, profile, choices: input, outcome: undefined })) === 'stop';
      if (stopped) break;
      continue;
    }
    const tape = input === null ? undefined : new TapeChoices(input);
    const recorder = input === null ? new RecordingChoices(Prng.fromSeed(seed)) : undefined;
    const made = tape !== undefined ? tape.used : recorder!.values;
    const coverage = new CoverageCollector(() => made.length);
    const outcome = await runOnce(c, { seed, profile, choices: tape ?? recorder, captureStacks: false, observeEvents: coverage.observe });
    corpus.countHits(coverage.points, aim?.entry);
    // A win is new coverage; a failure is the caller's business (the lane would otherwise keep
    // pouring runs into re-finding a bug it already has).
    let won = false;
    if (outcome.failure === undefined) {
      const points = corpus.newPoints(coverage.points);
      if (points.length > 0) {
        won = true;
        const entry: CorpusEntry = { offset, profile, choices: made, points };
        if (corpus.add(entry)) {
          entries.push(entry);
          pending.push(...firstTries(entry).reverse());
        }
      }
    }
    if (aim !== undefined) {
      schedule.record(aim.plan.mutation, won);
      corpus.recordAim(aim.point, won);
    }
    stopped = (await options.onRun({ offset, seed, profile, choices: input === null ? null : made, outcome })) === 'stop';
    if (stopped) break;
  }
  return { runs, mutationRuns, entries, stopped };
}

function sameTape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
