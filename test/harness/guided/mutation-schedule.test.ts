import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { MUTATIONS, PLACEMENTS, type Mutation, type Placement } from '../../../src/harness/guided/mutate-tape.js';
import { MutationSchedule } from '../../../src/harness/guided/mutation-schedule.js';

/** How often `picks` draws (from a generator seeded with `seed`) chose each mutation and each placement. */
function pickCounts(schedule: MutationSchedule, picks: number, seed = 1n) {
  const rng = mar.Prng.fromSeed(seed);
  const mutations = new Map<Mutation, number>(MUTATIONS.map((m) => [m, 0]));
  const placements = new Map<Placement, number>(PLACEMENTS.map((p) => [p, 0]));
  for (let i = 0; i < picks; i++) {
    const arm = schedule.pick(rng);
    mutations.set(arm.mutation, mutations.get(arm.mutation)! + 1);
    placements.set(arm.placement, placements.get(arm.placement)! + 1);
  }
  return { mutations, placements };
}

describe('MutationSchedule', () => {
  it('picks every mutation about equally before it has seen any run', () => {
    const { mutations } = pickCounts(new MutationSchedule(), 6000);
    for (const mutation of MUTATIONS) {
      expect(mutations.get(mutation)).toBeGreaterThan(850);
      expect(mutations.get(mutation)).toBeLessThan(1150);
    }
  });

  it('places 5 in 8 picks at the focus, 1 in 8 after it and 2 in 8 anywhere', () => {
    const { placements } = pickCounts(new MutationSchedule(), 8000);
    expect(placements.get('at-focus')).toBeGreaterThan(4700);
    expect(placements.get('at-focus')).toBeLessThan(5300);
    expect(placements.get('after-focus')).toBeGreaterThan(850);
    expect(placements.get('after-focus')).toBeLessThan(1150);
    expect(placements.get('anywhere')).toBeGreaterThan(1800);
    expect(placements.get('anywhere')).toBeLessThan(2200);
  });

  it('picks a winning mutation more often (Laplace rate (wins + 1) / (uses + 2))', () => {
    const schedule = new MutationSchedule();
    for (const mutation of MUTATIONS) for (let i = 0; i < 20; i++) schedule.record(mutation, mutation === 'duplicate' && i < 18);
    // duplicate: 19/22; every other: 1/22. Share of duplicate 19/24, about 79%.
    const { mutations } = pickCounts(schedule, 4000);
    expect(mutations.get('duplicate')).toBeGreaterThan(2950);
    expect(mutations.get('duplicate')).toBeLessThan(3350);
    for (const mutation of MUTATIONS.filter((m) => m !== 'duplicate')) {
      expect(mutations.get(mutation)).toBeGreaterThan(0); // no arm ever drops to zero
      expect(mutations.get(mutation)).toBeLessThan(300);
    }
  });

  it('follows the rates as they change: losses lower an arm, later wins raise it again', () => {
    const schedule = new MutationSchedule();
    for (let i = 0; i < 10; i++) schedule.record('zero', false); // 1/12 against 5 times 1/2: share 1/31, about 97 of 3000
    const low = pickCounts(schedule, 3000).mutations.get('zero')!;
    expect(low).toBeGreaterThan(40);
    expect(low).toBeLessThan(170);
    for (let i = 0; i < 30; i++) schedule.record('zero', true); // 31/42 against 1/2: share about 23%
    const zero = pickCounts(schedule, 3000).mutations.get('zero')!;
    expect(zero).toBeGreaterThan(580);
    expect(zero).toBeLessThan(820);
  });

  it('is deterministic: the same record and the same generator state give the same picks', () => {
    const build = () => {
      const schedule = new MutationSchedule();
      schedule.record('splice', true);
      schedule.record('change', false);
      return schedule;
    };
    const [a, b] = [build(), build()];
    const [x, y] = [mar.Prng.fromSeed(5n), mar.Prng.fromSeed(5n)];
    for (let i = 0; i < 100; i++) expect(a.pick(x)).toEqual(b.pick(y));
  });
});
