import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import type { CorpusEntry } from '../../../src/harness/guided/corpus-entry.js';
import { firstTries } from '../../../src/harness/guided/first-tries.js';

function entry(tapeLength: number, points: readonly (readonly [string, number])[]): CorpusEntry {
  return { offset: 0, profile: mar.NONE_PROFILE, choices: Array<number>(tapeLength).fill(1), points };
}

const repeat = { mutation: 'duplicate', placement: 'at-focus', span: 1 };
const redraw = { mutation: 'change', placement: 'at-focus' };

describe('firstTries', () => {
  it('gives, per distinct focus (latest first, at most 4, none past the tape), one repeat then three redraws', () => {
    const e = entry(10, [
      ['p7', 1],
      ['p0', 2],
      ['p1', 2], // same focus as p0: p0 (the first) stands for it
      ['p2', 5],
      ['p5', 7],
      ['p6', 9],
      ['p3', 10], // at the tape's end: no decision after it
      ['p4', 12],
    ]);
    const tries = firstTries(e);
    const group = (point: string, focus: number) => [
      { entry: e, point, focus, plan: repeat },
      ...Array.from({ length: 3 }, () => ({ entry: e, point, focus, plan: redraw })),
    ];
    expect(tries).toEqual([...group('p6', 9), ...group('p5', 7), ...group('p2', 5), ...group('p0', 2)]);
    for (const aim of tries) expect(aim.entry).toBe(e);
  });

  it('gives nothing when every point lies past the tape', () => {
    expect(firstTries(entry(3, [['a', 3], ['b', 4]]))).toEqual([]);
    expect(firstTries(entry(0, [['a', 0]]))).toEqual([]);
  });

  it('works through fewer than four focuses when the entry has fewer', () => {
    const e = entry(4, [['a', 0], ['b', 3]]);
    expect(firstTries(e).map((aim) => [aim.point, aim.focus, aim.plan.mutation])).toEqual([
      ['b', 3, 'duplicate'],
      ['b', 3, 'change'],
      ['b', 3, 'change'],
      ['b', 3, 'change'],
      ['a', 0, 'duplicate'],
      ['a', 0, 'change'],
      ['a', 0, 'change'],
      ['a', 0, 'change'],
    ]);
  });

  it('aims at the latest distinct focuses inside the tape, each at its first point (property)', () => {
    const pointsArb = fc.array(fc.nat(15), { maxLength: 12 }).map((focuses) => focuses.map((focus, i) => [`p${i}`, focus] as const));
    fc.assert(
      fc.property(fc.nat(12), pointsArb, (length, points) => {
        const e = entry(length, points);
        const tries = firstTries(e);
        const inside = [...new Set(points.map(([, f]) => f).filter((f) => f < length))].sort((a, b) => b - a).slice(0, 4);
        expect(tries).toHaveLength(4 * inside.length);
        inside.forEach((focus, g) => {
          const firstPoint = points.find(([, f]) => f === focus)![0];
          const four = tries.slice(4 * g, 4 * g + 4);
          expect(four.map((aim) => aim.focus)).toEqual([focus, focus, focus, focus]);
          expect(four.map((aim) => aim.point)).toEqual([firstPoint, firstPoint, firstPoint, firstPoint]);
          expect(four.map((aim) => aim.plan)).toEqual([repeat, redraw, redraw, redraw]);
        });
      }),
    );
  });
});
