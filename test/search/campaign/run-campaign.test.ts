import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as mar from 'marionette-sim';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../../src/search/campaign/run-campaign.js';
import { FailureStore } from '../../../src/search/store/failure-store.js';
import { findBuiltinCase } from '../../../src/examples/registry.js';
import { runOnce } from '../../../src/harness/run-once.js';
import { REPO_ROOT } from '../../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-campaign-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbCount = 0;
const freshDb = () => path.join(dir, `c${++dbCount}.sqlite`);
const fixture = (name: string) => `test/fixtures/campaign-cases.ts#${name}`;

function read<T>(db: string, use: (store: FailureStore) => T): T {
  const store = FailureStore.open(db, { readonly: true });
  try {
    return use(store);
  } finally {
    store.close();
  }
}

/** (seed, signature) of every failure of a campaign, sorted. */
function failureSet(db: string, campaignId: number): string[] {
  return read(db, (s) => s.listFailures({ campaignId }).map((f) => `${f.seed} ${f.signature}`).sort());
}

describe('runCampaign', () => {
  it('runs every seed over the pool and records exactly the failures the seeds have', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: 'idempotency-bug', seeds: 3000, workers: 2, profile: 'none', dbPath: db, cwd: REPO_ROOT, minimize: false });
    expect(summary).toMatchObject({ status: 'done', seedsDone: 3000, plannedSeeds: 3000 });
    const expected: string[] = [];
    const c = findBuiltinCase('idempotency-bug')!;
    for (let seed = 0n; seed < 3000n; seed++) {
      const outcome = await runOnce(c, { seed });
      if (outcome.failure) expected.push(`${seed} ${mar.failureSignature(outcome.failure.kind, outcome.failure.checkName, outcome.failure.errorName)}`);
    }
    expect(failureSet(db, summary.campaignId)).toEqual(expected.sort());
    expect(summary.bugs.map((b) => [b.signature, b.failures])).toEqual([[expected[0]!.split(' ').slice(1).join(' '), expected.length]]);
    read(db, (s) => {
      const ranges = s.completedRanges(summary.campaignId);
      expect(ranges.reduce((n, r) => n + r.count, 0)).toBe(3000);
      const traces = s.listFailures({ campaignId: summary.campaignId }).filter((f) => s.getFailure(f.id)!.trace !== null);
      expect(traces.length).toBe(5);
    });
  });

  it('cuts off a runaway seed as a timeout naming that seed, replaces the worker and runs the rest', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: fixture('runaway'), seeds: 40, workers: 2, profile: 'none', dbPath: db, cwd: REPO_ROOT, seedTimeoutMs: 500 });
    expect(summary).toMatchObject({ status: 'done', seedsDone: 40, failures: 1 });
    const [failure] = read(db, (s) => s.listFailures({ campaignId: summary.campaignId }));
    expect(failure).toMatchObject({ seed: '7', kind: 'timeout', signature: 'timeout|-|SeedTimeout', errorName: 'SeedTimeout' });
    expect(failure!.errorMessage).toMatch(/longer than the 0.5 s per-seed limit/);
    // Replaying it runs the seed in a worker thread under the same limit, so it cannot hang the replay.
    const { replayFailure } = await import('../../../src/search/replay/replay.js');
    const store = FailureStore.open(db, { readonly: true });
    try {
      expect(await replayFailure(store, failure!.id, { cwd: REPO_ROOT })).toMatchObject({ status: 'reproduced', signature: 'timeout|-|SeedTimeout' });
    } finally {
      store.close();
    }
  });

  it('loses no seed when a worker crashes, and records the seed that crashes it', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: fixture('crasher'), seeds: 30, workers: 2, profile: 'none', dbPath: db, cwd: REPO_ROOT });
    expect(summary).toMatchObject({ status: 'done', seedsDone: 30, failures: 1 });
    expect(read(db, (s) => s.listFailures())[0]).toMatchObject({ seed: '5', kind: 'scenario_error', errorName: 'WorkerCrashed' });
    read(db, (s) => expect(s.completedRanges(summary.campaignId).reduce((n, r) => n + r.count, 0)).toBe(30));
  });

  it('catches nondeterminism with the determinism audit', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: fixture('leaky'), seeds: 200, workers: 1, profile: 'none', dbPath: db, cwd: REPO_ROOT, auditEvery: 8 });
    const signatures = new Set(read(db, (s) => s.listFailures().map((f) => f.signature)));
    expect(signatures).toEqual(new Set(['determinism_mismatch|-|DeterminismMismatch']));
    expect(summary.failures).toBeGreaterThan(10);
  });

  it('catches nondeterminism in the values of a library event, which passing seeds never format', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: fixture('leakySleep'), seeds: 200, workers: 1, profile: 'none', dbPath: db, cwd: REPO_ROOT, auditEvery: 8 });
    const failures = read(db, (s) => s.listFailures());
    expect(new Set(failures.map((f) => f.signature))).toEqual(new Set(['determinism_mismatch|-|DeterminismMismatch']));
    // Every audited seed is caught: the rerun's sleep duration always differs from the first run's.
    expect(summary.failures).toBe(failures.length);
    expect(summary.failures).toBeGreaterThan(10);
  });

  it('an interrupted and resumed campaign equals an uninterrupted one: same failures, no seed twice, none skipped', async () => {
    const whole = freshDb();
    const wholeRun = await runCampaign({ caseRef: fixture('slowTenth'), seeds: 600, workers: 2, profile: 'none', dbPath: whole, cwd: REPO_ROOT, minimize: false });
    const split = freshDb();
    const stop = new AbortController();
    const first = await runCampaign({
      caseRef: fixture('slowTenth'),
      seeds: 600,
      workers: 2,
      profile: 'none',
      dbPath: split,
      cwd: REPO_ROOT,
      minimize: false,
      stopSignal: stop.signal,
      onProgress: (p) => {
        if (p.seedsDone >= 100) stop.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.seedsDone).toBeLessThan(600);
    const second = await runCampaign({ caseRef: '', resumeId: first.campaignId, dbPath: split, cwd: REPO_ROOT, minimize: false });
    expect(second).toMatchObject({ status: 'done', seedsDone: 600, campaignId: first.campaignId });
    expect(second.sessionSeeds).toBe(600 - first.seedsDone);
    expect(failureSet(split, first.campaignId)).toEqual(failureSet(whole, wholeRun.campaignId));
    const ranges = read(split, (s) => s.completedRanges(first.campaignId));
    const offsets = ranges.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.firstOffset + i)).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('minimizes each new signature and stores a reproduction that replays to its stored trace', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: 'durable-broadcast-swarm-bug', seeds: 300, workers: 2, profile: 'swarm', dbPath: db, cwd: REPO_ROOT });
    expect(summary.bugs.length).toBeGreaterThan(0);
    const bug = summary.bugs[0]!;
    expect(bug.smallestFailureId).not.toBeNull();
    const failure = read(db, (s) => s.getFailure(bug.smallestFailureId!)!);
    expect(failure.minimizedEventCount).toBeLessThanOrEqual(failure.eventCount!);
    const artifact = JSON.parse(failure.minimized!);
    expect(artifact).toMatchObject({ seed: failure.seed });
    const { replayMinimized } = await import('../../../src/search/minimize/minimize-failure.js');
    const replayed = await replayMinimized(findBuiltinCase('durable-broadcast-swarm-bug')!, artifact);
    expect(mar.traceHash(replayed.trace)).toBe(failure.minimizedTraceHash);
  });

  it('rejects a bad plan with a usage error', async () => {
    await expect(runCampaign({ caseRef: 'retry-queue', dbPath: freshDb() })).rejects.toThrow(/exactly one of --seeds and --duration/);
    await expect(runCampaign({ caseRef: 'nope', seeds: 1, dbPath: freshDb() })).rejects.toThrow(/unknown case "nope"/);
    await expect(runCampaign({ caseRef: '', resumeId: 99, dbPath: freshDb() })).rejects.toThrow(/no campaign 99/);
  });
});

describe('runCampaign: edge cases found in review', () => {
  it('refuses to resume a campaign whose process is still running, and takes over one whose process died', async () => {
    const db = freshDb();
    const stop = new AbortController();
    const first = await runCampaign({ caseRef: 'retry-queue', seeds: 100_000, workers: 1, profile: 'none', dbPath: db, stopSignal: stop.signal, onProgress: () => stop.abort() });
    const Database = (await import('better-sqlite3')).default;
    const handle = new Database(db);
    handle.prepare("UPDATE campaigns SET status = 'running', owner_pid = ? WHERE id = ?").run(process.pid, first.campaignId);
    handle.close();
    await expect(runCampaign({ caseRef: '', resumeId: first.campaignId, dbPath: db })).rejects.toThrow(/is still running \(process \d+ on /);
    const dead = new Database(db);
    dead.prepare('UPDATE campaigns SET owner_pid = 2147483646 WHERE id = ?').run(first.campaignId);
    dead.close();
    const resumed = await runCampaign({ caseRef: '', resumeId: first.campaignId, dbPath: db, workers: 1 });
    expect(resumed).toMatchObject({ status: 'done', seedsDone: 100_000 });
  });

  it('leaves no hole in a duration campaign whose seeds time out, and ends it done', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: fixture('runaway'), durationMs: 1200, workers: 2, profile: 'none', dbPath: db, cwd: REPO_ROOT, seedTimeoutMs: 300 });
    expect(summary.status).toBe('done');
    read(db, (s) => {
      const campaign = s.getCampaign(summary.campaignId)!;
      const offsets = s.completedRanges(summary.campaignId).flatMap((r) => Array.from({ length: r.count }, (_, i) => r.firstOffset + i)).sort((a, b) => a - b);
      expect(offsets).toEqual(Array.from({ length: campaign.dispatchedEnd }, (_, i) => i));
      expect(s.listFailures().map((f) => f.seed)).toEqual(['7']);
    });
  });

  it('ends a duration campaign at seed 2^64 - 1', async () => {
    const summary = await runCampaign({ caseRef: 'idempotency', durationMs: 800, startSeed: mar.SEED_MAX, workers: 1, profile: 'none', dbPath: freshDb() });
    expect(summary).toMatchObject({ status: 'done', seedsDone: 1, failures: 0 });
  });

  it('finishes a campaign with --keep-traces 0 (nothing kept, nothing minimized)', async () => {
    const db = freshDb();
    const summary = await runCampaign({ caseRef: 'idempotency-bug', seeds: 300, workers: 2, profile: 'none', dbPath: db, keepTraces: 0 });
    expect(summary.status).toBe('done');
    expect(summary.failures).toBeGreaterThan(10);
    read(db, (s) => expect(s.listFailures().every((f) => !f.detailed)).toBe(true));
  });

  it('stops with a clear error, and leaves the campaign resumable, when workers cannot load the case', async () => {
    const db = freshDb();
    process.env.MARIONETTE_FIXTURE_BREAK_WORKERS = '1';
    try {
      await expect(runCampaign({ caseRef: fixture('brokenInWorkers'), seeds: 50, workers: 1, profile: 'none', dbPath: db, cwd: REPO_ROOT })).rejects.toThrow(
        /^campaign 1 stopped: a worker could not run seeds 0\.\. of the case: cannot load case module .*refuses to load in a worker.*; fix the case, then mar fuzz --resume 1 --db /,
      );
    } finally {
      delete process.env.MARIONETTE_FIXTURE_BREAK_WORKERS;
    }
    expect(read(db, (s) => s.listCampaigns()[0]!.status)).toBe('interrupted');
  });

  it('counts a bug per campaign in the campaign summary', async () => {
    const db = freshDb();
    const first = await runCampaign({ caseRef: 'idempotency-bug', seeds: 400, workers: 1, profile: 'none', dbPath: db, minimize: false });
    const second = await runCampaign({ caseRef: 'idempotency-bug', seeds: 400, startSeed: 400n, workers: 1, profile: 'none', dbPath: db, minimize: false });
    expect(first.bugs[0]!.failuresInCampaign).toBe(first.failures);
    expect(second.bugs[0]!.failuresInCampaign).toBe(second.failures);
    expect(second.bugs[0]!.failures).toBe(first.failures + second.failures);
  });
});
