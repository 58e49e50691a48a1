import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

const TWO_32 = 2 ** 32;

/** Pearson chi-square statistic of observed bucket counts against a uniform expectation. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('Prng', () => {
  it('matches the reference xoshiro128** output (state 1, 2, 3, 4)', () => {
    // Published test vector of the reference C implementation by Blackman and Vigna.
    const prng = mar.Prng.fromState([1, 2, 3, 4]);
    const out = Array.from({ length: 8 }, () => prng.nextU32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it('matches the reference implementation on a second state (compiled from xoshiro128starstar.c)', () => {
    const prng = mar.Prng.fromState([0x9e3779b9, 0x243f6a88, 0xb7e15162, 0xdeadbeef]);
    const out = Array.from({ length: 8 }, () => prng.nextU32());
    expect(out).toEqual([2463954730, 5524658, 74256371, 1905451993, 3123413897, 314453775, 1263677054, 1531511215]);
  });

  it('gives the same stream for the same seed and different streams for different seeds', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: mar.SEED_MAX }), fc.bigInt({ min: 0n, max: mar.SEED_MAX }), (a, b) => {
        const first = (seed: bigint) => {
          const p = mar.Prng.fromSeed(seed);
          return [p.nextU32(), p.nextU32(), p.nextU32(), p.nextU32()];
        };
        expect(first(a)).toEqual(first(a));
        if (a !== b) expect(first(a)).not.toEqual(first(b));
      }),
    );
  });

  it('keeps intLessThan within [0, bound) for every bound up to 2^53', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: mar.SEED_MAX }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER + 1 }), (seed, bound) => {
        const prng = mar.Prng.fromSeed(seed);
        for (let i = 0; i < 20; i++) {
          const value = prng.intLessThan(bound);
          expect(Number.isInteger(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(bound);
        }
      }),
    );
  });

  it('draws small bounds uniformly (chi-square, 6 buckets)', () => {
    const prng = mar.Prng.fromSeed(42n);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[prng.intLessThan(6)]++;
    // 5 degrees of freedom: P(chi2 > 20.5) ~ 0.001.
    expect(chiSquare(counts)).toBeLessThan(20.5);
  });

  it('has no modulo bias for a bound that does not divide 2^32', () => {
    // With bound = 3 * 2^30, a naive `u32 % bound` makes values below 2^30 twice as likely
    // (probability 1/2 instead of 1/3).
    const bound = 3 * 2 ** 30;
    const prng = mar.Prng.fromSeed(7n);
    let low = 0;
    const draws = 30_000;
    for (let i = 0; i < draws; i++) if (prng.intLessThan(bound) < 2 ** 30) low++;
    expect(low / draws).toBeGreaterThan(0.32);
    expect(low / draws).toBeLessThan(0.347);
  });

  it('has no modulo bias above 2^32 either', () => {
    const bound = 3 * 2 ** 51;
    const prng = mar.Prng.fromSeed(9n);
    let low = 0;
    const draws = 30_000;
    for (let i = 0; i < draws; i++) if (prng.intLessThan(bound) < 2 ** 51) low++;
    expect(low / draws).toBeGreaterThan(0.32);
    expect(low / draws).toBeLessThan(0.347);
  });

  it('starts consecutive seeds far apart: first draws over seeds 0..N are uniform', () => {
    const counts = new Array(10).fill(0);
    for (let seed = 0n; seed < 20_000n; seed++) counts[mar.Prng.fromSeed(seed).intLessThan(10)]++;
    // 9 degrees of freedom: P(chi2 > 27.9) ~ 0.001.
    expect(chiSquare(counts)).toBeLessThan(27.9);
  });

  it('returns 0 for bound 1 without consuming the stream', () => {
    const a = mar.Prng.fromSeed(5n);
    const b = mar.Prng.fromSeed(5n);
    expect(a.intLessThan(1)).toBe(0);
    expect(a.nextU32()).toBe(b.nextU32());
  });

  it('builds u64 from two outputs, high word first', () => {
    const a = mar.Prng.fromSeed(11n);
    const b = mar.Prng.fromSeed(11n);
    const hi = BigInt(b.nextU32());
    const lo = BigInt(b.nextU32());
    expect(a.u64()).toBe((hi << 32n) | lo);
  });

  it('forks an independent deterministic stream, advancing the parent by four outputs', () => {
    const parent = mar.Prng.fromSeed(3n);
    const twin = mar.Prng.fromSeed(3n);
    const child = parent.fork();
    const childAgain = twin.fork();
    const childDraws = Array.from({ length: 16 }, () => child.nextU32());
    expect(Array.from({ length: 16 }, () => childAgain.nextU32())).toEqual(childDraws);
    const reference = mar.Prng.fromSeed(3n);
    for (let i = 0; i < 4; i++) reference.nextU32();
    const parentDraws = Array.from({ length: 16 }, () => parent.nextU32());
    expect(parentDraws).toEqual(Array.from({ length: 16 }, () => reference.nextU32()));
    expect(childDraws).not.toEqual(parentDraws);
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 53 + 2, Infinity])('rejects bound %s naming it', (bound) => {
    expect(() => mar.Prng.fromSeed(1n).intLessThan(bound)).toThrow(mar.InvalidArgument);
    expect(() => mar.Prng.fromSeed(1n).intLessThan(bound)).toThrow(`got ${bound}`);
  });

  it('produces full 32-bit outputs', () => {
    const prng = mar.Prng.fromSeed(0n);
    let max = 0;
    for (let i = 0; i < 1000; i++) max = Math.max(max, prng.nextU32());
    expect(max).toBeGreaterThan(TWO_32 * 0.99);
    expect(max).toBeLessThan(TWO_32);
  });
});

describe('fnv1a', () => {
  it('gives the published 32-bit FNV-1a values on ASCII (one code unit per byte)', async () => {
    const { fnv1a } = await import('../../src/kernel/prng.js');
    expect([fnv1a(''), fnv1a('a'), fnv1a('foobar')]).toEqual([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
  });
});
