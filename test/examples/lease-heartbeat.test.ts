import * as mar from 'marionette-sim';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { LEASE_MS, LeadershipObserver } from '../../src/examples/lease-heartbeat.js';
import { runCampaign } from '../../src/search/campaign/run-campaign.js';
import { replayFailure } from '../../src/search/replay/replay.js';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { REPO_ROOT } from '../cli/run-mar.js';
import { expectFoundBySwarm, failureRate } from './probabilistic.js';

const correct = findBuiltinCase('lease-heartbeat')!;
const buggy = findBuiltinCase('lease-heartbeat-bug')!;
const OVERLAP = 'check_failed|at most one leader at a time|InvariantViolation';
const dir = mkdtempSync(path.join(tmpdir(), 'marionette-lease-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Swarm profiles of each seed with host crashes switched off and every other fault kept. */
function swarmWithoutHostCrashes(seed: bigint): mar.FaultProfile {
  return mar.normalizeProfile({ ...mar.expandSwarmProfile(seed), host: { crashRate: '0/1', restartDelayTicks: 0 } });
}

describe('lease-heartbeat', () => {
  it('elects one leader at a time and a leader again after calm, under none, smoke and swarm', async () => {
    await mar.expectFuzz(correct, { seeds: 20, profile: 'none' });
    await mar.expectFuzz(correct, { seeds: 20, profile: 'smoke' });
    await mar.expectFuzz(correct, { seeds: 250, profile: 'swarm' });
    const report = await mar.expectPass(correct, { seed: 3, profile: 'swarm' });
    expect(report.trace).toMatch(/liveness\.pass name=a%20leader%20is%20elected at_ns=\d+/);
    expect(report.trace).toContain('lease.lead host=');
  });

  it('-bug passes under none and under swarm without host crashes: only crashes expose it', async () => {
    expect((await failureRate(buggy, 'none', 30)).failures).toBe(0);
    for (let seed = 0n; seed < 150n; seed++) {
      const report = await mar.runCase(buggy, { seed, profile: swarmWithoutHostCrashes(seed) });
      expect(report.passed, `seed ${seed}`).toBe(true);
    }
  });

  it('-bug is found by swarm: a restarted leader resumes its lease and overlaps the new leader', async () => {
    const report = await expectFoundBySwarm(buggy, 0, 200, [OVERLAP]);
    expect(report.trace).toMatch(/host\.crash id=\d incarnation=0 .*reason=random/);
    expect(report.trace).toContain('lease.resume host=');
    expect(report.errorMessage).toMatch(/^hosts \d and \d both lead at \d+ ms/);
  });

  it('-bug fails with host crashes alone (no network or disk faults)', async () => {
    const crashesOnly = { host: { crashRate: '5/10000', restartDelayTicks: 100 } } as const;
    const { failures, signatures } = await failureRate(buggy, crashesOnly, 100);
    expect(failures).toBeGreaterThan(0);
    expect([...signatures]).toEqual([OVERLAP]);
    expect((await failureRate(correct, crashesOnly, 100)).failures).toBe(0);
  });

  it('is found by a campaign, minimized, and replayed as reproduced', async () => {
    const db = path.join(dir, 'lease.sqlite');
    const summary = await runCampaign({ caseRef: 'lease-heartbeat-bug', seeds: 300, workers: 2, profile: 'swarm', dbPath: db, cwd: REPO_ROOT, minimizeMaxMs: 3000 });
    expect(summary.bugs.map((bug) => bug.signature)).toEqual([OVERLAP]);
    const store = FailureStore.open(db, { readonly: true });
    try {
      const smallest = store.getFailure(store.listBugs()[0]!.smallestFailureId!)!;
      expect(smallest.minimized).not.toBeNull();
      const artifact = JSON.parse(smallest.minimized!) as { profile: mar.FaultProfile };
      expect(artifact.profile.host.crashRate).not.toBe('0/1');
      expect(await replayFailure(store, smallest.id, { cwd: REPO_ROOT })).toMatchObject({ status: 'reproduced', signature: OVERLAP });
      expect(await replayFailure(store, smallest.id, { cwd: REPO_ROOT, minimized: true })).toMatchObject({ status: 'reproduced', signature: OVERLAP });
    } finally {
      store.close();
    }
  });
});

describe('LeadershipObserver', () => {
  it('flags two up hosts that believe they lead at one instant, and not a crashed or expired one', () => {
    const up = new Set([0, 1, 2]);
    const observer = new LeadershipObserver((host) => up.has(host));
    observer.lead(0, 100, 100 + LEASE_MS);
    observer.lead(1, 140, 180); // host 0's lease ran until exactly 140: no overlap
    expect(observer.violations).toEqual([]);
    up.delete(1);
    observer.lead(2, 150, 190); // host 1 believes it leads until 180, but it is down
    expect(observer.violations).toEqual([]);
    up.add(1);
    observer.lead(2, 160, 200);
    expect(observer.violations).toEqual(['hosts 1 and 2 both lead at 160 ms (leases until 180 and 200 ms)']);
    observer.follow(1);
    expect(observer.hasLeader(170)).toBe(true);
    expect(observer.hasLeader(200)).toBe(false);
  });
});
