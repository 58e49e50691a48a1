import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { MUTATIONS, PLACEMENTS, mutateTape, type Mutation, type MutationPlan, type Placement } from '../../../src/harness/guided/mutate-tape.js';
import { TapeChoices } from '../../../src/kernel/choice-tape.js';

const TWO_32 = 2 ** 32;
const TAIL_EXTRA = 16;
const MAX_SPAN = 8;

const u32 = fc.integer({ min: 0, max: TWO_32 - 1 });
const tapeArb = fc.array(u32, { maxLength: 40 });
const focusArb = fc.nat(50);
const seedArb = fc.bigInt({ min: 0n, max: mar.SEED_MAX });
const spanArb = fc.option(fc.integer({ min: 1, max: MAX_SPAN }), { nil: undefined });
const placementArb = fc.constantFrom(...PLACEMENTS);

function planOf(mutation: Mutation, placement: Placement, span?: number): MutationPlan {
  return span === undefined ? { mutation, placement } : { mutation, placement, span };
}

function mutate(tape: readonly number[], focus: number, other: readonly number[], seed: bigint, plan: MutationPlan): number[] {
  return mutateTape(tape, focus, other, mar.Prng.fromSeed(seed), plan);
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** The positions a placement may choose in a tape of `length` aimed at `focus`. */
function positions(length: number, focus: number, placement: Placement): number[] {
  if (placement === 'at-focus') return [Math.min(length, focus)];
  if (placement === 'after-focus') return [...new Set([1, 2, 3].map((d) => Math.min(length, focus + d)))];
  return range(0, length);
}

const spans = (span: number | undefined): number[] => (span === undefined ? range(1, MAX_SPAN) : [span]);

// The law of each mutation, for a given position `at` and span.
const laws = {
  duplicate: (tape: readonly number[], out: readonly number[], at: number, span: number) =>
    sameArray(out, [...tape.slice(0, at), ...tape.slice(Math.max(0, at - span), at), ...tape.slice(at)]),
  'randomize-tail': (tape: readonly number[], out: readonly number[], at: number) =>
    out.length === at + Math.max(0, tape.length - at) + TAIL_EXTRA && sameArray(out.slice(0, at), tape.slice(0, at)),
  change: (tape: readonly number[], out: readonly number[], at: number) =>
    out.length === Math.max(tape.length, at + 1) && tape.every((v, i) => i === at || out[i] === v),
  zero: (tape: readonly number[], out: readonly number[], at: number, span: number) =>
    out.length === Math.max(tape.length, at + span) &&
    out.every((v, i) => (i >= at && i < at + span ? v === 0 : v === tape[i])),
  'randomize-span': (tape: readonly number[], out: readonly number[], at: number, span: number) =>
    out.length === Math.max(tape.length, at + span) && out.every((v, i) => (i >= at && i < at + span) || v === tape[i]),
};

function sameArray(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const isU32Tape = (tape: readonly number[]) => tape.every((v) => Number.isInteger(v) && v >= 0 && v < TWO_32);

describe('mutateTape at the focus: each mutation keeps its law', () => {
  it('duplicate inserts tape[at - span, at) at at', () => {
    fc.assert(
      fc.property(tapeArb, focusArb, fc.integer({ min: 1, max: MAX_SPAN }), seedArb, (tape, focus, span, seed) => {
        const at = Math.min(tape.length, focus);
        const out = mutate(tape, focus, [], seed, planOf('duplicate', 'at-focus', span));
        expect(out).toEqual([...tape.slice(0, at), ...tape.slice(Math.max(0, at - span), at), ...tape.slice(at)]);
        expect(out.length).toBe(tape.length + Math.min(span, at));
      }),
    );
  });

  it('randomize-tail keeps tape[0, at) and draws max(0, length - at) + 16 decisions after it', () => {
    fc.assert(
      fc.property(tapeArb, focusArb, seedArb, (tape, focus, seed) => {
        const at = Math.min(tape.length, focus);
        const out = mutate(tape, focus, [], seed, planOf('randomize-tail', 'at-focus'));
        expect(out.slice(0, at)).toEqual(tape.slice(0, at));
        expect(out.length - at).toBe(Math.max(0, tape.length - at) + TAIL_EXTRA);
      }),
    );
  });

  it('change alters at most position at, padding the tape to reach it', () => {
    fc.assert(
      fc.property(tapeArb, focusArb, seedArb, (tape, focus, seed) => {
        const at = Math.min(tape.length, focus);
        const out = mutate(tape, focus, [], seed, planOf('change', 'at-focus'));
        expect(out.length).toBe(Math.max(tape.length, at + 1));
        expect([...out.slice(0, at), ...out.slice(at + 1)]).toEqual([...tape.slice(0, at), ...tape.slice(at + 1)]);
      }),
    );
  });

  it('zero sets [at, at + span) to 0 and leaves the rest', () => {
    fc.assert(
      fc.property(tapeArb, focusArb, spanArb, seedArb, (tape, focus, span, seed) => {
        const at = Math.min(tape.length, focus);
        const out = mutate(tape, focus, [], seed, planOf('zero', 'at-focus', span));
        // With no span in the plan, the drawn one is some span from 1 to 8.
        expect(spans(span).some((s) => laws.zero(tape, out, at, s))).toBe(true);
        expect(out[at]).toBe(0);
      }),
    );
  });

  it('randomize-span touches only [at, at + span)', () => {
    fc.assert(
      fc.property(tapeArb, focusArb, fc.integer({ min: 1, max: MAX_SPAN }), seedArb, (tape, focus, span, seed) => {
        const at = Math.min(tape.length, focus);
        const out = mutate(tape, focus, [], seed, planOf('randomize-span', 'at-focus', span));
        expect(out.length).toBe(Math.max(tape.length, at + span));
        expect(out.slice(0, at)).toEqual(tape.slice(0, at));
        expect(out.slice(at + span)).toEqual(tape.slice(at + span));
      }),
    );
  });

  it('splice is tape[0, at) then the other tape from min(at, its length) on', () => {
    fc.assert(
      fc.property(tapeArb, focusArb, tapeArb, seedArb, (tape, focus, other, seed) => {
        const at = Math.min(tape.length, focus);
        const out = mutate(tape, focus, other, seed, planOf('splice', 'at-focus'));
        expect(out).toEqual([...tape.slice(0, at), ...other.slice(Math.min(at, other.length))]);
      }),
    );
  });

  it('acts at the end of the tape when the focus is past it', () => {
    const tape = [5, 6, 7];
    expect(mutate(tape, 10, [], 1n, planOf('duplicate', 'at-focus', 2))).toEqual([5, 6, 7, 6, 7]);
    expect(mutate(tape, 99, [], 1n, planOf('zero', 'at-focus', 2))).toEqual([5, 6, 7, 0, 0]);
    const changed = mutate(tape, 3, [], 1n, planOf('change', 'at-focus'));
    expect(changed.slice(0, 3)).toEqual(tape);
    expect(changed).toHaveLength(4);
    expect(mutate(tape, 7, [1, 2, 3, 4, 5], 1n, planOf('splice', 'at-focus'))).toEqual([5, 6, 7, 4, 5]);
  });
});

describe('mutateTape with any placement', () => {
  it('keeps each law at one of the positions the placement allows, and every value a u32', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MUTATIONS), placementArb, tapeArb, focusArb, tapeArb, spanArb, seedArb, (mutation, placement, tape, focus, other, span, seed) => {
        const out = mutate(tape, focus, other, seed, planOf(mutation, placement, span));
        expect(isU32Tape(out)).toBe(true);
        const ats = positions(tape.length, focus, placement);
        if (mutation === 'splice') {
          const ok = ats.some((at) =>
            positions(other.length, Math.min(at, other.length), placement).some((from) => sameArray(out, [...tape.slice(0, at), ...other.slice(from)])),
          );
          expect(ok).toBe(true);
        } else {
          const law = laws[mutation];
          expect(ats.some((at) => spans(span).some((s) => law(tape, out, at, s)))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never changes its inputs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MUTATIONS), placementArb, tapeArb, focusArb, tapeArb, spanArb, seedArb, (mutation, placement, tape, focus, other, span, seed) => {
        const [tapeBefore, otherBefore] = [[...tape], [...other]];
        const out = mutate(Object.freeze(tape), focus, Object.freeze(other), seed, planOf(mutation, placement, span));
        expect(tape).toEqual(tapeBefore);
        expect(other).toEqual(otherBefore);
        expect(out).not.toBe(tape);
      }),
    );
  });

  it('is deterministic: the same generator state gives the same tape and leaves the generator in the same state', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MUTATIONS), placementArb, tapeArb, focusArb, tapeArb, spanArb, seedArb, (mutation, placement, tape, focus, other, span, seed) => {
        const plan = planOf(mutation, placement, span);
        const [a, b] = [mar.Prng.fromSeed(seed, 7), mar.Prng.fromSeed(seed, 7)];
        expect(mutateTape(tape, focus, other, a, plan)).toEqual(mutateTape(tape, focus, other, b, plan));
        expect(a.nextU32()).toBe(b.nextU32());
      }),
    );
  });

  it('draws fresh values from the generator: other seeds give other random tails', () => {
    const tails = new Set([1n, 2n, 3n, 4n].map((seed) => JSON.stringify(mutate([1, 2, 3], 1, [], seed, planOf('randomize-tail', 'at-focus')).slice(1))));
    expect(tails.size).toBe(4);
  });

  it('replays as given: a TapeChoices replay of a mutated tape makes each 32-bit decision the tape value, and any bound a value below it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MUTATIONS), placementArb, tapeArb, focusArb, tapeArb, seedArb, fc.integer({ min: 1, max: 1000 }), (mutation, placement, tape, focus, other, seed, bound) => {
        const out = mutate(tape, focus, other, seed, planOf(mutation, placement));
        const full = new TapeChoices(out);
        expect(out.map(() => full.intLessThan(TWO_32))).toEqual(out);
        const small = new TapeChoices(out);
        for (const raw of out) {
          const value = small.intLessThan(bound);
          expect(value).toBe(raw % bound);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('after-focus acts one to three decisions after the focus, each of them sometimes', () => {
    const tape = Array<number>(30).fill(0);
    const seen = new Set<number>();
    for (let seed = 0n; seed < 300n; seed++) {
      const out = mutate(tape, 10, [], seed, planOf('change', 'after-focus'));
      const changed = out.flatMap((v, i) => (v !== 0 ? [i] : []));
      expect(changed.length).toBeLessThanOrEqual(1);
      if (changed.length === 1) seen.add(changed[0]!);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([11, 12, 13]);
  });

  it('anywhere acts at every position of the tape, its end included', () => {
    const tape = [0, 0, 0, 0, 0];
    const seen = new Set<number>();
    for (let seed = 0n; seed < 600n; seed++) {
      const out = mutate(tape, 0, [], seed, planOf('change', 'anywhere'));
      const at = out.length > tape.length ? tape.length : out.findIndex((v) => v !== 0);
      if (at >= 0) seen.add(at);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('draws a span of 1 half the time and else 1 to 8 when the plan gives none', () => {
    const tape = Array<number>(40).fill(7);
    const counts = Array<number>(MAX_SPAN + 1).fill(0);
    const runs = 4000;
    for (let seed = 0n; seed < BigInt(runs); seed++) {
      const out = mutate(tape, 5, [], seed, planOf('zero', 'at-focus'));
      counts[out.filter((v) => v === 0).length]!++;
    }
    expect(counts[0]).toBe(0);
    for (let span = 1; span <= MAX_SPAN; span++) expect(counts[span]).toBeGreaterThan(runs / 16 / 2); // each about 1/16
    expect(counts[1]! / runs).toBeGreaterThan(0.5); // 1/2 + 1/16 = 0.5625
    expect(counts[1]! / runs).toBeLessThan(0.63);
  });
});
