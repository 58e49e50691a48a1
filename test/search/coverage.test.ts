import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCase } from '../../src/search/load-case.js';
import { runCampaign } from '../../src/search/campaign/run-campaign.js';
import { runOnce } from '../../src/harness/run-once.js';
import { REPO_ROOT, runMar } from '../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-coverage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ref = 'test/fixtures/campaign-cases.ts#assertive';

describe('assertion coverage of campaigns', () => {
  it('counts the runs that hit each name, the same with 1 and 2 workers and as the runs themselves say', async () => {
    const c = (await loadCase(ref, REPO_ROOT)).case;
    const expected = new Map<string, { runs: number; firstSeed: string }>();
    for (let seed = 0n; seed < 1500n; seed++) {
      for (const hit of (await runOnce(c, { seed })).assertionHits) {
        const seen = expected.get(hit.name);
        expected.set(hit.name, { runs: (seen?.runs ?? 0) + 1, firstSeed: seen?.firstSeed ?? String(seed) });
      }
    }
    const counts = async (workers: number) => {
      const summary = await runCampaign({ caseRef: ref, seeds: 1500, workers, profile: 'none', dbPath: path.join(dir, `w${workers}.sqlite`), cwd: REPO_ROOT, minimize: false });
      return summary.coverage.map(({ name, kind, declared, runs, firstSeed }) => ({ name, kind, declared, runs, firstSeed }));
    };
    const one = await counts(1);
    expect(await counts(2)).toEqual(one);
    expect(one).toEqual([
      { name: 'never', kind: 'sometimes', declared: true, runs: 0, firstSeed: null },
      { name: 'body', kind: 'reachable', declared: false, runs: 1500, firstSeed: '0' },
      { name: 'high roll', kind: 'sometimes', declared: true, ...expected.get('high roll')! },
      { name: 'low roll', kind: 'sometimes', declared: false, ...expected.get('low roll')! },
    ]);
  });

  it('counts exactly across an interrupt and a resume: the same as the campaign run whole', async () => {
    const strip = (rows: { name: string; kind: string; declared: boolean; runs: number; firstSeed: string | null }[]) =>
      rows.map(({ name, kind, declared, runs, firstSeed }) => ({ name, kind, declared, runs, firstSeed }));
    // Enough seeds that the first progress report (after 250 ms) always comes before the end.
    const seeds = 200_000;
    const whole = await runCampaign({ caseRef: ref, seeds, workers: 2, profile: 'none', dbPath: path.join(dir, 'whole.sqlite'), cwd: REPO_ROOT, minimize: false });
    const split = path.join(dir, 'split.sqlite');
    const stop = new AbortController();
    const first = await runCampaign({
      caseRef: ref,
      seeds,
      workers: 2,
      profile: 'none',
      dbPath: split,
      cwd: REPO_ROOT,
      minimize: false,
      stopSignal: stop.signal,
      onProgress: () => stop.abort(),
    });
    expect(first.status).toBe('interrupted');
    expect(first.seedsDone).toBeLessThan(seeds);
    const second = await runCampaign({ caseRef: '', resumeId: first.campaignId, dbPath: split, cwd: REPO_ROOT, minimize: false });
    expect(second.status).toBe('done');
    expect(strip(second.coverage)).toEqual(strip(whole.coverage));
  });

  it('shows in mar fuzz output, naming declared names never hit, and in mar coverage', async () => {
    const db = path.join(dir, 'cli.sqlite');
    const fuzz = await runMar(['fuzz', ref, '--seeds', '300', '--workers', '1', '--profile', 'none', '--db', db]);
    expect(fuzz.code).toBe(0);
    expect(fuzz.stdout).toContain('coverage: 3 of 4 assertion names hit; declared but never hit: "never" (mar coverage for the counts)');
    const listed = (await runMar(['coverage', '--db', db])).stdout.trimEnd().split('\n');
    expect(listed[0]).toMatch(/^#1 {2}sometimes {6}never hit {2}"never" {2}\(declared\) {2}test\/fixtures/);
    expect(listed[1]).toMatch(/^#1 {2}reachable +300 runs, first seed 0 {2}"body"/);
    const json = (await runMar(['coverage', '--db', db, '--json', '--campaign', '1'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(json.map((row) => row.name)).toEqual(['never', 'body', 'high roll', 'low roll']);
    expect((await runMar(['coverage', '--db', db, '--campaign', '0'])).code).toBe(2);
  });
});
