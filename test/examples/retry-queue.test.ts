import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';

const retryQueue = findBuiltinCase('retry-queue')!;
const retryQueueBug = findBuiltinCase('retry-queue-bug')!;

function eventLines(trace: string): string[] {
  return trace.trimEnd().split('\n').slice(1).map((line) => line.replace(/^event=\d+ /, ''));
}

describe('retry-queue', () => {
  it('rejects the stale completion on every seed', async () => {
    await mar.expectFuzz(retryQueue, { seed: 0, seeds: 300 });
  });

  it('shows the lease, timeout, stale rejection and current completion in the trace', async () => {
    const report = await mar.expectPass(retryQueue, { seed: 12648430 });
    const lines = eventLines(report.trace).filter((line) => line.startsWith('queue.'));
    expect(lines).toEqual([
      'queue.lease job=7 worker=1 deadline_ns=5000000',
      'queue.timeout job=7 worker=1',
      'queue.lease job=7 worker=2 deadline_ns=10000000',
      'queue.complete job=7 worker=1 accepted=false reason=stale_lease completions=0',
      'queue.complete job=7 worker=2 accepted=true reason=current_lease completions=1',
    ]);
    expect(report.trace).toContain('run.attribute key=lease_ticks value=uint:5\n');
  });
});

describe('retry-queue-bug', () => {
  it('is caught by "job completed at most once" on every seed', async () => {
    for (const seed of [0, 1, 12648430, '0xC0FFEE']) {
      const report = await mar.expectFailure(retryQueueBug, { seed, kind: 'check_failed', check: 'job completed at most once' });
      expect(report.errorName).toBe('InvariantViolation');
    }
  });

  it('has the trace shape of the original example', async () => {
    const report = await mar.runCase(retryQueueBug, { seed: 12648430 });
    const lines = eventLines(report.trace).filter((line) => line.startsWith('queue.'));
    expect(lines).toEqual([
      'queue.lease job=7 worker=1 deadline_ns=5000000',
      'queue.timeout job=7 worker=1',
      'queue.lease job=7 worker=2 deadline_ns=10000000',
      'queue.complete job=7 worker=1 accepted=true reason=stale_ack_bug completions=1',
      'queue.complete job=7 worker=2 accepted=true reason=current_lease completions=2',
      'queue.invariant_violation job=7 completions=2',
    ]);
  });

  it('delays the late completion by a seeded number of ticks', async () => {
    const sleeps = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const report = await mar.runCase(retryQueueBug, { seed });
      sleeps.add(eventLines(report.trace).find((line) => line.startsWith('clock.sleep'))!);
    }
    expect(sleeps).toEqual(
      new Set([0, 1, 2].map((ticks) => `clock.sleep duration_ns=${ticks * 1_000_000} wake_ns=${5_000_000 + ticks * 1_000_000}`)),
    );
  });
});

describe('retry-queue-swarm / -swarm-bug', () => {
  it('the correct queue never double-completes under none, smoke and swarm', async () => {
    const { failureRate } = await import('./probabilistic.js');
    for (const profile of ['none', 'smoke', 'swarm'] as const) {
      expect((await failureRate(findBuiltinCase('retry-queue-swarm')!, profile, 100)).failures).toBe(0);
    }
  });

  it('the buggy queue never fails under none and swarm finds the late completion', async () => {
    const { expectFoundBySwarm } = await import('./probabilistic.js');
    const report = await expectFoundBySwarm(findBuiltinCase('retry-queue-swarm-bug')!, 200, 200, ['check_failed|job completed at most once|InvariantViolation']);
    expect(report.trace).toMatch(/queue.complete job=7 worker=[12] accepted=true reason=stale_ack_bug/);
  });
});
