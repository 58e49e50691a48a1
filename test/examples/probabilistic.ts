import * as mar from 'marionette-sim';
import { expect } from 'vitest';
import { runOnce } from '../../src/harness/run-once.js';

/** How many of `seeds` seeds (from 0) fail under `profile`, with the signatures seen. */
export async function failureRate(c: mar.Case, profile: mar.ProfileInput, seeds: number) {
  let failures = 0;
  const signatures = new Set<string>();
  for (let seed = 0n; seed < BigInt(seeds); seed++) {
    const outcome = await runOnce(c, { seed, profile: mar.resolveProfile(profile, seed), captureStacks: false });
    if (outcome.failure !== undefined) {
      failures++;
      signatures.add(mar.failureSignature(outcome.failure.kind, outcome.failure.checkName, outcome.failure.errorName));
    }
  }
  return { failures, signatures };
}

/** Asserts a probabilistic bug never fails under `none` and that `swarm` finds it within `budget` seeds. */
export async function expectFoundBySwarm(c: mar.Case, noneSeeds: number, budget: number, signatures: readonly string[]) {
  expect((await failureRate(c, 'none', noneSeeds)).failures).toBe(0);
  const error = (await mar.expectFuzz(c, { seed: 0, seeds: budget, profile: 'swarm' }).catch((e: unknown) => e)) as mar.ExpectationFailed;
  expect(error).toBeInstanceOf(mar.ExpectationFailed);
  expect(signatures).toContain(error.report.signature);
  expect(error.message).toContain('--profile swarm');
  return error.report;
}
