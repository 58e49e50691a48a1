import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeedPlan } from '../../../src/search/campaign/seed-plan.js';

function drain(plan: SeedPlan, batch: number): number[] {
  const offsets: number[] = [];
  for (let range = plan.next(batch); range !== undefined; range = plan.next(batch)) {
    for (let i = 0; i < range.count; i++) offsets.push(range.offset + i);
  }
  return offsets;
}

describe('SeedPlan', () => {
  it('hands out every offset of a bounded campaign exactly once, in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 64 }), (total, batch) => {
        expect(drain(SeedPlan.fresh(total), batch)).toEqual(Array.from({ length: total }, (_, i) => i));
      }),
    );
  });

  it('on resume hands out exactly the offsets no completed range covers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.tuple(fc.nat(399), fc.integer({ min: 1, max: 40 })), { maxLength: 20 }),
        fc.integer({ min: 1, max: 50 }),
        (total, raw, batch) => {
          // Build disjoint completed ranges inside [0, total).
          const covered = new Set<number>();
          const completed = [];
          for (const [start, length] of raw) {
            const offsets = Array.from({ length }, (_, i) => start + i).filter((o) => o < total);
            if (offsets.length === 0 || offsets.some((o) => covered.has(o))) continue;
            offsets.forEach((o) => covered.add(o));
            completed.push({ firstOffset: offsets[0]!, count: offsets.length });
          }
          const rest = drain(SeedPlan.resume(total, completed, 0), batch);
          expect(rest).toEqual(Array.from({ length: total }, (_, i) => i).filter((o) => !covered.has(o)));
        },
      ),
    );
  });

  it('resumes a duration campaign from its gaps, then past its frontier', () => {
    const plan = SeedPlan.resume(null, [{ firstOffset: 0, count: 10 }, { firstOffset: 20, count: 5 }], 30);
    expect(plan.next(100)).toEqual({ offset: 10, count: 10 });
    expect(plan.next(100)).toEqual({ offset: 25, count: 5 });
    expect(plan.next(7)).toEqual({ offset: 30, count: 7 });
    expect(plan.remaining).toBeNull();
  });

  it('hands re-queued work out again before fresh offsets', () => {
    const plan = SeedPlan.fresh(100);
    plan.next(50);
    plan.requeue({ offset: 10, count: 5 });
    expect(plan.next(100)).toEqual({ offset: 10, count: 5 });
    expect(plan.next(100)).toEqual({ offset: 50, count: 50 });
    expect(plan.remaining).toBe(0);
  });
});
