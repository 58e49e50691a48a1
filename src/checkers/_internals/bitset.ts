import { fmix32 } from '../../kernel/prng.js';

/**
 * A fixed-size set of operation indexes, with a Zobrist hash kept up to date on every change (each
 * index has a fixed random word; the hash is the XOR of the words of the members), so hashing a
 * set costs nothing however large the history is.
 */
export class Bitset {
  readonly words: Uint32Array;
  hash = 0;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  set(index: number): void {
    this.words[index >>> 5]! |= 1 << (index & 31);
    this.hash ^= zobrist(index);
  }

  clear(index: number): void {
    this.words[index >>> 5]! &= ~(1 << (index & 31));
    this.hash ^= zobrist(index);
  }

  has(index: number): boolean {
    return (this.words[index >>> 5]! & (1 << (index & 31))) !== 0;
  }

  equals(words: Uint32Array): boolean {
    const mine = this.words;
    for (let i = 0; i < mine.length; i++) if (mine[i] !== words[i]) return false;
    return true;
  }
}

/** The fixed random word of an index (distinct indexes, distinct words: fmix32 is a bijection). */
function zobrist(index: number): number {
  return fmix32((index + 0x9e3779b9) >>> 0);
}
