import { InvalidArgument, describeValue } from './errors.js';

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const TWO_21 = 2097152;

/** Largest bound `intLessThan` accepts: every result is then an exact JS integer. */
export const MAX_INT_BOUND = TWO_53;

/**
 * The deterministic pseudo-random generator of a world.
 *
 * Algorithm: **xoshiro128\*\*** (Blackman and Vigna, 2018) over four 32-bit words, period
 * 2^128 - 1. It needs only 32-bit integer operations, so it is fast in JavaScript and gives the
 * same stream on every platform and Node version.
 *
 * Seeding from a u64 seed with low word `lo` and high word `hi` (`fmix32` is MurmurHash3's
 * finalizer, a bijection on u32):
 * ```
 * s0 = fmix32(lo ^ 0x9E3779B9 ^ (stream ? fmix32(stream ^ 0x632BE5AB) : 0))
 * s1 = fmix32(hi ^ s0 ^ 0x85EBCA6B)
 * s2 = fmix32(s0 ^ rotl(s1, 16) ^ 0xC2B2AE35)
 * s3 = fmix32(s1 ^ rotl(s2, 16) ^ 0x27D4EB2F)
 * ```
 * `(s0, s1)` determines `(lo, hi)`, so two seeds never share a state; every word but `s0`
 * depends on both halves, so consecutive seeds (what a campaign runs) start far apart; and the
 * state is never all zero.
 *
 * Bounded integers use rejection sampling, so they carry no modulo bias.
 */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new InvalidArgument('Prng: the all-zero state is not a valid xoshiro128** state');
    }
  }

  /**
   * A generator seeded from a u64 seed (see the class documentation for the mapping). `stream`
   * selects one of 2^32 streams of the same seed (default 0, the world's own stream); it is mixed
   * into `s0`, and within one stream two seeds never share a state.
   */
  static fromSeed(seed: bigint, stream = 0): Prng {
    const lo = Number(seed & 0xffffffffn);
    const hi = Number((seed >> 32n) & 0xffffffffn);
    const s0 = fmix32(lo ^ 0x9e3779b9 ^ (stream === 0 ? 0 : fmix32(stream ^ 0x632be5ab)));
    const s1 = fmix32(hi ^ s0 ^ 0x85ebca6b);
    const s2 = fmix32(s0 ^ rotl(s1, 16) ^ 0xc2b2ae35);
    const s3 = fmix32(s1 ^ rotl(s2, 16) ^ 0x27d4eb2f);
    return new Prng(s0, s1, s2, s3);
  }

  /** A generator with an explicit xoshiro128** state (for known-answer tests). */
  static fromState(state: readonly [number, number, number, number]): Prng {
    return new Prng(state[0], state[1], state[2], state[3]);
  }

  /** The next raw 32-bit output, in `[0, 2^32)`. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A uniformly distributed integer in `[0, bound)`, `bound` an integer in `[1, 2^53]`.
   * A bound of 1 returns 0 without consuming the stream.
   */
  intLessThan(bound: number): number {
    if (!(bound >= 1 && bound <= TWO_53 && Number.isInteger(bound))) {
      throw new InvalidArgument(`intLessThan: bound must be an integer in [1, 2^53], got ${describeValue(bound)}`);
    }
    if (bound === 1) return 0;
    if (bound <= TWO_32) {
      // Accept only the largest multiple of `bound` below 2^32 so every residue is equally likely.
      const limit = TWO_32 - (TWO_32 % bound);
      for (;;) {
        const r = this.nextU32();
        if (r < limit) return r % bound;
      }
    }
    const limit = TWO_53 - (TWO_53 % bound);
    for (;;) {
      const r = (this.nextU32() % TWO_21) * TWO_32 + this.nextU32();
      if (r < limit) return r % bound;
    }
  }

  /** A uniformly distributed u64 as a bigint (high word drawn first). */
  u64(): bigint {
    const hi = this.nextU32();
    const lo = this.nextU32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A fair boolean. */
  bool(): boolean {
    return this.intLessThan(2) === 1;
  }

  /**
   * An independent deterministic stream: the child's state is four outputs of this generator
   * passed through `fmix32`, so forking advances this stream by exactly four outputs.
   */
  fork(): Prng {
    const a = fmix32(this.nextU32());
    const b = fmix32(this.nextU32());
    const c = fmix32(this.nextU32());
    const d = fmix32(this.nextU32());
    return (a | b | c | d) === 0 ? new Prng(1, 0, 0, 0) : new Prng(a, b, c, d);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3's 32-bit finalizer: a bijection on u32 with full avalanche. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
