import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign, type CampaignSummary } from '../../src/search/campaign/run-campaign.js';
import { FailureStore, type FailureRow } from '../../src/search/store/failure-store.js';
import { replayFailure } from '../../src/search/replay/replay.js';
import { runGuidedInProcess } from '../../src/harness/guided/run-rounds.js';
import { ROUND_RUNS } from '../../src/harness/guided/run-lane.js';
import { traceHash } from '../../src/kernel/trace-hash.js';
import { deepStateBug } from '../../src/examples/deep-state.js';
import { REPO_ROOT, runMar } from '../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-guided-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** More than a round, and a last lane shorter than the others. */
const SEEDS = ROUND_RUNS + 952;

/** What must agree between two runs of the same guided campaign: every failure and the corpus. */
interface CampaignResult {
  readonly failures: { offset: number; signature: string; mutated: boolean; traceHash: string | null; foundBy: string | null }[];
  readonly corpus: unknown[];
  readonly summary: CampaignSummary;
}

async function guided(name: string, options: { workers: number; seeds?: number; cut?: boolean }): Promise<CampaignResult> {
  const dbPath = path.join(dir, `${name}.sqlite`);
  const base = { caseRef: 'deep-state-bug', workers: options.workers, profile: 'swarm' as const, dbPath, cwd: REPO_ROOT, minimize: false, guided: true };
  let summary: CampaignSummary;
  if (options.cut) {
    // Cut off once a round and more is done: in-flight lanes are abandoned and must run again,
    // whole, from the corpus of the rounds before theirs.
    const stop = new AbortController();
    const cutOff = new AbortController();
    const first = await runCampaign({
      ...base,
      seeds: options.seeds ?? SEEDS,
      stopSignal: stop.signal,
      cutOffSignal: cutOff.signal,
      onProgress: ({ seedsDone }) => {
        if (seedsDone <= ROUND_RUNS) return;
        stop.abort();
        cutOff.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.seedsDone).toBeLessThan(options.seeds ?? SEEDS);
    expect(first.seedsDone).toBeGreaterThan(ROUND_RUNS);
    summary = await runCampaign({ ...base, caseRef: '', resumeId: first.campaignId });
  } else {
    summary = await runCampaign({ ...base, seeds: options.seeds ?? SEEDS });
  }
  expect(summary.status).toBe('done');
  const store = FailureStore.open(dbPath);
  try {
    const failures = store
      .listFailures({ campaignId: summary.campaignId })
      .map((f: FailureRow) => ({ offset: f.seedOffset, signature: f.signature, mutated: f.mutated, traceHash: f.traceHash, foundBy: f.foundBy }))
      .sort((a, b) => a.offset - b.offset);
    return { failures, corpus: store.corpusBefore(summary.campaignId, Number.MAX_SAFE_INTEGER), summary };
  } finally {
    store.close();
  }
}

describe('guided campaigns (mar fuzz --guided)', () => {
  let one: CampaignResult;
  beforeAll(async () => {
    one = await guided('one-worker', { workers: 1 });
  }, 60_000);

  it('make exactly the runs of in-process guided search, with 1 worker and with 2', async () => {
    const failures: CampaignResult['failures'] = [];
    const inProcess = await runGuidedInProcess(deepStateBug, {
      firstSeed: 0n,
      seeds: SEEDS,
      profile: 'swarm',
      onRun: ({ offset, seed, profile, choices, outcome }) => {
        const f = outcome!.failure;
        if (f === undefined) return;
        const foundBy = choices === null ? null : JSON.stringify({ seed: String(seed), profile, choices });
        failures.push({ offset, signature: `${f.kind}|${f.checkName}|${f.errorName}`, mutated: choices !== null, traceHash: traceHash(outcome!.trace), foundBy });
      },
    });
    expect(one.failures.length).toBeGreaterThan(0);
    // Every failure is there; past the first keepTraces (5) of the bug a failure keeps no details
    // (no trace hash, no tape): the first five, in offset order, keep both.
    expect(one.failures.map(({ offset, signature, mutated }) => ({ offset, signature, mutated }))).toEqual(
      failures.map(({ offset, signature, mutated }) => ({ offset, signature, mutated })),
    );
    expect(one.failures.slice(0, 5)).toEqual(failures.slice(0, 5));
    expect(one.failures.slice(5).every((f) => f.foundBy === null && f.traceHash === null)).toBe(true);
    expect(one.corpus).toEqual(inProcess.corpus);
    expect(one.summary.guided).toEqual({
      corpusSize: inProcess.corpus.length,
      coveragePoints: new Set(inProcess.corpus.flatMap((e) => e.points.map(([p]) => p))).size,
      mutationRuns: inProcess.mutationRuns,
    });
    expect(one.summary.seedsDone).toBe(SEEDS);

    const two = await guided('two-workers', { workers: 2 });
    expect(two.failures).toEqual(one.failures);
    expect(two.corpus).toEqual(one.corpus);
    expect(two.summary.guided).toEqual(one.summary.guided);
    expect(two.summary.coverage).toEqual(one.summary.coverage.map((row) => ({ ...row, campaignId: two.summary.campaignId })));
  }, 60_000);

  it('end cut off mid-lane and resumed exactly as they end run whole', async () => {
    const seeds = 8 * ROUND_RUNS;
    const whole = await guided('whole', { workers: 2, seeds });
    const resumed = await guided('cut', { workers: 2, seeds, cut: true });
    expect(resumed.failures).toEqual(whole.failures);
    expect(resumed.corpus).toEqual(whole.corpus);
    expect(resumed.summary.guided).toEqual(whole.summary.guided);
    expect(resumed.summary.seedsDone).toBe(seeds);
  }, 120_000);

  it('agree with an unguided campaign on every failure of a seed both ran fresh', async () => {
    const dbPath = path.join(dir, 'unguided.sqlite');
    const unguided = await runCampaign({ caseRef: 'deep-state-bug', seeds: SEEDS, workers: 2, profile: 'swarm', dbPath, cwd: REPO_ROOT, minimize: false });
    const store = FailureStore.open(dbPath);
    const plain = new Map(store.listFailures({ campaignId: unguided.campaignId }).map((f) => [f.seedOffset, f]));
    store.close();
    const fresh = new Set<number>();
    await runGuidedInProcess(deepStateBug, {
      firstSeed: 0n,
      seeds: SEEDS,
      profile: 'swarm',
      onRun: ({ offset, choices }) => void (choices === null && fresh.add(offset)),
    });
    const guidedFresh = one.failures.filter((f) => !f.mutated);
    expect(guidedFresh.every((f) => fresh.has(f.offset))).toBe(true);
    for (const f of guidedFresh) {
      const twin = plain.get(f.offset);
      expect(twin?.signature).toBe(f.signature);
      if (twin?.traceHash != null && f.traceHash !== null) expect(twin.traceHash).toBe(f.traceHash);
    }
    const both = [...plain.keys()].filter((offset) => fresh.has(offset));
    expect(both.length).toBeGreaterThan(0);
    expect(both.sort((a, b) => a - b)).toEqual(guidedFresh.map((f) => f.offset));
  }, 60_000);

  it('store failures of mutated tapes that replay as reproduced from their tape, count the rest, and minimize', async () => {
    const dbPath = path.join(dir, 'replay.sqlite');
    const summary = await runCampaign({ caseRef: 'deep-state-bug', seeds: 600, workers: 1, profile: 'swarm', dbPath, cwd: REPO_ROOT, guided: true, keepTraces: 2 });
    const store = FailureStore.open(dbPath);
    try {
      const mutated = store.listFailures({ campaignId: summary.campaignId }).filter((f) => f.mutated);
      expect(mutated.length).toBeGreaterThan(3);
      const kept = mutated.filter((f) => f.foundBy !== null);
      expect(kept.length).toBe(2); // --keep-traces 2: the first two of the bug keep their tape
      for (const failure of kept) {
        const replay = await replayFailure(store, failure.id, { cwd: REPO_ROOT });
        expect(replay.status).toBe('reproduced');
        expect(replay.traceHash).toBe(failure.traceHash);
        // The seed alone runs something else: the tape is what reproduces the failure.
        expect(JSON.parse(failure.foundBy!)).toMatchObject({ seed: failure.seed, profile: JSON.parse(failure.profile) });
      }
      const counted = mutated.find((f) => f.foundBy === null)!;
      await expect(replayFailure(store, counted.id, { cwd: REPO_ROOT })).rejects.toThrow(
        `failure #${counted.id} came from a mutated choice tape that was not kept (a bug keeps the tapes of its first failures only); ` +
          `replay failure #${summary.bugs[0]!.firstFailureId} of the same bug instead`,
      );
      const bug = summary.bugs[0]!;
      expect(bug.smallestEventCount).not.toBeNull();
      const minimized = await replayFailure(store, bug.smallestFailureId!, { cwd: REPO_ROOT, minimized: true });
      expect(minimized.status).toBe('reproduced');
    } finally {
      store.close();
    }
  }, 60_000);

  it('store the same failures, details, first failure and minimized failure with 1 worker and with 3', async () => {
    // slow-tenth fails on fresh seeds and mutated tapes alike, and lanes take long enough to finish out of turn.
    const stored = async (workers: number) => {
      const dbPath = path.join(dir, `order-${workers}.sqlite`);
      const summary = await runCampaign({ caseRef: 'test/fixtures/campaign-cases.ts#slowTenth', seeds: 1536, workers, profile: 'none', dbPath, cwd: REPO_ROOT, guided: true, minimizeMaxRuns: 50 });
      const store = FailureStore.open(dbPath);
      try {
        const rows = store.listFailures({ campaignId: summary.campaignId }).map((f) => ({ offset: f.seedOffset, detailed: f.detailed, mutated: f.mutated, foundBy: f.foundBy }));
        const bug = store.listBugs({ campaignId: summary.campaignId })[0]!;
        const offsetOf = (id: number | null) => (id === null ? null : store.getFailure(id)!.seedOffset);
        return { rows, first: offsetOf(bug.firstFailureId), smallest: offsetOf(bug.smallestFailureId) };
      } finally {
        store.close();
      }
    };
    const one = await stored(1);
    expect(one.rows.length).toBeGreaterThan(20);
    expect(one.rows.filter((r) => r.detailed).map((r) => r.offset)).toEqual(one.rows.slice(0, 5).map((r) => r.offset));
    expect(one.first).toBe(one.rows[0]!.offset);
    expect(await stored(3)).toEqual(one);
  }, 60_000);

  it('finish a lane with several runaway runs, each recorded once as a timeout and remembered for a resume', async () => {
    const dbPath = path.join(dir, 'hangs.sqlite');
    const summary = await runCampaign({
      caseRef: 'test/fixtures/campaign-cases.ts#hangsOften',
      seeds: 64,
      workers: 2,
      profile: 'none',
      dbPath,
      cwd: REPO_ROOT,
      guided: true,
      seedTimeoutMs: 200,
    });
    expect(summary.status).toBe('done');
    expect(summary.seedsDone).toBe(64);
    const store = FailureStore.open(dbPath);
    try {
      const failures = store.listFailures({ campaignId: summary.campaignId });
      expect(failures.map((f) => [f.seedOffset, f.signature])).toEqual([3, 23, 43, 63].map((offset) => [offset, 'timeout|-|SeedTimeout']));
      expect(store.guidedSkips(summary.campaignId).map((skip) => skip.offset)).toEqual([3, 23, 43, 63]);
    } finally {
      store.close();
    }
  }, 60_000);

  it('replay a determinism mismatch found on a mutated tape as a mismatch', async () => {
    const dbPath = path.join(dir, 'leaky.sqlite');
    const summary = await runCampaign({ caseRef: 'test/fixtures/campaign-cases.ts#leaky', seeds: 512, workers: 1, profile: 'none', dbPath, cwd: REPO_ROOT, guided: true });
    const store = FailureStore.open(dbPath);
    try {
      const mismatch = store.listFailures({ campaignId: summary.campaignId }).find((f) => f.mutated && f.foundBy !== null)!;
      expect(mismatch.signature).toBe('determinism_mismatch|-|DeterminismMismatch');
      expect(mismatch.errorMessage).toBe('the determinism audit ran the seed twice and the traces differ');
      const replay = await replayFailure(store, mismatch.id, { cwd: REPO_ROOT });
      expect(replay.signature).toBe('determinism_mismatch|-|DeterminismMismatch');
    } finally {
      store.close();
    }
  }, 60_000);

  it('record a run that runs away as a timeout, once, and finish the lane around it', async () => {
    const dbPath = path.join(dir, 'runaway.sqlite');
    const summary = await runCampaign({
      caseRef: 'test/fixtures/campaign-cases.ts#runaway',
      seeds: 40,
      workers: 1,
      profile: 'none',
      dbPath,
      cwd: REPO_ROOT,
      guided: true,
      seedTimeoutMs: 500,
    });
    expect(summary.status).toBe('done');
    expect(summary.seedsDone).toBe(40);
    const store = FailureStore.open(dbPath);
    try {
      const failures = store.listFailures({ campaignId: summary.campaignId });
      expect(failures.map((f) => [f.seedOffset, f.signature])).toEqual([[7, 'timeout|-|SeedTimeout']]);
      expect(store.completedRanges(summary.campaignId)).toEqual([{ firstOffset: 0, count: 40 }]);
    } finally {
      store.close();
    }
  }, 60_000);
});

describe('mar fuzz --guided', () => {
  it('prints its figures, marks mutated failures, and refuses to resume a campaign in the other mode', async () => {
    const db = path.join(dir, 'cli.sqlite');
    const fuzz = await runMar(['fuzz', 'deep-state-bug', '--seeds', '300', '--workers', '1', '--guided', '--db', db]);
    expect(fuzz.code).toBe(1);
    expect(fuzz.stdout).toMatch(/^guided: \d+ corpus entries reaching \d+ coverage points; \d+ of 300 runs mutated a corpus tape$/m);
    const json = await runMar(['fuzz', 'deep-state-bug', '--seeds', '300', '--workers', '1', '--guided', '--json', '--db', db]);
    const figures = JSON.parse(json.stdout).guided;
    expect(figures.corpusSize).toBeGreaterThan(0);
    expect(figures.coveragePoints).toBeGreaterThanOrEqual(figures.corpusSize);
    expect(figures.mutationRuns).toBeGreaterThan(150);
    expect((await runMar(['failures', '--db', db])).stdout).toMatch(/seed=\d+ \(mutated tape\)/);

    const unguided = path.join(dir, 'cli-unguided.sqlite');
    const stopped = await runMar(['fuzz', 'deep-state', '--duration', '1ms', '--workers', '1', '--db', unguided]);
    expect(stopped.code).toBe(0);
    // A campaign that is done cannot be resumed at all; make both look interrupted.
    for (const file of [db, unguided]) {
      const store = FailureStore.open(file);
      store.setStatus(1, 'interrupted');
      store.close();
    }
    expect((await runMar(['campaigns', '--db', db])).stdout).toContain(`    resume: mar fuzz --resume 1 --guided --db ${db}\n`);
    const wrongWay = await runMar(['fuzz', '--resume', '1', '--guided', '--db', unguided]);
    expect(wrongWay).toMatchObject({ code: 2, stdout: '', stderr: 'mar: --guided: campaign 1 is not guided; resume it without --guided\n' });
    const otherWay = await runMar(['fuzz', '--resume', '1', '--db', db]);
    expect(otherWay).toMatchObject({ code: 2, stdout: '', stderr: 'mar: --resume: campaign 1 is guided; resume it with --guided\n' });
  }, 60_000);
});
