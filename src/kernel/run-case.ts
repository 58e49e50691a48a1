import type { Case } from './define-case.js';
import { parseSeed, type SeedInput } from './parse-seed.js';
import { runOnce } from './run-once.js';
import { buildRunReport, type RunReport } from './run-report.js';

/** Options of {@link runCase}. */
export interface RunCaseOptions {
  /** The seed: a number, bigint, or seed text (see `parseSeed`). */
  readonly seed: SeedInput;
  /** How replay commands name the case (default: registry name or `path#name`). */
  readonly caseRef?: string;
}

/**
 * Runs a case twice with the same seed and compares the two traces byte for byte. The report
 * says `passed`, or why the run failed: `scenario_error`, `check_failed`, `stalled`, or
 * `determinism_mismatch` when the two traces differ.
 */
export async function runCase(c: Case, options: RunCaseOptions): Promise<RunReport> {
  const seed = parseSeed(options.seed);
  const first = await runOnce(c, { seed });
  // Only the first run's error is reported, so the second run skips building stack traces.
  const second = await runOnce(c, { seed, captureStacks: false });
  return buildRunReport({ case: c, caseRef: options.caseRef, seed, profile: null, first, second });
}
