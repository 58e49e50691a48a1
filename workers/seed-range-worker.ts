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
import { failureFromReport, type NewFailure } from '../src/search/store/failure-store.js';
import {
  PROGRESS_SEED_INDEX,
  type CoverageCount,
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

async function runRange(task: RangeTask): Promise<RangeResult> {
  try {
    return await runSeeds(task);
  } catch (error) {
    return { kind: 'range-error', message: error instanceof Error ? error.message : String(error) };
  }
}

async function runSeeds(task: RangeTask): Promise<RangeDone> {
  const started = performance.now();
  const c = await caseFor(task.caseRef, task.cwd);
  const progress = new Int32Array(task.progress);
  const failures: NewFailure[] = [];
  const fullReports = new Map<string, number>();
  const first = BigInt(task.firstSeed);
  const profileInput = typeof task.profile === 'string' ? (task.profile as 'none' | 'smoke' | 'swarm') : normalizeProfile(task.profile);
  const coverage = new Map<string, CoverageCount>();
  for (let i = 0; i < task.count; i++) {
    Atomics.store(progress, PROGRESS_SEED_INDEX, i);
    const seed = first + BigInt(i);
    const profile = resolveProfile(profileInput, seed);
    const outcome = await runOnce(c, { seed, profile, captureStacks: false });
    for (const hit of outcome.assertionHits) {
      const counted = coverage.get(hit.name);
      coverage.set(hit.name, { name: hit.name, kind: hit.kind, runs: (counted?.runs ?? 0) + 1, firstOffset: counted?.firstOffset ?? task.firstOffset + i });
    }
    if (outcome.failure === undefined && !isAudited(seed, task.auditEvery)) continue;
    const hash = traceHash(outcome.trace);
    const base = { seed: formatSeed(seed), seedOffset: task.firstOffset + i, profile: JSON.stringify(profile) };
    if (outcome.failure !== undefined) {
      const f = outcome.failure;
      const signature = failureSignature(f.kind, f.checkName, f.errorName);
      const reported = fullReports.get(signature) ?? 0;
      if (reported < task.keepTraces) {
        // The first few of a signature get the full report: both runs compared, stack traces on.
        const report = await runCase(c, { seed, profile });
        fullReports.set(signature, reported + 1);
        if (report.passed) {
          // The fast run failed and both full runs passed: the case is not deterministic.
          failures.push(mismatch(base, outcome.trace, hash, outcome.eventCount, 'the fuzz run failed but two re-runs of the seed passed'));
        } else {
          failures.push(failureFromReport(report, base.seedOffset));
        }
      } else {
        failures.push({
          ...base,
          kind: f.kind,
          signature,
          phase: f.phase,
          checkName: f.checkName ?? null,
          errorName: f.errorName,
          errorMessage: f.errorMessage,
          trace: null,
          traceHash: hash,
          eventCount: outcome.eventCount,
        });
      }
    } else {
      const again = await runOnce(c, { seed, profile, captureStacks: false });
      if (again.trace !== outcome.trace) {
        failures.push(mismatch(base, outcome.trace, hash, outcome.eventCount, 'the determinism audit ran the seed twice and the traces differ'));
      }
    }
  }
  Atomics.store(progress, PROGRESS_SEED_INDEX, task.count);
  return { kind: 'range', seedsRun: task.count, failures, elapsedMs: performance.now() - started, coverage: [...coverage.values()] };
}

/** A `determinism_mismatch` row for a seed whose runs disagreed. */
function mismatch(
  base: Pick<NewFailure, 'seed' | 'seedOffset' | 'profile'>,
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
    const result = await minimizeFailure(c, BigInt(task.seed), normalizeProfile(task.profile), { maxRuns: task.maxRuns, maxMs: task.maxMs });
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
  return task.kind === 'range' ? runRange(task) : runMinimize(task);
}
