import { InvalidArgument } from '../errors.js';
import { assertEventName } from './record-format.js';

/**
 * A value of a library event. It is written with `String()`, so text must already be in trace form
 * (see `encodeTraceText`): the library passes only names it validated, such as paths and hooks.
 */
export type EventValue = string | number | bigint | boolean;

/** Most values one library event carries (see `Trace.appendEvent`). */
export const MAX_EVENT_VALUES = 8;

/**
 * The shape of a library event: its fixed text with a slot for each value. The world records an
 * event as its format and its values, and writes the body only when the trace text is read: a
 * passing seed of a campaign never builds a string for its events.
 */
export class EventFormat {
  /** How many values an event of this format carries. */
  readonly arity: number;

  private constructor(
    /** The fixed text around the values: `parts[0] v0 parts[1] v1 ... parts[arity]`. */
    readonly parts: readonly string[],
  ) {
    this.arity = parts.length - 1;
    const head = parts[0]!;
    const space = head.indexOf(' ');
    assertEventName(space < 0 ? head : head.slice(0, space), 'eventFormat');
    if (this.arity > MAX_EVENT_VALUES) throw new InvalidArgument(`eventFormat: ${head} has ${this.arity} values; the most is ${MAX_EVENT_VALUES}`);
  }

  /** @internal See {@link eventFormat}. */
  static of(parts: readonly string[]): EventFormat {
    return new EventFormat(parts);
  }

  /**
   * The same format with fixed fields written right after the event name (` host=2` for the disk
   * of host 2), for a subsystem that tags every event it records.
   */
  withFixedFields(fields: string): EventFormat {
    if (fields === '') return this;
    const head = this.parts[0]!;
    const space = head.indexOf(' ');
    const at = space < 0 ? head.length : space;
    return new EventFormat([head.slice(0, at) + fields + head.slice(at), ...this.parts.slice(1)]);
  }

  /** The event body of the values at `values[start .. start + arity)`. */
  write(values: readonly unknown[], start: number): string {
    const parts = this.parts;
    let body = parts[0]!;
    for (let i = 0; i < this.arity; i++) body += String(values[start + i]) + parts[i + 1]!;
    return body;
  }
}

/**
 * Defines an event format as a tagged template whose slots name the values, in order:
 * ``eventFormat`clock.sleep duration_ns=${'durationNs'} wake_ns=${'wakeNs'}` `` reads as the line
 * it writes. The names only document the slots.
 */
export function eventFormat(parts: TemplateStringsArray, ..._names: string[]): EventFormat {
  return EventFormat.of([...parts]);
}
