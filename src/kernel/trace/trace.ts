import { EventLimitExceeded } from '../errors.js';
import { assertEventName, formatStructuredFields, validateRawRecord, type TraceFields } from './record-format.js';

/** The first line of every trace. */
export const TRACE_HEADER = 'marionette.trace format=text version=0';

/**
 * The trace of one world: a header line, then one line per event, `event=N name key=value ...`.
 * Event indexes start at 0 and grow by one per event. A record that fails validation throws
 * before anything is written, so a trace never holds a half-written or ambiguous line.
 */
export class Trace {
  /**
   * Event bodies in order. The `event=N ` prefixes and newlines are added only when the text is
   * asked for: most runs of a campaign pass, and nobody reads their text.
   */
  private readonly bodies: string[] = [];

  /**
   * @param maxEvents the most events this trace accepts; more is a runaway run.
   * @param observer sees every event body right after it is written (guided search derives a
   *   run's coverage from it); absent on the plain fuzz path, which pays one check per event.
   */
  constructor(
    readonly maxEvents: number,
    private readonly observer?: (body: string) => void,
  ) {}

  /** Events recorded so far. */
  get eventCount(): number {
    return this.bodies.length;
  }

  /** Records a structured event; text values are percent-encoded. */
  record(name: string, fields: TraceFields | undefined, context: string): void {
    assertEventName(name, context);
    this.append(fields === undefined ? name : name + formatStructuredFields(fields, context));
  }

  /** Records a raw event `"name k=v ..."` after strict validation. */
  recordRaw(text: string, context: string): void {
    this.append(validateRawRecord(text, context));
  }

  /**
   * Appends an event body the library formatted itself from values it knows are valid.
   * This is the hot path for world-generated events; it does no validation.
   */
  append(body: string): void {
    if (this.bodies.length >= this.maxEvents) {
      throw new EventLimitExceeded(`trace: the run recorded more than maxEvents=${this.maxEvents} events`);
    }
    this.bodies.push(body);
    if (this.observer !== undefined) this.observer(body);
  }

  /** The whole trace text: header and events, each line ending in `\n`. */
  text(): string {
    let text = `${TRACE_HEADER}\n`;
    for (let i = 0; i < this.bodies.length; i++) text += `event=${i} ${this.bodies[i]}\n`;
    return text;
  }
}
