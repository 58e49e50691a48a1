import { caseReference, shellQuote } from './case-reference.js';
import type { Case } from './define-case.js';
import { failureSignature, type FailureKind, type RunPhase } from './failure.js';
import { formatSeed } from '../kernel/parse-seed.js';
import type { RunOutcome } from './run-once.js';
import { traceHash } from '../kernel/trace-hash.js';
import type { AttributeValue } from '../kernel/trace/run-attribute.js';

/** Where two runs of one seed first differ. */
export interface TraceDivergence {
  /** 1-based line of the trace text (line 1 is the header). */
  readonly line: number;
  readonly first: string | undefined;
  readonly second: string | undefined;
}

/** What `runCase` returns: everything needed to understand and replay the run. */
export interface RunReport {
  readonly status: 'passed' | 'failed';
  readonly passed: boolean;
  /** Failure kind; undefined when the run passed. */
  readonly kind: FailureKind | undefined;
  readonly caseName: string;
  /** How `mar run` finds the case again (registry name or `path#name`). */
  readonly caseRef: string;
  readonly seed: bigint;
  /** The seed in decimal text, as stored and printed. */
  readonly seedText: string;
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** The expanded fault profile the run used (plain JSON data). */
  readonly profile: unknown;
  /** Phase that failed. */
  readonly phase: RunPhase | undefined;
  /** Name of the failing check. */
  readonly checkName: string | undefined;
  /** The same as `checkName` (the field name `mar failures --json` uses). */
  readonly check: string | undefined;
  /** Name of the thrown error (its `name`), or `Stalled`. */
  readonly errorName: string | undefined;
  /** One-line message of the thrown error. */
  readonly errorMessage: string | undefined;
  /**
   * The thrown error's message as it was, when it spans several lines (a linearizability
   * explanation, for one); `errorMessage` is the same text on one line.
   */
  readonly errorDetail: string | undefined;
  /** The thrown value itself, when there was one. */
  readonly error: unknown;
  /** The (possibly partial) trace of the first run. */
  readonly trace: string;
  /** The trace of the second run, when one ran. */
  readonly secondTrace: string | undefined;
  readonly eventCount: number;
  readonly secondEventCount: number | undefined;
  /** SHA-256 of `trace` (computed on first read). */
  readonly traceHash: string;
  /** Simulated time at the end of the first run, in ns. */
  readonly finalNs: number;
  /** For `determinism_mismatch`: the first differing line. */
  readonly divergence: TraceDivergence | undefined;
  /** Stable bug identity (`kind|check|error`); undefined when the run passed. */
  readonly signature: string | undefined;
  /** A shell command that replays this run. */
  readonly replayCommand: string;
  /** One line: verdict, case, seed, failure and the replay command. */
  readonly summary: string;
}

/** Inputs of {@link buildRunReport}. */
export interface ReportInput {
  readonly case: Case;
  readonly caseRef?: string | undefined;
  readonly seed: bigint;
  readonly profile: unknown;
  /** Extra arguments of the replay command (e.g. `--profile '{...}'`). */
  readonly replayArgs?: readonly string[];
  /** The runs replayed a choice tape (guided search): no seed-only command replays them. */
  readonly fromTape?: boolean;
  readonly first: RunOutcome;
  readonly second: RunOutcome | undefined;
}

/** Builds the report of one or two runs of a seed. */
export function buildRunReport(input: ReportInput): RunReport {
  const { first, second } = input;
  const divergence = second === undefined ? undefined : findDivergence(first.trace, second.trace);
  const failure = first.failure;
  const kind: FailureKind | undefined = divergence !== undefined ? 'determinism_mismatch' : failure?.kind;
  const caseRef = input.caseRef ?? caseReference(input.case);
  const seedText = formatSeed(input.seed);
  const replayCommand = input.fromTape
    ? 'mar replay <failure id> (a run from a mutated choice tape replays from its stored failure, not its seed)'
    : ['mar', 'run', caseRef, '--seed', seedText, ...(input.replayArgs ?? []), '--trace'].map(shellQuote).join(' ');
  const checkName = divergence !== undefined ? undefined : failure?.checkName;
  const errorName = divergence !== undefined ? 'DeterminismMismatch' : failure?.errorName;
  const errorMessage =
    divergence !== undefined
      ? `two runs of the same seed differ at trace line ${divergence.line}: ${divergence.first ?? '<end>'} vs ${divergence.second ?? '<end>'}`
      : failure?.errorMessage;
  const signature = kind === undefined ? undefined : failureSignature(kind, checkName, errorName);
  const summary =
    kind === undefined
      ? `PASS ${input.case.name} seed=${seedText} events=${first.eventCount} | replay: ${replayCommand}`
      : `FAIL ${input.case.name} seed=${seedText} kind=${kind}` +
        (checkName === undefined ? '' : ` check=${JSON.stringify(checkName)}`) +
        ` error=${errorName}: ${errorMessage} events=${first.eventCount} | replay: ${replayCommand}`;
  const report = {
    status: kind === undefined ? 'passed' : 'failed',
    passed: kind === undefined,
    kind,
    caseName: input.case.name,
    caseRef,
    seed: input.seed,
    seedText,
    tags: input.case.tags,
    attributes: input.case.attributes,
    profile: input.profile,
    phase: divergence !== undefined ? undefined : failure?.phase,
    checkName,
    check: checkName,
    errorName,
    errorMessage,
    errorDetail: divergence !== undefined ? undefined : multiLineMessage(failure?.error),
    error: divergence !== undefined ? undefined : failure?.error,
    trace: first.trace,
    secondTrace: second?.trace,
    eventCount: first.eventCount,
    secondEventCount: second?.eventCount,
    finalNs: first.finalNs,
    divergence,
    signature,
    replayCommand,
    summary,
  } as const;
  // Hashing a trace costs as much as comparing two; most callers never read the hash.
  let hash: string | undefined;
  return Object.defineProperty(report, 'traceHash', {
    enumerable: true,
    get: () => (hash ??= traceHash(first.trace)),
  }) as unknown as RunReport;
}

function multiLineMessage(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message.includes('\n') ? message : undefined;
}

/** The first line where two traces differ, or undefined when they are byte for byte equal. */
export function findDivergence(first: string, second: string): TraceDivergence | undefined {
  if (first === second) return undefined;
  const a = first.split('\n');
  const b = second.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return { line: i + 1, first: a[i] || undefined, second: b[i] || undefined };
}
