import { InvalidArgument, describeValue } from '../kernel/errors.js';
import type { TraceFields } from '../kernel/trace/record-format.js';
import { AssertionFailed } from './errors.js';

/** A `sometimes` or `reachable` name a run hit. */
export interface AssertionHit {
  readonly name: string;
  readonly kind: 'sometimes' | 'reachable';
}

/** Whether `value` is non-empty, well-formed text (no lone UTF-16 surrogate): what every name of a case must be. */
export function isNonEmptyText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.isWellFormed();
}

/**
 * Checks an assertion's name: non-empty, well-formed text.
 * @throws {InvalidArgument} naming the call and the value.
 */
export function assertAssertionName(name: unknown, call: string): asserts name is string {
  if (!isNonEmptyText(name)) {
    throw new InvalidArgument(`${call}: name must be non-empty text, got ${describeValue(name)}`);
  }
}

/** Checks an assertion's details: trace fields other than `name` and `kind`, which the event uses. */
export function assertDetails(details: TraceFields | undefined, call: string): void {
  if (details === undefined) return;
  if (typeof details !== 'object' || details === null || Array.isArray(details)) {
    throw new InvalidArgument(`${call}: details must be an object of trace fields, got ${describeValue(details)}`);
  }
  for (const key of ['name', 'kind']) {
    if (Object.hasOwn(details, key)) throw new InvalidArgument(`${call}: details may not use the key ${key} (the event has its own)`);
  }
}

/** The error of a false `always` or a reached `unreachable`. */
export function assertionFailure(kind: 'always' | 'unreachable', name: string, details: TraceFields | undefined): AssertionFailed {
  const what = kind === 'always' ? `always ${JSON.stringify(name)} was false` : `unreachable ${JSON.stringify(name)} was reached`;
  return new AssertionFailed(name, details === undefined ? what : `${what} (${JSON.stringify(details)})`);
}
