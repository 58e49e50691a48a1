import { InvalidTraceRecord, describeValue } from '../errors.js';
import { encodeTraceText, isEncodedTraceText } from './escape.js';

/** A scalar a structured trace record can carry. Text is percent-encoded when written. */
export type TraceValue = string | number | bigint | boolean;

/** The fields of a structured trace record, written in property order. */
export type TraceFields = Readonly<Record<string, TraceValue>>;

const EVENT_NAME = /^(?:buggify|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)$/;
const FIELD_KEY = /^[a-z0-9_]+$/;

/** Validated names and keys, so the hot path checks each distinct one only once. Bounded. */
const knownNames = new Set<string>();
const knownKeys = new Set<string>();
const KNOWN_LIMIT = 4096;

function remember(cache: Set<string>, value: string): void {
  if (cache.size < KNOWN_LIMIT) cache.add(value);
}

/** Checks an event name: `component.action` (lowercase words joined by `_`), or `buggify`. */
export function assertEventName(name: string, context: string): void {
  if (knownNames.has(name)) return;
  if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
    throw new InvalidTraceRecord(
      `${context}: invalid event name ${describeValue(name)}: expected component.action in lowercase words joined by "_"`,
    );
  }
  remember(knownNames, name);
}

/** Checks that `fields` is a plain object of fields. */
export function assertFieldsObject(fields: unknown, context: string): asserts fields is TraceFields {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new InvalidTraceRecord(`${context}: fields must be a plain object of key: value, got ${describeValue(fields)}`);
  }
}

/** Checks a field key: lowercase letters, digits and `_`. */
export function assertFieldKey(key: string, context: string): void {
  if (knownKeys.has(key)) return;
  if (!FIELD_KEY.test(key)) {
    throw new InvalidTraceRecord(`${context}: invalid field key ${describeValue(key)}: use lowercase letters, digits and "_"`);
  }
  remember(knownKeys, key);
}

/**
 * Checks the value of field `key` (whose key was checked first, before the value was read: a
 * getter never runs for a field that is refused anyway): a value that has a trace form.
 */
export function assertFieldValue(key: string, value: TraceValue, context: string): void {
  switch (typeof value) {
    case 'string':
      if (value.length === 0) throw new InvalidTraceRecord(`${context}: field ${key} is empty text; trace values are non-empty`);
      if (!value.isWellFormed()) throw new InvalidTraceRecord(`${context}: field ${key} holds a lone UTF-16 surrogate`);
      return;
    case 'number':
    case 'bigint':
    case 'boolean':
      return;
    default:
      throw new InvalidTraceRecord(
        `${context}: field ${key} must be a string, number, bigint or boolean, got ${describeValue(value)}`,
      );
  }
}

/** The trace form of a value {@link assertFieldValue} accepted: text percent-encoded, the rest as `String` writes it. */
export function traceValueText(value: TraceValue): string {
  return typeof value === 'string' ? encodeTraceText(value) : String(value);
}

/** The trace form of one structured value (text percent-encoded). */
export function formatTraceValue(value: TraceValue, key: string, context: string): string {
  assertFieldValue(key, value, context);
  return traceValueText(value);
}

/** ` key=value` for every field, in property order; validates every key and value first. */
export function formatStructuredFields(fields: TraceFields, context: string): string {
  assertFieldsObject(fields, context);
  let out = '';
  for (const key in fields) {
    assertFieldKey(key, context);
    out += ` ${key}=${formatTraceValue(fields[key] as TraceValue, key, context)}`;
  }
  return out;
}

/**
 * Validates a raw record `"name k=v k=v"` and returns it unchanged. Raw values must already be
 * in encoded form: single spaces between fields, no leading or trailing space, every field
 * `key=value`, keys unique, values non-empty printable ASCII without `=` or `\`, and `%` only
 * as a `%HH` escape.
 * @throws {InvalidTraceRecord} naming the record and the problem.
 */
export function validateRawRecord(text: string, context: string): string {
  const tokens = text.split(' ');
  const fail = (reason: string): never => {
    throw new InvalidTraceRecord(`${context}: invalid raw record ${JSON.stringify(text)}: ${reason}`);
  };
  if (tokens.some((token) => token.length === 0)) fail('leading, trailing or repeated space');
  assertEventName(tokens[0] as string, context);
  const seen = new Set<string>();
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const eq = token.indexOf('=');
    if (eq <= 0) fail(`field ${JSON.stringify(token)} is not key=value`);
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (!FIELD_KEY.test(key)) fail(`invalid field key ${JSON.stringify(key)}`);
    if (seen.has(key)) fail(`field key ${key} repeated`);
    seen.add(key);
    if (value.length === 0) fail(`field ${key} has an empty value`);
    if (!isEncodedTraceText(value)) {
      fail(`field ${key} value ${JSON.stringify(value)} holds "=", "\\", a control or non-ASCII byte, or a bare "%"`);
    }
  }
  return text;
}
