import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

const text = fc.string({ unit: 'binary', minLength: 1 }).filter((s) => s.isWellFormed());

describe('encodeTraceText / decodeTraceText', () => {
  it('round-trips every non-empty well-formed string', () => {
    fc.assert(fc.property(text, (s) => mar.decodeTraceText(mar.encodeTraceText(s)) === s));
  });

  it('always produces a valid trace value: printable ASCII without space, "=" or "\\"', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(mar.encodeTraceText(s)).toMatch(/^[\x21-\x3c\x3e-\x5b\x5d-\x7e]+$/);
      }),
    );
  });

  it('is injective: different strings never share an encoding', () => {
    fc.assert(fc.property(text, text, (a, b) => a === b || mar.encodeTraceText(a) !== mar.encodeTraceText(b)));
  });

  it('keeps readable ASCII as it is', () => {
    expect(mar.encodeTraceText('scenario:smoke')).toBe('scenario:smoke');
    expect(mar.encodeTraceText('example:retry_queue')).toBe('example:retry_queue');
  });

  it('escapes space, =, %, \\, control bytes and non-ASCII bytes as uppercase %HH', () => {
    expect(mar.encodeTraceText('a b')).toBe('a%20b');
    expect(mar.encodeTraceText('k=v')).toBe('k%3Dv');
    expect(mar.encodeTraceText('50%')).toBe('50%25');
    expect(mar.encodeTraceText('a\\b')).toBe('a%5Cb');
    expect(mar.encodeTraceText('\n\t\r\x7f')).toBe('%0A%09%0D%7F');
    expect(mar.encodeTraceText('é')).toBe('%C3%A9');
    expect(mar.encodeTraceText('😀')).toBe('%F0%9F%98%80');
  });

  it('rejects text that is not in encoded form', () => {
    expect(() => mar.decodeTraceText('a b')).toThrow(mar.InvalidTrace);
    expect(() => mar.decodeTraceText('%2')).toThrow(mar.InvalidTrace);
    expect(() => mar.decodeTraceText('%zz')).toThrow(mar.InvalidTrace);
    expect(() => mar.decodeTraceText('%FF')).toThrow(/does not decode to UTF-8/);
  });
});
