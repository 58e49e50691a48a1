import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

/** Fails exactly on the seeds whose first draw below 10 is 0 (about 1 in 10). */
const tenthFails = mar.defineCase({
  name: 'one in ten',
  init: (world: mar.World) => world.simulate({}),
  scenario(sim: mar.Simulation) {
    if (sim.env.random.intLessThan(10) === 0) throw new RangeError('unlucky draw');
  },
});

function firstFailingSeed(): number {
  for (let seed = 0; ; seed++) {
    const world = new mar.World({ seed });
    if (world.untraced.intLessThan(10) === 0) return seed;
  }
}

describe('expectPass / expectFailure', () => {
  const passes = mar.defineCase({ name: 'passes', init: () => 0, scenario() {} });
  const fails = mar.defineCase({
    name: 'fails',
    init: () => 0,
    scenario() {},
    checks: [{ name: 'never holds', check: () => { throw new Error('nope'); } }],
  });

  it('expectPass returns the report of a passing run and throws with the summary otherwise', async () => {
    expect((await mar.expectPass(passes, { seed: 1 })).passed).toBe(true);
    const error = await mar.expectPass(fails, { seed: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(mar.ExpectationFailed);
    expect((error as mar.ExpectationFailed).message).toContain('FAIL fails seed=1 kind=check_failed check="never holds"');
    expect((error as mar.ExpectationFailed).report.kind).toBe('check_failed');
  });

  it('expectFailure returns the failing report and throws when the case passes', async () => {
    expect((await mar.expectFailure(fails, { seed: 1, kind: 'check_failed', check: 'never holds' })).checkName).toBe('never holds');
    await expect(mar.expectFailure(passes, { seed: 1 })).rejects.toThrow(/passes passed on seed 1; expected it to fail/);
  });

  it('expectFailure throws when the failure is not the one asked for', async () => {
    await expect(mar.expectFailure(fails, { seed: 1, kind: 'stalled' })).rejects.toThrow(/expected kind stalled/);
    await expect(mar.expectFailure(fails, { seed: 1, check: 'other' })).rejects.toThrow(/expected check "other" to fail/);
  });

  it('expectFailure does not accept a determinism mismatch unless asked', async () => {
    let n = 0;
    const leaky = mar.defineCase({ name: 'leaky', init: (w: mar.World) => w, scenario: (w: mar.World) => w.record('leak.n', { n: n++ }) });
    await expect(mar.expectFailure(leaky, { seed: 1 })).rejects.toThrow(/other than determinism_mismatch/);
    expect((await mar.expectFailure(leaky, { seed: 1, kind: 'determinism_mismatch' })).kind).toBe('determinism_mismatch');
  });
});

describe('expectFuzz', () => {
  it('runs every seed of a passing range', async () => {
    const seen: bigint[] = [];
    const c = mar.defineCase({ name: 'counts', init: (w: mar.World) => seen.push(w.seed), scenario() {} });
    const summary = await mar.expectFuzz(c, { seed: 10, seeds: 300 });
    expect(summary).toEqual({ seedsRun: 300, firstSeed: 10n, lastSeed: 309n });
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => 10n + BigInt(i)));
  });

  it('throws on the first failing seed with kind, signature, trace tail and replay command', async () => {
    const failing = firstFailingSeed();
    const error = (await mar.expectFuzz(tenthFails, { seed: 0, seeds: 500 }).catch((e: unknown) => e)) as mar.ExpectationFailed;
    expect(error).toBeInstanceOf(mar.ExpectationFailed);
    expect(error.report.seed).toBe(BigInt(failing));
    expect(error.message).toContain(`failed on seed ${failing} (seed ${failing + 1} of 500 from 0)`);
    expect(error.message).toContain('signature: scenario_error|-|RangeError');
    expect(error.message).toContain('trace tail');
    expect(error.message).toContain(`run.error phase=scenario error=RangeError`);
    expect(error.message).toMatch(new RegExp(`replay: mar run .* --seed ${failing} --trace`));
  });

  it('rejects a bad seed count and a range past 2^64 - 1', async () => {
    await expect(mar.expectFuzz(tenthFails, { seeds: 0 })).rejects.toThrow(/seeds must be a positive safe integer/);
    await expect(mar.expectFuzz(tenthFails, { seed: mar.SEED_MAX, seeds: 2 })).rejects.toThrow(/past 2\^64 - 1/);
  });
});
