import { Piscina } from 'piscina';
import { DEFAULT_WORKER_MEMORY_MB } from '../campaign/run-campaign.js';
import type { Case } from '../../harness/define-case.js';
import { failureSignature } from '../../harness/failure.js';
import { formatSeed } from '../../kernel/parse-seed.js';
import { runCase } from '../../harness/run-case.js';
import { traceHash } from '../../kernel/trace-hash.js';
import type { ProfileInput } from '../../faults/profiles/fault-profile.js';
import { PROGRESS_NOT_STARTED, PROGRESS_SEED_INDEX, PROGRESS_WORDS, type RangeResult, type RangeTask } from '../campaign/worker-protocol.js';
import { loadCase } from '../load-case.js';
import { replayMinimized, type MinimizedArtifact } from '../minimize/minimize-failure.js';
import { seedRangeWorkerUrl } from '../package-root.js';
import { buildIdentity, describeBuildDifference } from '../store/build-identity.js';
import { foundByChoices, type FailureRow, type FailureStore } from '../store/failure-store.js';

/** What a replay found: the stored trace again, another trace, or no failure at all. */
export type ReplayStatus = 'reproduced' | 'different-trace' | 'no-longer-fails';

/** The result of replaying one failure. */
export interface ReplayResult {
  readonly status: ReplayStatus;
  readonly failureId: number | null;
  readonly caseRef: string;
  readonly seed: string;
  readonly minimized: boolean;
  /** The signature that was stored (or, without a stored failure, the one the replay produced). */
  readonly expectedSignature: string | null;
  /** The signature the replay produced (null when it passed). */
  readonly signature: string | null;
  readonly storedTraceHash: string | null;
  readonly traceHash: string | null;
  /** The replayed trace (absent when the seed ran away again in a worker). */
  readonly trace: string | null;
  readonly eventCount: number | null;
  /** How the build differs from the one that stored the failure, when it does. */
  readonly buildWarning: string | null;
  /** One line for humans. */
  readonly message: string;
}

/** Errors that mean a worker died running the seed: replayed in a worker, like timeouts. */
const WORKER_DEATHS = new Set(['WorkerCrashed', 'WorkerOutOfMemory']);

/**
 * Re-runs a stored failure and compares it with what was stored: the trace hash when the failure
 * kept one, else its signature. A minimized replay runs the stored choice sequence, and so does a
 * failure found by guided search from a mutated tape (its artifact). Failures a
 * run cannot survive in-process (timeouts, crashed workers) are replayed in a worker thread under
 * the campaign's per-seed time limit.
 */
export async function replayFailure(store: FailureStore, failureId: number, options: { readonly minimized?: boolean; readonly cwd?: string } = {}): Promise<ReplayResult> {
  const failure = store.getFailure(failureId);
  if (failure === undefined) throw new ReplayError(`no failure #${failureId} in ${store.file}`);
  const campaign = store.getCampaign(failure.campaignId);
  const stored = campaign === undefined ? null : { packageVersion: campaign.packageVersion, gitCommit: campaign.gitCommit, nodeVersion: campaign.nodeVersion };
  const buildWarning = stored === null ? null : (describeBuildDifference(stored, buildIdentity()) ?? null);
  const cwd = options.cwd ?? process.cwd();
  const c = (await loadCase(failure.caseRef, cwd)).case;

  if (options.minimized) {
    if (failure.minimized === null) throw new ReplayError(`failure #${failureId} has no minimized reproduction`);
    const artifact = JSON.parse(failure.minimized) as MinimizedArtifact;
    const outcome = await replayMinimized(c, artifact);
    const signature = outcome.failure === undefined ? null : failureSignature(outcome.failure.kind, outcome.failure.checkName, outcome.failure.errorName);
    return judge({ failure, minimized: true, buildWarning, signature, trace: outcome.trace, eventCount: outcome.eventCount, storedHash: failure.minimizedTraceHash });
  }
  if (failure.kind === 'timeout' || WORKER_DEATHS.has(failure.errorName ?? '')) {
    return replayInWorker(failure, cwd, campaign?.seedTimeoutMs ?? 30_000, buildWarning);
  }
  if (failure.mutated) {
    // Found by guided search from a mutated tape: the tape, not the seed, makes the run.
    if (failure.foundBy === null) {
      const kept = store.listBugs({ caseRef: failure.caseRef }).find((bug) => bug.signature === failure.signature)?.firstFailureId;
      throw new ReplayError(
        `failure #${failureId} came from a mutated choice tape that was not kept (a bug keeps the tapes of its first failures only)` +
          (kept === undefined || kept === null ? '' : `; replay failure #${kept} of the same bug instead`),
      );
    }
  }
  // A failure from a mutated tape runs its tape (its artifact's seed and profile are the row's own).
  const report = await runCase(c, { seed: BigInt(failure.seed), profile: JSON.parse(failure.profile) as ProfileInput, choices: foundByChoices(failure), caseRef: failure.caseRef });
  return judge({ failure, minimized: false, buildWarning, signature: report.signature ?? null, trace: report.trace, eventCount: report.eventCount, storedHash: failure.traceHash });
}

/**
 * Replays a case and seed given on the command line. Compared with a stored failure of that case
 * and seed when there is one; otherwise a failing run counts as reproduced.
 */
export async function replaySeed(
  store: FailureStore | undefined,
  caseRef: string,
  seed: bigint,
  profile: ProfileInput | undefined,
  cwd = process.cwd(),
): Promise<ReplayResult> {
  // A failure found from a mutated tape is not a run of its seed, so it is not what `--seed` asks for.
  const stored = store?.findFailures(caseRef, seed).find((f) => !f.mutated && (profile === undefined || sameProfile(f, profile)));
  if (stored !== undefined) return replayFailure(store!, stored.id, { cwd });
  const c: Case = (await loadCase(caseRef, cwd)).case;
  const report = await runCase(c, { seed, profile, caseRef });
  const signature = report.signature ?? null;
  return {
    status: signature === null ? 'no-longer-fails' : 'reproduced',
    failureId: null,
    caseRef,
    seed: formatSeed(seed),
    minimized: false,
    expectedSignature: signature,
    signature,
    storedTraceHash: null,
    traceHash: report.traceHash,
    trace: report.trace,
    eventCount: report.eventCount,
    buildWarning: null,
    message:
      signature === null
        ? `no-longer-fails: ${caseRef} seed ${formatSeed(seed)} passes (no stored failure to compare with)`
        : `reproduced: ${caseRef} seed ${formatSeed(seed)} fails with ${signature} (no stored failure to compare with)`,
  };
}

/** A replay that cannot start (no such failure, nothing minimized). */
export class ReplayError extends Error {
  override name = 'ReplayError';
}

function sameProfile(failure: FailureRow, profile: ProfileInput): boolean {
  return typeof profile === 'string' ? JSON.parse(failure.profile).origin === profile : failure.profile === JSON.stringify(profile);
}

interface Verdict {
  readonly failure: FailureRow;
  readonly minimized: boolean;
  readonly buildWarning: string | null;
  readonly signature: string | null;
  readonly trace: string | null;
  readonly eventCount: number | null;
  readonly storedHash: string | null;
}

function judge(v: Verdict): ReplayResult {
  const hash = v.trace === null ? null : traceHash(v.trace);
  const what = `failure #${v.failure.id}${v.minimized ? ' (minimized)' : ''} of ${v.failure.caseRef} seed ${v.failure.seed}`;
  let status: ReplayStatus;
  let message: string;
  if (v.signature === null) {
    status = 'no-longer-fails';
    message = `no-longer-fails: ${what} passes now (stored: ${v.failure.signature})`;
  } else if (v.storedHash !== null ? hash === v.storedHash : v.signature === v.failure.signature) {
    status = 'reproduced';
    message = `reproduced: ${what} fails with ${v.signature}${v.storedHash !== null ? `; trace hash ${hash!.slice(0, 16)} matches` : ''}`;
  } else {
    status = 'different-trace';
    message =
      `different-trace: ${what} fails with ${v.signature} (stored: ${v.failure.signature})` +
      (v.storedHash !== null ? `; trace hash ${hash?.slice(0, 16)} != stored ${v.storedHash.slice(0, 16)}` : '');
  }
  return {
    status,
    failureId: v.failure.id,
    caseRef: v.failure.caseRef,
    seed: v.failure.seed,
    minimized: v.minimized,
    expectedSignature: v.failure.signature,
    signature: v.signature,
    storedTraceHash: v.storedHash,
    traceHash: hash,
    trace: v.trace,
    eventCount: v.eventCount,
    buildWarning: v.buildWarning,
    message,
  };
}

/**
 * Replays a seed that ran away or crashed its worker, in a worker thread. The time limit counts
 * from the moment the seed starts (read from the task's progress slot), never the worker's start-up.
 */
async function replayInWorker(failure: FailureRow, cwd: string, timeoutMs: number, buildWarning: string | null): Promise<ReplayResult> {
  const pool = new Piscina({
    filename: seedRangeWorkerUrl(),
    minThreads: 1,
    maxThreads: 1,
    resourceLimits: { maxOldGenerationSizeMb: DEFAULT_WORKER_MEMORY_MB },
  });
  pool.on('error', () => {}); // a worker that dies with no task: the task's own outcome says what happened
  const controller = new AbortController();
  const shared = new SharedArrayBuffer(PROGRESS_WORDS * 4);
  const progress = new Int32Array(shared);
  progress[PROGRESS_SEED_INDEX] = PROGRESS_NOT_STARTED;
  let startedAt: number | undefined;
  const watch = setInterval(() => {
    if (startedAt === undefined && Atomics.load(progress, PROGRESS_SEED_INDEX) !== PROGRESS_NOT_STARTED) startedAt = performance.now();
    if (startedAt !== undefined && performance.now() - startedAt > timeoutMs) controller.abort();
  }, 20);
  const task: RangeTask = {
    kind: 'range',
    caseRef: failure.caseRef,
    cwd,
    profile: JSON.parse(failure.profile),
    firstSeed: failure.seed,
    firstOffset: 0,
    count: 1,
    auditEvery: 0,
    keepTraces: 1,
    progress: shared,
    choices: foundByChoices(failure),
  };
  try {
    const result = (await pool.run(task, { signal: controller.signal })) as RangeResult;
    if (result.kind === 'range-error') throw new ReplayError(`cannot replay failure #${failure.id}: ${result.message}`);
    const found = result.failures[0];
    return judge({
      failure,
      minimized: false,
      buildWarning,
      signature: found?.signature ?? null,
      trace: found?.trace ?? null,
      eventCount: found?.eventCount ?? null,
      storedHash: null,
    });
  } catch (error) {
    if (error instanceof ReplayError) throw error;
    const outOfMemory = (error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const signature = controller.signal.aborted
      ? failureSignature('timeout', undefined, 'SeedTimeout')
      : failureSignature('scenario_error', undefined, outOfMemory ? 'WorkerOutOfMemory' : 'WorkerCrashed');
    return judge({ failure, minimized: false, buildWarning, signature, trace: null, eventCount: null, storedHash: null });
  } finally {
    clearInterval(watch);
    await pool.destroy();
  }
}
