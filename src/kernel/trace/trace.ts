import { EventLimitExceeded } from '../errors.js';
import type { EventFormat, EventValue } from './event-format.js';
import { assertEventName, assertFieldKey, assertFieldValue, assertFieldsObject, traceValueText, validateRawRecord, type TraceFields, type TraceValue } from './record-format.js';

/** The first line of every trace. */
export const TRACE_HEADER = 'marionette.trace format=text version=0';

/** Marks a structured record in the log: `FIELDS, name, [key, value, key, value, ...]`. */
const FIELDS = Symbol('fields');

/**
 * The trace of one world: a header line, then one line per event, `event=N name key=value ...`.
 * Event indexes start at 0 and grow by one per event. A record that fails validation throws
 * before anything is written, so a trace never holds a half-written or ambiguous line.
 *
 * Events are kept in a compact structured log: a body the library wrote as text, a library event
 * as its format and values, or a structured record as its name and fields. Text is made only when
 * it is asked for: most runs of a campaign pass, and nobody reads their trace.
 */
export class Trace {
  /** Events in order: a text body (1 entry), a format and its values (`1 + arity`), or a record (3). */
  private readonly log: unknown[] = [];
  private count = 0;

  /**
   * @param maxEvents the most events this trace accepts; more is a runaway run.
   * @param observer sees every event body right after it is written (guided search derives a
   *   run's coverage from it); absent on the plain fuzz path, which then formats no event it
   *   has a format or fields for.
   */
  constructor(
    readonly maxEvents: number,
    private readonly observer?: (body: string) => void,
  ) {}

  /** Events recorded so far. */
  get eventCount(): number {
    return this.count;
  }

  /** Records a structured event; text values are percent-encoded when the text is written. */
  record(name: string, fields: TraceFields | undefined, context: string): void {
    assertEventName(name, context);
    if (fields === undefined) return this.append(name);
    const pairs = checkedFields(fields, context);
    this.admit();
    const log = this.log;
    const start = log.length;
    log.push(FIELDS, name, pairs);
    if (this.observer !== undefined) this.observer(bodyAt(log, start).body);
  }

  /** Records a raw event `"name k=v ..."` after strict validation. */
  recordRaw(text: string, context: string): void {
    this.append(validateRawRecord(text, context));
  }

  /**
   * Appends an event body the library formatted itself from values it knows are valid.
   * It does no validation.
   */
  append(body: string): void {
    this.admit();
    this.log.push(body);
    if (this.observer !== undefined) this.observer(body);
  }

  /**
   * Appends a library event of `format` with its values (as many as the format has slots). This is
   * the hot path for world-generated events: no validation and no text.
   */
  appendEvent(format: EventFormat, v0?: EventValue, v1?: EventValue, v2?: EventValue, v3?: EventValue, v4?: EventValue, v5?: EventValue, v6?: EventValue, v7?: EventValue): void {
    this.admit();
    const log = this.log;
    const start = log.length;
    const arity = format.arity;
    log.push(format);
    if (arity > 0) log.push(v0);
    if (arity > 1) log.push(v1);
    if (arity > 2) log.push(v2);
    if (arity > 3) log.push(v3);
    if (arity > 4) log.push(v4);
    if (arity > 5) log.push(v5);
    if (arity > 6) log.push(v6);
    if (arity > 7) log.push(v7);
    if (this.observer !== undefined) this.observer(format.write(log, start + 1));
  }

  /** The whole trace text: header and events, each line ending in `\n`. */
  text(): string {
    let text = `${TRACE_HEADER}\n`;
    const log = this.log;
    for (let i = 0, index = 0; i < log.length; index++) {
      const { body, next } = bodyAt(log, i);
      text += `event=${index} ${body}\n`;
      i = next;
    }
    return text;
  }

  private admit(): void {
    if (this.count >= this.maxEvents) {
      throw new EventLimitExceeded(`trace: the run recorded more than maxEvents=${this.maxEvents} events`);
    }
    this.count++;
  }
}

/** Every field of a record, checked, as `[key, value, key, value, ...]` (each property read once). */
function checkedFields(fields: TraceFields, context: string): (string | TraceValue)[] {
  assertFieldsObject(fields, context);
  const pairs: (string | TraceValue)[] = [];
  for (const key in fields) {
    assertFieldKey(key, context); // before the value is read: a getter of a refused field never runs
    const value = fields[key] as TraceValue;
    assertFieldValue(key, value, context);
    pairs.push(key, value);
  }
  return pairs;
}

/** The body of the event whose first log entry is at `start`, and where the next event starts. */
function bodyAt(log: readonly unknown[], start: number): { body: string; next: number } {
  const entry = log[start];
  if (typeof entry === 'string') return { body: entry, next: start + 1 };
  if (entry === FIELDS) {
    let body = log[start + 1] as string;
    const pairs = log[start + 2] as readonly (string | TraceValue)[];
    for (let i = 0; i < pairs.length; i += 2) body += ` ${pairs[i] as string}=${traceValueText(pairs[i + 1] as TraceValue)}`;
    return { body, next: start + 3 };
  }
  const format = entry as EventFormat;
  return { body: format.write(log, start + 1), next: start + 1 + format.arity };
}
