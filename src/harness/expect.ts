import type { Case } from './define-case.js';
import { MarionetteError } from '../kernel/errors.js';
import type { FailureKind } from './failure.js';
import { formatSeed, parseSeed, SEED_MAX, type SeedInput } from '../kernel/parse-seed.js';
import { runCase } from './run-case.js';
import { runOnce, type RunOutcome } from './run-once.js';
import { runGuidedInProcess } from './guided/run-rounds.js';
import type { RunReport } from './run-report.js';
import type { FaultProfile, ProfileInput } from '../faults/profiles/fault-profile.js';
import { resolveProfile } from '../faults/profiles/resolve-profile.js';

/** Thrown by `expectPass`, `expectFailure` and `expectFuzz`; carries the report that failed the expectation. */
export class ExpectationFailed extends MarionetteError {
  override name = 'ExpectationFailed';
  constructor(
    message: string,
    /** The report of the run that broke the expectation. */
    readonly report: RunReport,
  ) {
    super(message);
  }
}

const TRACE_TAIL_LINES = 12;

/**
 * Runs a case twice with `seed` (see `runCase`) and throws {@link ExpectationFailed} unless it passed.
 * @returns the passing report.
 */
export async function expectPass(c: Case, options: { readonly seed: SeedInput; readonly profile?: ProfileInput }): Promise<RunReport> {
  const report = await runCase(c, options);
  if (!report.passed) throw new ExpectationFailed(`expectPass: ${describeFailure(report)}`, report);
  return report;
}

/** Options of {@link expectFailure}. */
export interface ExpectFailureOptions {
  readonly seed: SeedInput;
  /** The fault profile (default `none`). */
  readonly profile?: ProfileInput;
  /** Require this failure kind. By default any kind but `determinism_mismatch` is accepted. */
  readonly kind?: FailureKind;
  /** Require this check to be the one that failed. */
  readonly check?: string;
}

/**
 * Proves a checker catches a known bug: runs a case twice with `seed` and throws
 * {@link ExpectationFailed} if it passed, failed nondeterministically, or failed differently than
 * `kind` / `check` demand.
 * @returns the failing report.
 */
export async function expectFailure(c: Case, options: ExpectFailureOptions): Promise<RunReport> {
  const report = await runCase(c, options);
  if (report.passed) {
    throw new ExpectationFailed(`expectFailure: ${c.name} passed on seed ${report.seedText}; expected it to fail`, report);
  }
  const wantedKind = options.kind;
  if (wantedKind === undefined ? report.kind === 'determinism_mismatch' : report.kind !== wantedKind) {
    throw new ExpectationFailed(`expectFailure: expected kind ${wantedKind ?? 'other than determinism_mismatch'}; ${describeFailure(report)}`, report);
  }
  if (options.check !== undefined && report.checkName !== options.check) {
    throw new ExpectationFailed(`expectFailure: expected check ${JSON.stringify(options.check)} to fail; ${describeFailure(report)}`, report);
  }
  return report;
}

/** Options of {@link expectFuzz}. */
export interface ExpectFuzzOptions {
  /** First seed (default 0). */
  readonly seed?: SeedInput;
  /** How many consecutive seeds to run (default 100). */
  readonly seeds?: number;
  /** The fault profile of every seed: `none` (default), `smoke`, `swarm` (expanded per seed) or an object. */
  readonly profile?: ProfileInput;
  /** Also record a failure in this failure database (a campaign of kind `test`), for `mar failures` and `mar replay`. */
  readonly db?: string;
  /**
   * Coverage-guided search (SPEC 10): runs that reach new coverage join a corpus of choice tapes,
   * and most later runs mutate one instead of starting from a fresh seed; the same runs as
   * `mar fuzz --guided` over the same seeds. A failure from a mutated tape is reported with it.
   */
  readonly guided?: boolean;
}

/** What `expectFuzz` tells the failure store about the run of seeds that found a failure. */
export interface TestFailureContext {
  readonly firstSeed: bigint;
  readonly seedsRun: number;
  readonly profile: ProfileInput | undefined;
  /** The tape of a failure guided search found from a mutated tape (the report's run replays it). */
  readonly choices?: readonly number[];
  /** The seeds ran under guided search. */
  readonly guided?: boolean;
}

/** Stores a failure found by `expectFuzz({ db })` and returns its failure id. */
export type TestFailureRecorder = (db: string, report: RunReport, context: TestFailureContext) => number | Promise<number>;

/** Set by the package entry: the store belongs to `search`, a layer above this one. */
let failureRecorder: TestFailureRecorder | undefined;

/** @internal Connects `expectFuzz({ db })` to the failure store (the package entry does this). */
export function setTestFailureRecorder(recorder: TestFailureRecorder): void {
  failureRecorder = recorder;
}

/** What a passing `expectFuzz` ran. */
export interface FuzzSummary {
  readonly seedsRun: number;
  readonly firstSeed: bigint;
  readonly lastSeed: bigint;
}

/** How many seeds run between yields to the event loop, so test runners stay responsive. */
const YIELD_EVERY_SEEDS = 256;

/**
 * Runs `seeds` consecutive seeds of a case, each once (the fuzz path), and throws
 * {@link ExpectationFailed} on the first failing seed with its kind, signature, trace tail and a
 * replay command. The failing seed is re-run with `runCase` so the report is complete.
 */
export async function expectFuzz(c: Case, options: ExpectFuzzOptions = {}): Promise<FuzzSummary> {
  const firstSeed = parseSeed(options.seed ?? 0);
  const seeds = options.seeds ?? 100;
  if (!Number.isSafeInteger(seeds) || seeds < 1) {
    throw new MarionetteError(`expectFuzz: seeds must be a positive safe integer, got ${String(seeds)}`);
  }
  if (firstSeed + BigInt(seeds - 1) > SEED_MAX) {
    throw new MarionetteError(`expectFuzz: seed ${formatSeed(firstSeed)} + ${seeds} seeds runs past 2^64 - 1`);
  }
  const unhit = new Set(c.sometimes);
  /** Notes a run's hits; throws the expectation's failure when the run failed. */
  const judge = async (i: number, seed: bigint, profile: FaultProfile, choices: readonly number[] | null, outcome: RunOutcome): Promise<void> => {
    for (const hit of outcome.assertionHits) unhit.delete(hit.name);
    if (outcome.failure === undefined) return;
    // A mutated run replays its tape under the profile it ran with; a fresh seed under the option.
    const report =
      choices === null ? await runCase(c, { seed, profile: options.profile }) : await runCase(c, { seed, profile, choices });
    let stored = '';
    if (options.db !== undefined) {
      if (failureRecorder === undefined) throw new MarionetteError('expectFuzz: db needs the failure store; import expectFuzz from the marionette-sim package');
      const context = { firstSeed, seedsRun: i + 1, profile: options.profile, guided: options.guided === true, ...(choices === null ? {} : { choices }) };
      const id = await failureRecorder(options.db, report, context);
      stored = `\n  stored as failure #${id} in ${options.db}: mar replay ${id} --db ${options.db}`;
    }
    const origin = choices === null ? '' : ', by guided search from a mutated tape: the seed alone does not reproduce it, so store it with db to replay it';
    throw new ExpectationFailed(
      `expectFuzz: ${c.name} failed on seed ${report.seedText} (${options.guided === true ? 'run' : 'seed'} ${i + 1} of ${seeds} from ${formatSeed(firstSeed)}${origin})\n` +
        describeFailure(report) +
        stored,
      report,
    );
  };
  if (options.guided === true) {
    let runs = 0;
    await runGuidedInProcess(c, {
      firstSeed,
      seeds,
      profile: options.profile ?? 'none',
      onRun: async (run) => {
        if (++runs % YIELD_EVERY_SEEDS === 0) await new Promise((resolve) => setImmediate(resolve));
        await judge(run.offset, run.seed, run.profile, run.choices, run.outcome!);
      },
    });
  } else {
    for (let i = 0; i < seeds; i++) {
      if (i > 0 && i % YIELD_EVERY_SEEDS === 0) await new Promise((resolve) => setImmediate(resolve));
      const seed = firstSeed + BigInt(i);
      const profile = resolveProfile(options.profile, seed);
      await judge(i, seed, profile, null, await runOnce(c, { seed, profile, captureStacks: false }));
    }
  }
  if (unhit.size > 0) {
    const names = [...unhit].map((name) => JSON.stringify(name)).join(', ');
    throw new MarionetteError(
      `expectFuzz: ${c.name} never hit the declared sometimes ${names} in ${seeds} seeds from ${formatSeed(firstSeed)} ` +
        `under ${typeof options.profile === 'string' ? options.profile : options.profile === undefined ? 'none' : 'a custom profile'}: the test exercised nothing there`,
    );
  }
  return { seedsRun: seeds, firstSeed, lastSeed: firstSeed + BigInt(seeds - 1) };
}

/** Multi-line description of a report: verdict, signature, profile, trace tail and replay command. */
export function describeFailure(report: RunReport): string {
  const tail = report.trace.trimEnd().split('\n').slice(-TRACE_TAIL_LINES);
  return [
    report.summary,
    `  kind: ${report.kind ?? 'passed'}${report.checkName === undefined ? '' : `  check: ${report.checkName}`}` +
      `${report.errorName === undefined ? '' : `  error: ${report.errorName}: ${report.errorMessage}`}`,
    `  signature: ${report.signature ?? '-'}`,
    ...(report.errorDetail === undefined ? [] : ['  detail:', ...report.errorDetail.split('\n').map((line) => `    ${line}`)]),
    `  profile: ${JSON.stringify(report.profile)}`,
    `  trace tail (${report.eventCount} events):`,
    ...tail.map((line) => `    ${line}`),
    `  replay: ${report.replayCommand}`,
  ].join('\n');
}
