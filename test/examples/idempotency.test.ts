import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';

const idempotency = findBuiltinCase('idempotency')!;
const idempotencyBug = findBuiltinCase('idempotency-bug')!;

// The seeds README.md documents.
const PASSING_SEED = 12648430;
const FAILING_SEED = 3;

describe('idempotency-bug', () => {
  it(`passes on seed ${PASSING_SEED}, where request ids differ`, async () => {
    const report = await mar.expectPass(idempotencyBug, { seed: PASSING_SEED });
    expect(report.trace).toMatch(/buggify hook=reuse_request_id_across_accounts rate=1\/8 roll=\d+ fired=false\n/);
    expect(report.trace).toMatch(/idempotency.requests alice_id=\d+ bob_id=\d+ reused=false\n/);
  });

  it(`fails on seed ${FAILING_SEED}: the reused id drops Bob's deposit`, async () => {
    const report = await mar.expectFailure(idempotencyBug, {
      seed: FAILING_SEED,
      kind: 'check_failed',
      check: 'every deposit applied exactly once',
    });
    expect(report.trace).toMatch(/buggify hook=reuse_request_id_across_accounts rate=1\/8 roll=7 fired=true\n/);
    expect(report.trace).toMatch(/idempotency.requests alice_id=(\d+) bob_id=\1 reused=true\n/);
    expect(report.trace).toMatch(/idempotency.deposit account=bob request_id=\d+ amount=50 accepted=false reason=global_duplicate balance=0\n/);
    expect(report.trace).toContain('idempotency.invariant_violation account=bob expected=50 actual=0\n');
  });

  it('fails on roughly 1 seed in 8', async () => {
    let failures = 0;
    const seeds = 4000;
    for (let seed = 0; seed < seeds; seed++) {
      const report = await mar.runCase(idempotencyBug, { seed });
      if (!report.passed) {
        failures++;
        expect(report.signature).toBe('check_failed|every deposit applied exactly once|InvariantViolation');
      }
    }
    // Binomial(4000, 1/8): mean 500, standard deviation ~21.
    expect(failures).toBeGreaterThan(430);
    expect(failures).toBeLessThan(570);
  });

  it('gives different traces for different seeds', async () => {
    const traces = new Set<string>();
    for (let seed = 0; seed < 50; seed++) traces.add((await mar.runCase(idempotencyBug, { seed })).trace);
    expect(traces.size).toBe(50);
  });
});

describe('idempotency', () => {
  it('applies every deposit exactly once on every seed, reused ids included', async () => {
    await mar.expectFuzz(idempotency, { seed: 0, seeds: 500 });
    const reused = await mar.runCase(idempotency, { seed: FAILING_SEED });
    expect(reused.trace).toContain('reused=true');
    expect(reused.passed).toBe(true);
  });
});
