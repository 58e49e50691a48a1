import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

const u64 = fc.bigInt({ min: 0n, max: mar.SEED_MAX });

describe('parseSeed', () => {
  it('reads decimal, 0x hex, numbers and bigints', () => {
    expect(mar.parseSeed('12648430')).toBe(12648430n);
    expect(mar.parseSeed('0xC0FFEE')).toBe(0xc0ffeen);
    expect(mar.parseSeed('0Xc0ffee')).toBe(0xc0ffeen);
    expect(mar.parseSeed(13)).toBe(13n);
    expect(mar.parseSeed(0)).toBe(0n);
    expect(mar.parseSeed(18446744073709551615n)).toBe(mar.SEED_MAX);
    expect(mar.parseSeed('18446744073709551615')).toBe(mar.SEED_MAX);
    expect(mar.parseSeed('0xffffffffffffffff')).toBe(mar.SEED_MAX);
  });

  it('reduces a 40-hex-digit git commit hash to its first 16 hex digits', () => {
    const commit = '3f786850e387550fdab836ed7e6dc881de23001b';
    expect(mar.parseSeed(commit)).toBe(0x3f786850e387550fn);
    expect(mar.parseSeed(commit.toUpperCase())).toBe(0x3f786850e387550fn);
  });

  it.each([
    ['-1', /invalid seed "-1"/],
    ['', /invalid seed ""/],
    ['0x', /invalid seed "0x"/],
    ['12abc', /invalid seed "12abc"/],
    [' 12', /invalid seed " 12"/],
    ['1.5', /invalid seed "1.5"/],
    ['18446744073709551616', /larger than 2\^64 - 1/],
    ['0x10000000000000000', /larger than 2\^64 - 1/],
    ['3f786850e387550fdab836ed7e6dc881de23001', /invalid seed/],
    [-1, /non-negative safe integer/],
    [1.5, /non-negative safe integer/],
    [2 ** 53, /non-negative safe integer/],
    [Number.NaN, /non-negative safe integer/],
    [-1n, /\[0, 2\^64\)/],
    [1n << 64n, /\[0, 2\^64\)/],
  ] as const)('rejects %s with an error naming it', (input, message) => {
    expect(() => mar.parseSeed(input)).toThrow(mar.InvalidSeed);
    expect(() => mar.parseSeed(input)).toThrow(message);
  });

  it('rejects values of other types', () => {
    expect(() => mar.parseSeed({} as never)).toThrow(/expected a number, bigint or string/);
    expect(() => mar.parseSeed(null as never)).toThrow(mar.InvalidSeed);
  });

  it('round-trips every u64 through decimal text, hex text and bigint', () => {
    fc.assert(
      fc.property(u64, (seed) => {
        expect(mar.parseSeed(mar.formatSeed(seed))).toBe(seed);
        expect(mar.parseSeed(`0x${seed.toString(16)}`)).toBe(seed);
        expect(mar.parseSeed(seed)).toBe(seed);
      }),
    );
  });

  it('reads every safe non-negative number as the same bigint', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => mar.parseSeed(n) === BigInt(n)));
  });

  it('reads any 40-hex-digit text as the u64 of its first 16 digits', () => {
    const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF');
    fc.assert(
      fc.property(fc.string({ unit: hexDigit, minLength: 40, maxLength: 40 }), (commit) => {
        expect(mar.parseSeed(commit)).toBe(BigInt(`0x${commit.slice(0, 16)}`));
      }),
    );
  });
});
