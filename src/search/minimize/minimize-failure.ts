import { RecordingChoices, TapeChoices } from '../../kernel/choice-tape.js';
import type { Case } from '../../harness/define-case.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { failureSignature } from '../../harness/failure.js';
import { formatSeed } from '../../kernel/parse-seed.js';
import { Prng } from '../../kernel/prng.js';
import { runOnce, type RunOutcome } from '../../harness/run-once.js';
import { traceHash } from '../../kernel/trace-hash.js';
import type { FaultProfile } from '../../faults/profiles/fault-profile.js';
import { faultProfileArbitrary } from '../../faults/profiles/profile-arbitrary.js';

/** A minimized reproduction: replay `choices` as the world's decisions, with `profile`. */
export interface MinimizedArtifact {
  /** The original seed (decimal); the world still reports it, but decisions come from `choices`. */
  readonly seed: string;
  readonly profile: FaultProfile;
  /** The choice sequence: decision `i` of the run is `choices[i]` (0 past the end). */
  readonly choices: readonly number[];
}

/** How far a minimization may go. */
export interface MinimizeBudget {
  /** Most candidate runs (default 2000). */
  readonly maxRuns?: number;
  /** Most wall time in ms (default 10,000). */
  readonly maxMs?: number;
}

/** What minimization found. */
export interface MinimizeResult {
  readonly artifact: MinimizedArtifact;
  readonly signature: string;
  readonly trace: string;
  readonly traceHash: string;
  readonly eventCount: number;
  readonly originalEventCount: number;
  readonly originalChoices: number;
  /** Candidate runs made. */
  readonly runs: number;
  /** True when the budget ran out before no further step helped. */
  readonly budgetExhausted: boolean;
}

/** Kinds a single in-process run can reproduce, and so can minimize. */
const MINIMIZABLE = new Set(['scenario_error', 'check_failed', 'assertion_failed', 'liveness_failed', 'stalled']);

/** Whether a failure of this kind (and error) can be minimized: one in-process run must reproduce it. */
export function isMinimizable(kind: string, errorName: string | null): boolean {
  return MINIMIZABLE.has(kind) && errorName !== 'WorkerCrashed' && errorName !== 'WorkerOutOfMemory';
}

/**
 * Searches for a smaller reproduction of a failing seed with the same signature, in two phases:
 *
 * 1. **Fault profile**: fast-check shrinks the profile (see `faultProfileArbitrary`) toward fewer
 *    and weaker faults; a candidate is kept when the seed still fails with the signature.
 * 2. **Choice sequence**: the run's decisions are recorded and edited Hypothesis-style — spans
 *    deleted, spans zeroed, single values lowered — and replayed from a tape; an edit is kept when
 *    the run still fails with the signature and is smaller: fewer trace events, or as many events
 *    and a shortlex-smaller realized choice sequence (fewer decisions, then smaller ones). Zero is
 *    the calm choice everywhere (faults fire on high rolls), so smaller means fewer and simpler
 *    decisions.
 *
 * Neither phase accepts a candidate with more trace events than the best so far.
 *
 * Candidate runs are bounded to ten times the original event count, so an edit cannot run away.
 * `choices` is the tape of a failure found by guided search from a mutated tape: the search then
 * starts from it instead of the seed's generator.
 * @throws {InvalidArgument} when the seed does not fail, or fails with a kind a single run cannot reproduce.
 */
export async function minimizeFailure(
  c: Case,
  seed: bigint,
  profile: FaultProfile,
  budget: MinimizeBudget = {},
  choices?: readonly number[],
): Promise<MinimizeResult> {
  const maxRuns = budget.maxRuns ?? 2000;
  const deadline = Date.now() + (budget.maxMs ?? 10_000);
  let runs = 0;
  const exhausted = () => runs >= maxRuns || Date.now() >= deadline;
  /** The decisions of a run: the failing tape when there is one, else the seed's own generator. */
  const source = () => (choices === undefined ? new RecordingChoices(Prng.fromSeed(seed)) : new TapeChoices(choices));
  const made = (s: RecordingChoices | TapeChoices) => (s instanceof TapeChoices ? s.used : s.values);

  const recorder = source();
  const original = await runOnce(c, { seed, profile, choices: recorder, captureStacks: false });
  const signature = signatureOf(original);
  if (signature === undefined || original.failure === undefined || !MINIMIZABLE.has(original.failure.kind)) {
    throw new InvalidArgument(`minimizeFailure: seed ${formatSeed(seed)} of ${c.name} does not fail with a reproducible kind`);
  }
  const maxEvents = Math.max(10_000, original.eventCount * 10);

  // Phase 1: shrink the profile, replaying the seed's own PRNG under each candidate.
  let bestProfile = profile;
  let bestTape: readonly number[] = made(recorder);
  let bestEvents = original.eventCount;
  const arbitrary = faultProfileArbitrary();
  if (arbitrary.canShrinkWithoutContext(profile)) {
    let improved = true;
    while (improved && !exhausted()) {
      improved = false;
      for (const candidate of arbitrary.shrink(bestProfile, undefined)) {
        if (exhausted()) break;
        runs++;
        const candidateRecorder = source();
        const outcome = await runOnce(c, { seed, profile: candidate.value, choices: candidateRecorder, maxEvents, captureStacks: false });
        if (signatureOf(outcome) === signature && outcome.eventCount <= bestEvents) {
          bestProfile = candidate.value;
          bestTape = made(candidateRecorder);
          bestEvents = outcome.eventCount;
          improved = true;
          break;
        }
      }
    }
  }

  // Phase 2: shrink the choice sequence under the chosen profile.
  const attempt = async (tape: readonly number[]): Promise<boolean> => {
    runs++;
    const choices = new TapeChoices(tape);
    const outcome = await runOnce(c, { seed, profile: bestProfile, choices, maxEvents, captureStacks: false });
    const smaller = outcome.eventCount < bestEvents || (outcome.eventCount === bestEvents && shortlexLess(choices.used, bestTape));
    if (signatureOf(outcome) !== signature || !smaller) return false;
    bestTape = choices.used;
    bestEvents = outcome.eventCount;
    return true;
  };
  /** Tries candidates in order until one is accepted. */
  const firstAccepted = async (candidates: Iterable<readonly number[]>): Promise<boolean> => {
    for (const candidate of candidates) {
      if (exhausted()) return false;
      if (await attempt(candidate)) return true;
    }
    return false;
  };
  /** Binary-searches each non-zero value down to the smallest one that still reproduces. */
  const lowerValues = async (): Promise<boolean> => {
    let improvedAny = false;
    for (let i = 0; i < bestTape.length && !exhausted(); i++) {
      let high = bestTape[i]!;
      let low = 0; // candidates below `low` are known not to work
      while (low < high && !exhausted()) {
        const mid = Math.floor((low + high) / 2);
        const candidate = [...bestTape];
        candidate[i] = mid;
        if (await attempt(candidate)) {
          improvedAny = true;
          if (i >= bestTape.length) break;
          high = bestTape[i]!;
        } else {
          low = mid + 1;
        }
      }
    }
    return improvedAny;
  };
  let improved = true;
  while (improved && !exhausted()) {
    improved = (await firstAccepted(deleteSpans(bestTape))) || (await firstAccepted(zeroSpans(bestTape))) || (await lowerValues());
  }

  const final = await runOnce(c, { seed, profile: bestProfile, choices: new TapeChoices(bestTape), maxEvents, captureStacks: false });
  return {
    artifact: { seed: formatSeed(seed), profile: bestProfile, choices: [...bestTape] },
    signature,
    trace: final.trace,
    traceHash: traceHash(final.trace),
    eventCount: final.eventCount,
    originalEventCount: original.eventCount,
    originalChoices: made(recorder).length,
    runs,
    budgetExhausted: exhausted(),
  };
}

/** Replays a minimized artifact (the `mar replay --minimized` path). */
export function replayMinimized(c: Case, artifact: MinimizedArtifact, captureStacks = true): Promise<RunOutcome> {
  return runOnce(c, { seed: BigInt(artifact.seed), profile: artifact.profile, choices: new TapeChoices(artifact.choices), captureStacks });
}

function signatureOf(outcome: RunOutcome): string | undefined {
  const f = outcome.failure;
  return f === undefined ? undefined : failureSignature(f.kind, f.checkName, f.errorName);
}

/** Shortlex order: a shorter sequence is smaller; equal lengths compare value by value. */
export function shortlexLess(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** Candidates with a span removed: big spans first, from the end (late decisions matter least). */
function* deleteSpans(tape: readonly number[]): Generator<number[]> {
  for (const size of [64, 16, 8, 4, 2, 1]) {
    for (let start = tape.length - size; start >= 0; start -= size) yield [...tape.slice(0, start), ...tape.slice(start + size)];
  }
}

/** Candidates with a span of non-zero values set to zero. */
function* zeroSpans(tape: readonly number[]): Generator<number[]> {
  for (const size of [16, 4, 1]) {
    for (let start = 0; start + size <= tape.length; start += size) {
      if (tape.slice(start, start + size).every((v) => v === 0)) continue;
      const candidate = [...tape];
      candidate.fill(0, start, start + size);
      yield candidate;
    }
  }
}
