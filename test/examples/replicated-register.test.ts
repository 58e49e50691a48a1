import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { expectFoundBySwarm, failureRate } from './probabilistic.js';

const get = (name: string) => findBuiltinCase(name)!;

describe('replicated-register', () => {
  it('commits one value on every replica that commits, despite seeded drops and latency', async () => {
    await mar.expectFuzz(get('replicated-register'), { seeds: 100 });
    const report = await mar.expectPass(get('replicated-register'), { seed: 12648430 });
    expect(report.trace).toContain('network.lossiness drop_rate=10/100\n');
    expect(report.trace).toContain('network.latency min_latency_ns=1000000 latency_jitter_ns=4000000\n');
    expect(report.trace).toMatch(/register.write client=3 version=1 value=x accepts=[23] committed=true\n/);
  });

  it('partition: the isolated replica misses the write, then commits after the heal', async () => {
    await mar.expectFuzz(get('replicated-register-partition'), { seeds: 50 });
    const report = await mar.runCase(get('replicated-register-partition'), { seed: 1 });
    expect(report.trace).toContain('network.partition left=2 right=0,1,3,4\n');
    expect(report.trace).toMatch(/network.drop id=\d+ from=3 to=2 reason=link_disabled\n/);
    expect(report.trace).toContain('register.commit replica=2 version=1 value=x\n');
  });

  it('conflict: the second value at the same version is rejected', async () => {
    await mar.expectFuzz(get('replicated-register-conflict'), { seeds: 50 });
    const report = await mar.runCase(get('replicated-register-conflict'), { seed: 1 });
    expect(report.trace).toMatch(/register.reject replica=\d version=1 value=second reason=conflict\n/);
    expect(report.trace).toContain('register.conflict_write committed=false\n');
  });

  it('bug: replicas that commit on accept diverge across a partition, and the checker catches it', async () => {
    for (const seed of [0, 1, 12648430]) {
      const report = await mar.expectFailure(get('replicated-register-bug'), { seed, check: 'committed replicas agree' });
      expect(report.trace).toContain('register.invariant_violation reason=divergent_commits values=1:a,1:b\n');
    }
  });
});

describe('replicated-register-swarm / -swarm-bug', () => {
  it('correct replicas agree under none, smoke and swarm', async () => {
    for (const profile of ['none', 'smoke', 'swarm'] as const) expect((await failureRate(get('replicated-register-swarm'), profile, 100)).failures).toBe(0);
  });

  it('buggy replicas never diverge under none and swarm finds the divergence', async () => {
    await expectFoundBySwarm(get('replicated-register-swarm-bug'), 150, 3000, ['check_failed|committed replicas agree|InvariantViolation']);
  });
});
