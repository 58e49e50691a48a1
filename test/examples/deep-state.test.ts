import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { failureRate } from './probabilistic.js';

const deepState = findBuiltinCase('deep-state')!;
const deepStateBug = findBuiltinCase('deep-state-bug')!;
const sometimesCoverage = findBuiltinCase('sometimes-coverage')!;

describe('deep-state', () => {
  it('the correct connection passes and its seeds reach every stage', async () => {
    await mar.expectFuzz(deepState, { seeds: 3000 }); // also: every declared stage was hit by some seed
  });

  it('-bug fails only where a seed made four rare decisions in a row, rarely (about 1 seed in 500)', async () => {
    const { failures, signatures } = await failureRate(deepStateBug, 'none', 3000);
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(30);
    expect([...signatures]).toEqual(['check_failed|connection closed at most once|InvariantViolation']);
    const report = await mar.expectFailure(deepStateBug, { seed: 206, check: 'connection closed at most once' });
    const stages = report.trace.split('\n').filter((line) => line.includes(' connection.stage ')).map((line) => line.replace(/^event=\d+ /, ''));
    const last = stages.findIndex((line) => line.startsWith('connection.stage stage=4'));
    expect(stages.slice(last - 3, last + 1)).toEqual([
      'connection.stage stage=1 event=duplicate%20handshake',
      'connection.stage stage=2 event=reordered%20ack',
      'connection.stage stage=3 event=retransmission',
      'connection.stage stage=4 event=late%20timeout',
    ]);
  });
});

describe('sometimes-coverage', () => {
  it('under smoke never reaches "silence over 100 ms", and expectFuzz says so', async () => {
    await expect(mar.expectFuzz(sometimesCoverage, { seeds: 40, profile: 'smoke' })).rejects.toThrow(
      'expectFuzz: sometimes-coverage never hit the declared sometimes "silence over 100 ms" in 40 seeds from 0 under smoke: the test exercised nothing there',
    );
  });

  it('under swarm reaches both declared names', async () => {
    const summary = await mar.expectFuzz(sometimesCoverage, { seeds: 200, profile: 'swarm' });
    expect(summary.seedsRun).toBe(200);
  });
});
