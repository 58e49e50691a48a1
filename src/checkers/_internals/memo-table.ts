import type { Bitset } from './bitset.js';

const EMPTY = -1;
const INITIAL_ENTRIES = 1024;
/** Words of linearized sets the table starts with at most (4 MB). */
const INITIAL_WORDS = 1 << 20;

/**
 * The memo of a search: the (linearized set, model state) pairs seen so far. An open hash table
 * kept in typed arrays, with every set's words in one shared array, so remembering a pair costs
 * one copy of its words and no object: the search remembers one pair per step it goes deeper, and
 * a table of objects (an array of entries in a Map, a bitset copy each) spent most of its time in
 * allocation and garbage collection.
 */
export class MemoTable<State> {
  private readonly wordsPerSet: number;
  private sets: Uint32Array;
  private hashes: Int32Array;
  private chain: Int32Array;
  private buckets: Int32Array;
  private readonly states: State[] = [];
  private readonly keys: (string | undefined)[] = [];
  private count = 0;

  constructor(
    setSize: number,
    /** Compares two states when they have no text key (the model's `equal`). */
    private readonly equal: ((a: State, b: State) => boolean) | undefined,
  ) {
    this.wordsPerSet = Math.max(1, Math.ceil(setSize / 32));
    // Start small for large partitions (a 1,000,000-operation set is 122 KB); the table doubles as needed.
    const entries = Math.max(16, Math.min(INITIAL_ENTRIES, Math.floor(INITIAL_WORDS / this.wordsPerSet)));
    this.sets = new Uint32Array(entries * this.wordsPerSet);
    this.hashes = new Int32Array(entries);
    this.chain = new Int32Array(entries);
    this.buckets = new Int32Array(entries * 2).fill(EMPTY);
  }

  /**
   * Adds the pair (`set`, `state`) unless it is there already; returns whether it was added.
   * `key` is the state's text key (undefined when states compare with `equal`), `keyHash` its hash.
   */
  add(set: Bitset, state: State, key: string | undefined, keyHash: number): boolean {
    const hash = (set.hash ^ keyHash) | 0;
    const bucket = hash & (this.buckets.length - 1);
    for (let e = this.buckets[bucket]!; e !== EMPTY; e = this.chain[e]!) {
      if (this.hashes[e] !== hash || !this.sameSet(e, set)) continue;
      if (this.equal !== undefined ? this.equal(this.states[e]!, state) : this.keys[e] === key) return false;
    }
    if (this.count === this.hashes.length) this.grow();
    const e = this.count++;
    this.sets.set(set.words, e * this.wordsPerSet);
    this.hashes[e] = hash;
    // States are kept only to compare with `equal`; with text keys the key alone identifies a state,
    // and keeping every state alive would make the garbage collector walk them all.
    if (this.equal !== undefined) this.states[e] = state;
    else this.keys[e] = key;
    this.chain[e] = this.buckets[bucket]!;
    this.buckets[bucket] = e;
    if (this.count * 2 > this.buckets.length) this.rehash();
    return true;
  }

  private sameSet(entry: number, set: Bitset): boolean {
    const words = set.words;
    const sets = this.sets;
    const base = entry * this.wordsPerSet;
    for (let i = 0; i < words.length; i++) if (sets[base + i] !== words[i]) return false;
    return true;
  }

  private grow(): void {
    const capacity = this.hashes.length * 2;
    let sets: Uint32Array;
    try {
      sets = new Uint32Array(capacity * this.wordsPerSet);
    } catch {
      // Each pair holds its whole linearized set: a large partition with much concurrency needs
      // (operations / 8) bytes per pair, and the search can remember millions of pairs.
      throw new RangeError(
        `checkLinearizable: the memo of ${this.count} (linearized set, state) pairs of ${this.wordsPerSet * 32} operations outgrew memory; ` +
          'pass { timeoutMs }, or give the model a partition so parts are checked one by one',
      );
    }
    sets.set(this.sets);
    this.sets = sets;
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const chain = new Int32Array(capacity);
    chain.set(this.chain);
    this.chain = chain;
  }

  private rehash(): void {
    const buckets = new Int32Array(this.buckets.length * 2).fill(EMPTY);
    const mask = buckets.length - 1;
    for (let e = 0; e < this.count; e++) {
      const bucket = this.hashes[e]! & mask;
      this.chain[e] = buckets[bucket]!;
      buckets[bucket] = e;
    }
    this.buckets = buckets;
  }
}
