import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CASES } from '../../src/examples/registry.js';
import { FIXTURE_PROFILES, FIXTURE_SEEDS, traceDigest } from '../../scripts/trace-fixture.js';

/**
 * Known answers: the traces of every built-in example, seeds 0..1999 under none and swarm, as
 * they were written when the fixture was made (`node dist/scripts/trace-fixture.js --write`,
 * before the fuzz path was made faster). A faster path, or any change, must keep them byte for
 * byte: a different digest is a changed trace, never a flaky test.
 */
const fixture = JSON.parse(readFileSync(new URL('../fixtures/trace-hashes.json', import.meta.url), 'utf8')) as {
  seeds: number;
  profiles: string[];
  digests: Record<string, string>;
};

/** The examples of one half (the fixture runs in two files, so two test workers share it). */
export function traceFixtureSuite(half: 0 | 1): void {
  describe(`trace fixture, half ${half + 1} of 2: every example, 2,000 seeds, none and swarm`, () => {
    it('covers every built-in example and both profiles', () => {
      expect(fixture.seeds).toBe(FIXTURE_SEEDS);
      expect(fixture.profiles).toEqual([...FIXTURE_PROFILES]);
      expect(Object.keys(fixture.digests).sort()).toEqual([...BUILTIN_CASES.keys()].flatMap((name) => FIXTURE_PROFILES.map((p) => `${name}/${p}`)).sort());
    });

    [...BUILTIN_CASES].forEach(([name, c], index) => {
      if (index % 2 !== half) return;
      it(`${name}: the same traces, byte for byte`, async () => {
        for (const profile of FIXTURE_PROFILES) expect(`${name}/${profile} ${await traceDigest(c, profile)}`).toBe(`${name}/${profile} ${fixture.digests[`${name}/${profile}`]}`);
      }, 120_000);
    });
  });
}
