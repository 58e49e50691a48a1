import { InvalidTrace } from '../errors.js';
import { TRACE_HEADER } from './trace.js';

/** One parsed trace event. Field values are kept in their encoded trace form. */
export interface TraceEvent {
  readonly index: number;
  readonly name: string;
  readonly fields: Readonly<Record<string, string>>;
}

const EVENT_LINE = /^event=(0|[1-9][0-9]*) (\S+)((?: [a-z0-9_]+=\S+)*)$/;

/**
 * Parses trace text (as written by a world) into events. Use {@link decodeTraceText} on a field
 * value to get the original text back, and `parseAttributeValue` on a `run.attribute` value.
 * @throws {InvalidTrace} naming the first line that is not in the format.
 */
export function parseTrace(text: string): TraceEvent[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== TRACE_HEADER) {
    throw new InvalidTrace(`parseTrace: the first line must be ${JSON.stringify(TRACE_HEADER)}`);
  }
  const events: TraceEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const match = EVENT_LINE.exec(line);
    if (match === null || Number(match[1]) !== i - 1) {
      throw new InvalidTrace(`parseTrace: line ${i + 1} is not event=${i - 1} followed by a name and key=value fields`);
    }
    const fields: Record<string, string> = {};
    for (const pair of (match[3] as string).split(' ').slice(1)) {
      const eq = pair.indexOf('=');
      fields[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    events.push({ index: i - 1, name: match[2] as string, fields });
  }
  return events;
}
