import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import { decodeTraceText } from '../../kernel/trace/escape.js';
import { fnv1a } from '../../kernel/prng.js';

/**
 * Characters XML 1.0 cannot hold at all, not even as character references: C0 controls other
 * than tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF. Decoded trace text
 * may contain them (`%01` is valid trace text), and one of them would make the whole page
 * unparsable as XML, so they become U+FFFD.
 */
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SPECIAL = /[&<>"']/g;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for XML character data and attribute values alike. Trace values keep `<`, `&`,
 * `"` and `'` as they are (they are printable ASCII, which trace encoding leaves alone), so every
 * piece of trace text written into markup goes through here.
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\ufffd').replace(SPECIAL, (c) => ENTITY[c] as string);
}

/**
 * The lines of trace text, event `i` at index `i` (the header dropped). Titles show these lines
 * exactly as written: rebuilding them from parsed fields could reorder keys (JavaScript objects
 * put integer-like keys first), and a reader comparing a tooltip with the trace must see the same
 * text. Call only on text `parseTrace` accepted, which guarantees one line per event.
 */
export function eventLines(traceText: string): string[] {
  const lines = traceText.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(1);
}

/** A decoded trace text value, or the encoded value itself when it does not decode (a hand-written trace). */
export function decodedOr(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  try {
    return decodeTraceText(value);
  } catch {
    return value;
  }
}

/** A field as a non-negative safe integer, or undefined when absent or not one (hand-written traces). */
export function intField(value: string | undefined): number | undefined {
  if (value === undefined || !/^(0|[1-9][0-9]*)$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A comma-separated list of node ids (`left=0,1,3`); ids that do not parse are skipped. */
export function intList(value: string | undefined): number[] {
  if (value === undefined) return [];
  return value.split(',').flatMap((part) => {
    const n = intField(part);
    return n === undefined ? [] : [n];
  });
}

/** Simulated nanoseconds as a short label: `0 ms`, `1.5 ms`, `2.004 s`. Exact up to microseconds, which is finer than any tick. */
export function formatNs(ns: number): string {
  if (ns >= 1_000_000_000) return `${trimDecimals(ns / 1_000_000_000, 3)} s`;
  if (ns >= 1_000 || ns === 0) return `${trimDecimals(ns / 1_000_000, 3)} ms`;
  return `${ns} ns`;
}

function trimDecimals(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

/** Text cut to at most `max` characters, an ellipsis marking the cut. Labels cannot be measured without a renderer, so they are cut by count. */
export function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  const chars = Array.from(text); // never split a surrogate pair
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * FNV-1a (32 bits) of a string, as 8 hex digits. Inline SVGs share the page's id namespace, and
 * a marker referenced across SVGs breaks when the SVG that defines it is hidden (a collapsed
 * `<details>`), so each SVG names its marker after its own content: deterministic, and distinct
 * for distinct traces.
 */
export function contentId(text: string): string {
  return fnv1a(text).toString(16).padStart(8, '0');
}

/** Checks an optional count option: a non-negative safe integer. */
export function optionalCount(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgument(`${what} must be a non-negative safe integer, got ${describeValue(value)}`);
  }
  return value;
}
