/**
 * Why a run failed. `assertion_failed`: an `env.always` was false or an `env.unreachable` was
 * reached. `liveness_failed`: an eventually-check still failed when its time ran out after `calm()`. `timeout` is produced by campaigns (a seed that ran past its time limit).
 */
export type FailureKind = 'scenario_error' | 'check_failed' | 'assertion_failed' | 'liveness_failed' | 'determinism_mismatch' | 'stalled' | 'timeout';

/** The part of a run that was executing when it failed. */
export type RunPhase = 'init' | 'scenario' | 'check' | 'eventually' | 'deinit';

/** Every failure kind, in a fixed order. */
export const FAILURE_KINDS: readonly FailureKind[] = ['scenario_error', 'check_failed', 'assertion_failed', 'liveness_failed', 'determinism_mismatch', 'stalled', 'timeout'];

/**
 * The stable identity of a bug: kind, check name and error name, never the message or the seed,
 * so thousands of seeds that hit one bug share one signature. Missing parts are `-`.
 */
export function failureSignature(kind: FailureKind, checkName: string | undefined, errorName: string | undefined): string {
  return `${kind}|${checkName ?? '-'}|${errorName ?? '-'}`;
}

/** Name and one-line message of any thrown value, without platform-specific detail. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return { name: typeof name === 'string' && name.length > 0 ? name : 'Error', message: oneLine(safeString(message)) };
  }
  return { name: `thrown_${error === null ? 'null' : typeof error}`, message: oneLine(safeString(error)) };
}

/** `String(value)`, falling back to `[object Type]` for values that refuse conversion (null-prototype objects). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function oneLine(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/\s*[\r\n]+\s*/g, ' ').trim() : text;
}
