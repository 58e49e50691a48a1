/**
 * The piscina worker of `mar fuzz`: runs seed ranges (each seed in a fresh world) and minimizes
 * failures. Passing seeds leave nothing but their count (an audited one is run twice and compared);
 * failing seeds come back as rows with their trace hash, the first few of each signature with a
 * full report and trace.
 */
import { fmix32 } from '../src/kernel/prng.js';
import type { Case } from '../src/harness/define-case.js';
import { failureSignature } from '../src/harness/failure.js';
import { formatSeed } from '../src/kernel/parse-seed.js';
import { runCase } from '../src/harness/run-case.js';
import { runOnce } from '../src/harness/run-once.js';
import { traceHash } from '../src/kernel/trace-hash.js';
import { normalizeProfile } from '../src/faults/profiles/fault-profile.js';
import { resolveProfile } from '../src/faults/profiles/resolve-profile.js';
import { BUILTIN_CASES } from '../src/examples/registry.js';
import { loadCase } from '../src/search/load-case.js';
import { registerNamedCases } from '../src/search/named-cases.js';
import { minimizeFailure } from '../src/search/minimize/minimize-failure.js';
import { failureFromReport, failureOfLostRun, foundByArtifact, type NewFailure } from '../src/search/store/failure-store.js';
import { TapeChoices } from '../src/kernel/choice-tape.js';
import type { RunOutcome } from '../src/harness/run-once.js';
import type { FaultProfile } from '../src/faults/profiles/fault-profile.js';
import { runLane } from '../src/harness/guided/run-lane.js';
import {
  PROGRESS_SEED_INDEX,
  type CoverageCount,
  type GuidedRangeTask,
  type SkippedRun,
  type MinimizeTask,
  type MinimizeTaskResult,
  type RangeDone,
  type RangeResult,
  type RangeTask,
  type WorkerResult,
  type WorkerTask,
} from '../src/search/campaign/worker-protocol.js';

registerNamedCases(BUILTIN_CASES);

const cases = new Map<string, Promise<Case>>();

/** Loads a case once per worker. */
function caseFor(ref: string, cwd: string): Promise<Case> {
  const key = `${cwd}\0${ref}`;
  let loaded = cases.get(key);
  if (loaded === undefined) {
    loaded = loadCase(ref, cwd).then((l) => l.case);
    cases.set(key, loaded);
  }
  return loaded;
}

/** Whether a passing seed is audited (run twice): a fixed hash of the seed, so the choice is reproducible. */
export function isAudited(seed: bigint, auditEvery: number): boolean {
  if (auditEvery <= 0) return false;
  return fmix32(Number(seed & 0xffffffffn) ^ fmix32(Number(seed >> 32n) ^ 0x41554454)) % auditEvery === 0;
}

/** A range of seeds, each run in a fresh world. */
function runRange(task: RangeTask): Promise<RangeResult> {
  return recordedRun(task, async (c, recorder, progress) => {
    const first = BigInt(task.firstSeed);
    const profileInput = profileInputOf(task);
    const tape = task.choices;
    const stride = BigInt(task.seedStride ?? 1);
    for (let i = 0; i < task.count; i++) {
      Atomics.store(progress, PROGRESS_SEED_INDEX, i);
      const seed = first + stride * BigInt(i);
      const profile = resolveProfile(profileInput, seed);
      const outcome = await runOnce(c, { seed, profile, choices: tape === undefined ? undefined : new TapeChoices(tape), captureStacks: false });
      const recording = recorder.record(task.firstOffset + i, seed, profile, tape ?? null, outcome);
      if (recording !== undefined) await recording; // a passing seed that is not audited waits for nothing
    }
    return { seedsRun: task.count };
  });
}

/** A lane of a guided campaign (see `runLane`): the runs, recorded exactly as an unguided range records its seeds. */
function runGuided(task: GuidedRangeTask): Promise<RangeResult> {
  return recordedRun(task, async (c, recorder, progress) => {
    const skipped = new Map(task.skip.map((run) => [run.offset, run]));
    const lane = await runLane(c, {
      firstSeed: BigInt(task.firstSeed),
      seedStride: task.seedStride ?? 1,
      firstOffset: task.firstOffset,
      count: task.count,
      profile: profileInputOf(task),
      corpus: task.corpus,
      skip: new Set(skipped.keys()),
      onStart: (index) => Atomics.store(progress, PROGRESS_SEED_INDEX, index),
      onRun: async (run) => {
        if (run.outcome !== undefined) return recorder.record(run.offset, run.seed, run.profile, run.choices, run.outcome);
        recorder.recordSkipped(run.offset, run.seed, run.profile, run.choices, skipped.get(run.offset)!);
      },
    });
    return { seedsRun: lane.runs, guided: { mutationRuns: lane.mutationRuns, entries: lane.entries } };
  });
}

/**
 * What a range and a lane share: the case, the progress slot, the recorder and the result they
 * report (an error of the task itself comes back as `range-error`).
 */
async function recordedRun(
  task: RangeTask | GuidedRangeTask,
  runs: (c: Case, recorder: RangeRecorder, progress: Int32Array) => Promise<Pick<RangeDone, 'seedsRun' | 'guided'>>,
): Promise<RangeResult> {
  try {
    const started = performance.now();
    const c = await caseFor(task.caseRef, task.cwd);
    const progress = new Int32Array(task.progress);
    const recorder = new RangeRecorder(c, task);
    const ran = await runs(c, recorder, progress);
    Atomics.store(progress, PROGRESS_SEED_INDEX, task.count);
    return { kind: 'range', ...ran, failures: recorder.failures, elapsedMs: performance.now() - started, coverage: recorder.coverage() };
  } catch (error) {
    return { kind: 'range-error', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What a range (or lane) reports: assertion coverage of every run, and the failing runs, the
 * first `keepTraces` of each signature with a full report (both runs compared, stack traces on).
 * A passing run picked by its seed's hash is audited: run again, and its traces compared.
 */
class RangeRecorder {
  readonly failures: NewFailure[] = [];
  private readonly fullReports = new Map<string, number>();
  private readonly counts = new Map<string, CoverageCount>();

  constructor(
    private readonly c: Case,
    private readonly task: Pick<RangeTask, 'auditEvery' | 'keepTraces'>,
  ) {}

  /**
   * Records one run: `choices` is the tape of a run mutated by guided search (null for a run of
   * the seed's own generator), which the failure keeps as its artifact.
   */
  record(offset: number, seed: bigint, profile: FaultProfile, choices: readonly number[] | null, outcome: RunOutcome): Promise<void> | undefined {
    for (const hit of outcome.assertionHits) {
      const counted = this.counts.get(hit.name);
      this.counts.set(hit.name, { name: hit.name, kind: hit.kind, runs: (counted?.runs ?? 0) + 1, firstOffset: counted?.firstOffset ?? offset });
    }
    if (outcome.failure === undefined && !isAudited(seed, this.task.auditEvery)) return undefined;
    return this.recordFailureOrAudit(offset, seed, profile, choices, outcome);
  }

  /** A failing run (its report, or a count past `keepTraces`), or an audited one (run again and compared). */
  private async recordFailureOrAudit(offset: number, seed: bigint, profile: FaultProfile, choices: readonly number[] | null, outcome: RunOutcome): Promise<void> {
    const tape = () => (choices === null ? undefined : new TapeChoices(choices));
    const hash = traceHash(outcome.trace);
    const base = { seed: formatSeed(seed), seedOffset: offset, profile: JSON.stringify(profile), foundBy: foundByArtifact(formatSeed(seed), profile, choices) };
    if (outcome.failure === undefined) {
      const again = await runOnce(this.c, { seed, profile, choices: tape(), captureStacks: false });
      if (again.trace !== outcome.trace) {
        this.failures.push(mismatch(base, outcome.trace, hash, outcome.eventCount, 'the determinism audit ran the seed twice and the traces differ'));
      }
      return;
    }
    const f = outcome.failure;
    const signature = failureSignature(f.kind, f.checkName, f.errorName);
    const reported = this.fullReports.get(signature) ?? 0;
    if (reported < this.task.keepTraces) {
      // The first few of a signature get the full report: both runs compared, stack traces on.
      const report = await runCase(this.c, { seed, profile, choices: choices ?? undefined });
      this.fullReports.set(signature, reported + 1);
      if (report.passed) {
        // The fast run failed and both full runs passed: the case is not deterministic.
        const what = choices === null ? 'the seed' : 'its tape';
        this.failures.push(mismatch(base, outcome.trace, hash, outcome.eventCount, `the fuzz run failed but two re-runs of ${what} passed`));
      } else {
        this.failures.push({ ...failureFromReport(report, offset), foundBy: base.foundBy });
      }
      return;
    }
    this.failures.push({
      ...base,
      kind: f.kind,
      signature,
      phase: f.phase,
      checkName: f.checkName ?? null,
      errorName: f.errorName,
      errorMessage: f.errorMessage,
      trace: null,
      // The fast run's trace has no stack traces; a replay (stacks on) of a tape compares with
      // the hash only when it came from a full report, else with the signature.
      traceHash: choices === null ? hash : null,
      eventCount: outcome.eventCount,
    });
  }

  /** Records a run of a lane that ran away or crashed a worker before, as the failure it was. */
  recordSkipped(offset: number, seed: bigint, profile: FaultProfile, choices: readonly number[] | null, skipped: SkippedRun): void {
    this.failures.push(failureOfLostRun(skipped, seed, offset, profile, foundByArtifact(formatSeed(seed), profile, choices)));
  }

  coverage(): CoverageCount[] {
    return [...this.counts.values()];
  }
}

/** A task's profile as `resolveProfile` takes it: a named profile, or the object normalized. */
function profileInputOf(task: Pick<RangeTask, 'profile'>): 'none' | 'smoke' | 'swarm' | FaultProfile {
  return typeof task.profile === 'string' ? (task.profile as 'none' | 'smoke' | 'swarm') : normalizeProfile(task.profile);
}

/** A `determinism_mismatch` row for a seed whose runs disagreed. */
function mismatch(
  base: Pick<NewFailure, 'seed' | 'seedOffset' | 'profile' | 'foundBy'>,
  trace: string,
  hash: string,
  eventCount: number,
  message: string,
): NewFailure {
  return {
    ...base,
    kind: 'determinism_mismatch',
    signature: failureSignature('determinism_mismatch', undefined, 'DeterminismMismatch'),
    phase: null,
    checkName: null,
    errorName: 'DeterminismMismatch',
    errorMessage: message,
    trace,
    traceHash: hash,
    eventCount,
  };
}

async function runMinimize(task: MinimizeTask): Promise<MinimizeTaskResult> {
  const c = await caseFor(task.caseRef, task.cwd);
  try {
    const budget = { maxRuns: task.maxRuns, maxMs: task.maxMs };
    const result = await minimizeFailure(c, BigInt(task.seed), normalizeProfile(task.profile), budget, task.choices);
    return {
      kind: 'minimize',
      minimized: {
        artifact: JSON.stringify(result.artifact),
        trace: result.trace,
        traceHash: result.traceHash,
        eventCount: result.eventCount,
        originalEventCount: result.originalEventCount,
        runs: result.runs,
      },
      error: null,
    };
  } catch (error) {
    return { kind: 'minimize', minimized: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The piscina entry point. */
export default function run(task: WorkerTask): Promise<WorkerResult> {
  if (task.kind === 'range') return runRange(task);
  if (task.kind === 'guided-range') return runGuided(task);
  return runMinimize(task);
}
