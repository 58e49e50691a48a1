import { InvalidSeed, describeValue } from './errors.js';

/** Largest seed: seeds are unsigned 64-bit integers. */
export const SEED_MAX = (1n << 64n) - 1n;

/** What `parseSeed` accepts: a safe non-negative integer, a bigint, or seed text. */
export type SeedInput = bigint | number | string;

const DECIMAL = /^[0-9]+$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;
const GIT_COMMIT = /^[0-9a-fA-F]{40}$/;

/**
 * Reads a seed as an unsigned 64-bit integer.
 *
 * Accepts a non-negative safe integer, a bigint in `[0, 2^64)`, or text that is either
 * decimal (`12648430`), `0x`-prefixed hexadecimal (`0xC0FFEE`), or a 40-hex-digit git commit
 * hash. A commit hash is reduced to its first 16 hex digits read as a big-endian u64, so CI can
 * seed a run by `git rev-parse HEAD` and anyone can recompute the seed by hand.
 *
 * @throws {InvalidSeed} for anything else, naming the input.
 */
export function parseSeed(input: SeedInput): bigint {
  if (typeof input === 'bigint') {
    if (input >= 0n && input <= SEED_MAX) return input;
    throw invalid(input, 'a bigint seed must be in [0, 2^64)');
  }
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return BigInt(input);
    throw invalid(input, 'a number seed must be a non-negative safe integer');
  }
  if (typeof input === 'string') {
    if (GIT_COMMIT.test(input)) return BigInt(`0x${input.slice(0, 16)}`);
    if (DECIMAL.test(input) || HEX.test(input)) {
      const value = BigInt(input);
      if (value <= SEED_MAX) return value;
      throw invalid(input, 'seed is larger than 2^64 - 1');
    }
    throw invalid(input, 'expected decimal, 0x-prefixed hex, or a 40-hex-digit git commit hash');
  }
  throw invalid(input, 'expected a number, bigint or string');
}

/** Formats a seed the way it is stored and printed everywhere: decimal text. */
export function formatSeed(seed: bigint): string {
  return seed.toString(10);
}

function invalid(input: unknown, reason: string): InvalidSeed {
  return new InvalidSeed(`parseSeed: invalid seed ${describeValue(input)}: ${reason}`);
}
