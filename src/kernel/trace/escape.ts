import { InvalidTrace } from '../errors.js';

/** Printable ASCII that needs no escaping: `!`..`~` except `%`, `=` and `\`. */
const PLAIN = /^[\x21-\x24\x26-\x3c\x3e-\x5b\x5d-\x7e]+$/;
const ESCAPED_FORM = /^(?:[\x21-\x24\x26-\x3c\x3e-\x5b\x5d-\x7e]|%[0-9A-F]{2})+$/;
const HEX = '0123456789ABCDEF';
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Percent-encodes a text value for a trace field. Space, `=`, `%`, `\`, control bytes and every
 * byte of a non-ASCII character (UTF-8) become `%HH` (uppercase hex); other printable ASCII, such
 * as `scenario:smoke`, stays as it is. The caller guarantees `text` is non-empty and well formed.
 */
export function encodeTraceText(text: string): string {
  if (PLAIN.test(text)) return text;
  let out = '';
  for (const byte of utf8Encoder.encode(text)) {
    if (byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x3d && byte !== 0x5c) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    }
  }
  return out;
}

/** True when `value` is already in encoded form: printable ASCII with `%` only as `%HH`. */
export function isEncodedTraceText(value: string): boolean {
  return ESCAPED_FORM.test(value);
}

/**
 * Inverse of {@link encodeTraceText}.
 * @throws {InvalidTrace} when `value` is not in encoded form or is not UTF-8 once decoded.
 */
export function decodeTraceText(value: string): string {
  if (PLAIN.test(value)) return value;
  if (!ESCAPED_FORM.test(value)) {
    throw new InvalidTrace(`decodeTraceText: ${JSON.stringify(value)} is not percent-encoded trace text`);
  }
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) === 0x25) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i));
    }
  }
  try {
    return utf8Decoder.decode(new Uint8Array(bytes));
  } catch {
    throw new InvalidTrace(`decodeTraceText: ${JSON.stringify(value)} does not decode to UTF-8`);
  }
}
