import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { expectFoundBySwarm, failureRate } from './probabilistic.js';

describe('durable-broadcast', () => {
  it('keeps the acknowledged operation across the crash on every seed', async () => {
    const c = findBuiltinCase('durable-broadcast')!;
    await mar.expectFuzz(c, { seeds: 200 });
    const report = await mar.expectPass(c, { seed: 12648430 });
    expect(report.trace).toContain('durable.broadcast.quorum op=1 value=99 acks=3\n');
    expect(report.trace).toContain('durable.recover status=ok op=1 value=99\n');
  });
});

describe('durable-broadcast-bug', () => {
  it('loses the acknowledged operation and "quorum acknowledged => durable" catches it', async () => {
    const report = await mar.expectFailure(findBuiltinCase('durable-broadcast-bug')!, { seed: 12648430, check: 'quorum acknowledged => durable' });
    const lines = report.trace.split('\n').map((line) => line.replace(/^event=\d+ /, ''));
    const at = (text: string) => lines.indexOf(text);
    expect(at('durable.broadcast.quorum op=1 value=99 acks=3')).toBeGreaterThan(0);
    expect(at('disk.crash_write op=0 path=durable_broadcast.wal offset=0 len=24 result=lost')).toBeGreaterThan(at('durable.broadcast.quorum op=1 value=99 acks=3'));
    expect(at('durable.invariant_violation reason=quorum_without_durable op=1')).toBeGreaterThan(0);
  });
});

describe('durable-broadcast-swarm / -swarm-bug', () => {
  it('the correct ordering passes under none, smoke and swarm', async () => {
    const c = findBuiltinCase('durable-broadcast-swarm')!;
    for (const profile of ['none', 'smoke', 'swarm'] as const) expect((await failureRate(c, profile, 300)).failures).toBe(0);
  });

  it('the buggy ordering never fails under none and swarm finds it', async () => {
    await expectFoundBySwarm(findBuiltinCase('durable-broadcast-swarm-bug')!, 300, 500, ['check_failed|quorum acknowledged => durable|InvariantViolation']);
  });
});
