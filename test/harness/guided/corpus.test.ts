import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { Corpus, MAX_CORPUS_ENTRIES, MAX_CORPUS_TAPE } from '../../../src/harness/guided/corpus.js';
import type { CorpusEntry } from '../../../src/harness/guided/corpus-entry.js';

function entry(offset: number, tapeLength: number, points: readonly (readonly [string, number])[]): CorpusEntry {
  return { offset, profile: mar.NONE_PROFILE, choices: Array<number>(tapeLength).fill(offset % 7), points };
}

/** How often `draws` selections (from a generator seeded with `seed`) aim at each point. */
function aimCounts(corpus: Corpus, draws: number, seed = 1n): Map<string, number> {
  const rng = mar.Prng.fromSeed(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const { point } = corpus.select(rng);
    counts.set(point, (counts.get(point) ?? 0) + 1);
  }
  return counts;
}

const pointsOf = (...points: [string, number][]) => new Map(points);

describe('Corpus: what it knows', () => {
  it('starts from its snapshot, and newPoints returns only unknown points, in the run\'s order', () => {
    const corpus = new Corpus([entry(0, 5, [['a', 0], ['b', 2]]), entry(1, 5, [['c', 1]])]);
    expect(corpus.size).toBe(2);
    expect(corpus.newPoints(pointsOf(['z', 4], ['a', 1], ['y', 0], ['c', 3], ['x', 2]))).toEqual([['z', 4], ['y', 0], ['x', 2]]);
    expect(corpus.newPoints(pointsOf(['a', 0], ['b', 2], ['c', 1]))).toEqual([]);
    expect(corpus.newPoints(new Map())).toEqual([]);
  });

  it('knows the points of an entry once it is added', () => {
    const corpus = new Corpus([]);
    expect(corpus.size).toBe(0);
    expect(corpus.add(entry(3, 4, [['p', 1], ['q', 2]]))).toBe(true);
    expect(corpus.size).toBe(1);
    expect(corpus.newPoints(pointsOf(['q', 0], ['r', 0]))).toEqual([['r', 0]]);
  });

  it(`holds at most MAX_CORPUS_ENTRIES (${MAX_CORPUS_ENTRIES}) entries, but knows the points of one that did not fit`, () => {
    const corpus = new Corpus(Array.from({ length: MAX_CORPUS_ENTRIES }, (_, i) => entry(i, 2, [[`p${i}`, 0]])));
    expect(corpus.size).toBe(MAX_CORPUS_ENTRIES);
    expect(corpus.add(entry(MAX_CORPUS_ENTRIES, 2, [['late', 0]]))).toBe(false);
    expect(corpus.size).toBe(MAX_CORPUS_ENTRIES);
    expect(corpus.newPoints(pointsOf(['late', 0], ['later', 1]))).toEqual([['later', 1]]);
    // A snapshot larger than the limit is cut there too.
    expect(new Corpus(Array.from({ length: MAX_CORPUS_ENTRIES + 3 }, (_, i) => entry(i, 2, [[`p${i}`, 0]]))).size).toBe(MAX_CORPUS_ENTRIES);
  });

  it(`keeps no tape longer than MAX_CORPUS_TAPE (${MAX_CORPUS_TAPE}) decisions, but knows its points`, () => {
    const corpus = new Corpus([]);
    expect(corpus.add(entry(0, MAX_CORPUS_TAPE + 1, [['long', 5]]))).toBe(false);
    expect(corpus.size).toBe(0);
    expect(corpus.newPoints(pointsOf(['long', 5]))).toEqual([]);
    expect(() => corpus.select(mar.Prng.fromSeed(0n))).toThrow('Corpus.select: the corpus is empty');
    expect(corpus.add(entry(1, MAX_CORPUS_TAPE, [['just fits', 5]]))).toBe(true);
    expect(corpus.size).toBe(1);
    expect(corpus.select(mar.Prng.fromSeed(0n)).point).toBe('just fits');
  });

  it('refuses to select from an empty corpus', () => {
    expect(() => new Corpus([]).select(mar.Prng.fromSeed(1n))).toThrow('Corpus.select: the corpus is empty');
  });
});

describe('Corpus.select', () => {
  const corpusArb = fc
    .array(fc.tuple(fc.nat(6), fc.array(fc.nat(9), { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 6 })
    .map((specs) => specs.map(([length, focuses], e) => entry(e, length, focuses.map((f, p) => [`e${e}p${p}`, f] as const))));

  it('aims only at a point of the chosen entry whose decision index is inside its tape (property)', () => {
    fc.assert(
      fc.property(corpusArb, fc.array(fc.nat(30)), fc.bigInt({ min: 0n, max: mar.SEED_MAX }), (entries, hitPicks, seed) => {
        const corpus = new Corpus(entries);
        const all = entries.flatMap((e) => e.points);
        for (const pick of hitPicks) corpus.countHits(pointsOf([...all[pick % all.length]!]), undefined);
        const aimable = entries.some((e) => e.points.some(([, focus]) => focus < e.choices.length));
        const rng = mar.Prng.fromSeed(seed);
        for (let i = 0; i < 20; i++) {
          const { entry: chosen, point, focus } = corpus.select(rng);
          expect(entries).toContain(chosen);
          if (aimable) {
            expect(chosen.points).toContainEqual([point, focus]);
            expect(focus).toBeLessThan(chosen.choices.length);
          } else {
            // Every point lies past its run's last decision: anywhere in any tape, its end included.
            expect(point).toBe(chosen.points[0]![0]);
            expect(focus).toBeGreaterThanOrEqual(0);
            expect(focus).toBeLessThanOrEqual(chosen.choices.length);
          }
        }
      }),
    );
  });

  it('never aims at a point past the end of its tape, however rare, while another point is aimable', () => {
    const corpus = new Corpus([entry(0, 3, [['past the end', 3], ['at the end', 2]]), entry(1, 3, [['common', 0]])]);
    for (let i = 0; i < 10; i++) corpus.countHits(pointsOf(['common', 0], ['at the end', 2]), undefined);
    expect(aimCounts(corpus, 500).get('past the end')).toBeUndefined();
  });

  it('falls back to anywhere in any entry when every point is past its tape', () => {
    const corpus = new Corpus([entry(0, 2, [['a', 2], ['b', 5]]), entry(1, 4, [['c', 4]])]);
    const rng = mar.Prng.fromSeed(3n);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const { entry: chosen, point, focus } = corpus.select(rng);
      expect(point).toBe(chosen.points[0]![0]);
      seen.add(`${chosen.offset}@${focus}`);
    }
    expect([...seen].sort()).toEqual(['0@0', '0@1', '0@2', '1@0', '1@1', '1@2', '1@3', '1@4']);
  });

  it('is deterministic: the same generator state selects the same aims', () => {
    const build = () => {
      const corpus = new Corpus([entry(0, 5, [['a', 0], ['b', 3]]), entry(1, 6, [['c', 2]])]);
      corpus.countHits(pointsOf(['a', 0]), undefined);
      corpus.recordAim('c', false);
      return corpus;
    };
    const [x, y] = [mar.Prng.fromSeed(9n), mar.Prng.fromSeed(9n)];
    const [cx, cy] = [build(), build()];
    for (let i = 0; i < 50; i++) expect(cx.select(x)).toEqual(cy.select(y));
  });

  it('favours a point the lane rarely hits over one it often hits (rarity squared)', () => {
    const corpus = new Corpus([entry(0, 5, [['common', 1]]), entry(1, 5, [['rare', 1]])]);
    for (let i = 0; i < 3; i++) corpus.countHits(pointsOf(['common', 1]), undefined);
    // Weights 1/16 against 1: rare gets about 94% of 2000 aims.
    const counts = aimCounts(corpus, 2000);
    expect(counts.get('rare')).toBeGreaterThan(1750);
    expect(counts.get('common')).toBeGreaterThan(0);
    expect(counts.get('common')).toBeLessThan(250);
  });

  it('gives points with equal hits and aims equal shares', () => {
    const corpus = new Corpus([entry(0, 5, [['a', 1], ['b', 2]]), entry(1, 5, [['c', 0]])]);
    const counts = aimCounts(corpus, 3000);
    for (const point of ['a', 'b', 'c']) {
      expect(counts.get(point)).toBeGreaterThan(850);
      expect(counts.get(point)).toBeLessThan(1150);
    }
  });

  it('countHits skips the points the given parent added, and counts every other point', () => {
    const a = entry(0, 5, [['a', 1]]);
    const b = entry(1, 5, [['b', 1]]);
    const run = pointsOf(['a', 1], ['b', 2], ['elsewhere', 0]);

    const parentA = new Corpus([a, b]);
    for (let i = 0; i < 3; i++) parentA.countHits(run, a); // b counted 3 times, a never
    const byA = aimCounts(parentA, 2000);
    expect(byA.get('a')).toBeGreaterThan(1750);

    const parentB = new Corpus([a, b]);
    for (let i = 0; i < 3; i++) parentB.countHits(run, b);
    expect(aimCounts(parentB, 2000).get('b')).toBeGreaterThan(1750);

    const noParent = new Corpus([a, b]); // a fresh run: both counted, equal shares
    for (let i = 0; i < 3; i++) noParent.countHits(run, undefined);
    const fresh = aimCounts(noParent, 2000);
    expect(fresh.get('a')).toBeGreaterThan(850);
    expect(fresh.get('b')).toBeGreaterThan(850);
  });

  it('countHits skips a point the parent added even when an entry of another lane added it first', () => {
    // Lanes of one round start from the same corpus, so two of them can add the same point.
    const first = entry(0, 5, [['shared', 1]]);
    const second = entry(1, 5, [['shared', 2], ['own', 3]]);
    const other = entry(2, 5, [['other', 1]]);
    const corpus = new Corpus([first, second, other]);
    for (let i = 0; i < 5; i++) corpus.countHits(pointsOf(['shared', 2], ['own', 3], ['other', 4]), second);
    // Only `other` was counted: `shared` and `own` keep their full weight against it.
    const counts = aimCounts(corpus, 3000);
    expect((counts.get('other') ?? 0) / 3000).toBeLessThan(0.02);
  });

  it('falls back to any tape when the only entry has no points to aim at', () => {
    const corpus = new Corpus([entry(0, 3, [])]);
    const selection = corpus.select(mar.Prng.fromSeed(5n));
    expect(selection.point).toBe('');
    expect(selection.focus).toBeGreaterThanOrEqual(0);
    expect(selection.focus).toBeLessThanOrEqual(3);
  });

  it('recordAim lowers the share of a point whose mutations keep failing, and raises one whose mutations win', () => {
    const build = () => new Corpus([entry(0, 5, [['tried', 1]]), entry(1, 5, [['untried', 1]])]);
    const failing = build();
    for (let i = 0; i < 4; i++) failing.recordAim('tried', false); // (0+1)/(4+2) = 1/6 against 1/2: share 1/4
    const failingShare = (aimCounts(failing, 2000).get('tried') ?? 0) / 2000;
    expect(failingShare).toBeGreaterThan(0.2);
    expect(failingShare).toBeLessThan(0.3);

    const moreFailing = build();
    for (let i = 0; i < 40; i++) moreFailing.recordAim('tried', false); // 1/42 against 1/2: share 1/22
    expect((aimCounts(moreFailing, 2000).get('tried') ?? 0) / 2000).toBeLessThan(0.07);

    const winning = build();
    for (let i = 0; i < 4; i++) winning.recordAim('tried', true); // 5/6 against 1/2: share 5/8
    const winningShare = (aimCounts(winning, 2000).get('tried') ?? 0) / 2000;
    expect(winningShare).toBeGreaterThan(0.57);
    expect(winningShare).toBeLessThan(0.68);
  });

  it('any picks every entry, uniformly', () => {
    const entries = [entry(0, 1, [['a', 0]]), entry(1, 1, [['b', 0]]), entry(2, 1, [['c', 0]])];
    const corpus = new Corpus(entries);
    const rng = mar.Prng.fromSeed(4n);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[corpus.any(rng).offset]!++;
    for (const count of counts) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1150);
    }
  });
});
