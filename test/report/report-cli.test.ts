import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandSwarmProfile } from '../../src/faults/profiles/resolve-profile.js';
import { faultDependence } from '../../src/report/fault-dependence.js';
import { buildIdentity } from '../../src/search/store/build-identity.js';
import { FailureStore, type NewFailure } from '../../src/search/store/failure-store.js';
import { runCase } from '../../src/harness/run-case.js';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { runMar } from '../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-report-cli-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));
const db = path.join(dir, 'r.sqlite');

function newCampaign(store: FailureStore, profile = 'swarm') {
  return store.createCampaign({
    kind: 'fuzz', caseRef: 'replicated-register-bug', caseName: 'replicated-register-bug', profile, startSeed: '0', plannedSeeds: null,
    durationMs: null, workers: 1, seedTimeoutMs: 30_000, auditEvery: 0, keepTraces: 5, build: buildIdentity(),
  });
}

beforeAll(async () => {
  expect((await runMar(['fuzz', 'kv-store-swarm-bug', '--seeds', '300', '--workers', '1', '--db', db, '--no-minimize'])).code).toBe(1);
}, 60_000);

describe('mar report: bad input', () => {
  const refused = async (args: string[], stderr: string | RegExp) => {
    const files = () => readdirSync(dir).filter((f) => !/-(wal|shm)$/.test(f)).sort(); // SQLite's own side files aside
    const before = files();
    const result = await runMar(['report', ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    if (typeof stderr === 'string') expect(result.stderr).toBe(`${stderr}\n`);
    else expect(result.stderr).toMatch(stderr);
    expect(files()).toEqual(before); // no report, no partial file
  };

  it('an unknown campaign or failure, both at once, or a bad id', async () => {
    await refused(['--db', db, '--campaign', '9'], `mar: --campaign: no campaign 9 in ${db}`);
    await refused(['--db', db, '--failure', '99999'], `mar: --failure: no failure #99999 in ${db}`);
    await refused(['--db', db, '--campaign', '1', '--failure', '1'], /^mar: Arguments campaign and failure are mutually exclusive/);
    await refused(['--db', db, '--campaign', '0'], 'mar: --campaign must be a positive integer, got 0');
  });

  it('an output path that is the database itself', async () => {
    for (const out of [db, `${db}-wal`]) await refused(['--db', db, '--out', out], `mar: --out: ${out} is the failure database itself; name another file`);
    expect((await runMar(['failures', '--db', db, '--limit', '1'])).code).toBe(0);
  });

  it('an output directory that is missing, a database that is not ours, or one with no campaign', async () => {
    await refused(['--db', db, '--out', path.join(dir, 'missing', 'r.html')], `mar: --out: the directory ${path.join(dir, 'missing')} does not exist`);
    const foreign = path.join(tmpdir(), `marionette-foreign-${process.pid}.sqlite`);
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    await refused(['--db', foreign, '--out', path.join(dir, 'x.html')], new RegExp(`^mar: ${foreign} is not a marionette database`));
    rmSync(foreign);
    const empty = path.join(tmpdir(), `marionette-empty-${process.pid}.sqlite`);
    FailureStore.open(empty).close();
    await refused(['--db', empty, '--out', path.join(dir, 'x.html')], `mar: no campaigns in ${empty}: run mar fuzz first`);
    rmSync(empty);
  });

  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((file) => existsSync(file));
  it.runIf(process.getuid?.() === 0 && runuser !== undefined)('an output path the user may not write (as user nobody)', async () => {
    chmodSync(db, 0o644);
    const out = path.join(dir, 'denied.html');
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(runuser!, ['-u', 'nobody', '--', process.execPath, BIN, 'report', '--db', db, '--out', out]);
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result).toEqual({ code: 2, stderr: `mar: --out: cannot write ${out} (no write access)\n` });
    expect(existsSync(out)).toBe(false);
  });
});

describe('mar report: what the page holds', () => {
  it('a campaign: summary, bugs, fault dependence and a section per bug, beside the database by default', async () => {
    const result = await runMar(['report', '--db', db]);
    expect(result.code).toBe(0);
    const file = path.join(dir, 'report-campaign-1.html');
    expect(result.stdout).toMatch(new RegExp(`^wrote ${file} \\(\\d+ KB, \\d+ failure sections?\\)\\n$`));
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<section id="summary"><h2>Campaign 1</h2>');
    expect(html).toMatch(/<tr class="bug-row" data-bug="1"><td class="num">\d+<\/td><td><a href="#bug-1">/);
    // The bug's replay command as the CLI takes it: the id as digits, the database named.
    expect(html).toMatch(new RegExp(`<td><code>mar replay \\d+ --db ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</code></td></tr>`));
    expect(html).toContain('<section id="faults"><h2>Fault dependence</h2>');
    expect(html).toContain('<section class="failure" id="bug-1">');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('stays under 5 MB with many bugs and long traces, counting the sections it left out', async () => {
    const big = path.join(dir, 'big.sqlite');
    const store = FailureStore.open(big);
    const campaign = newCampaign(store, 'none');
    const trace = (await runCase(findBuiltinCase('replicated-register-bug')!, { seed: 12648430 })).trace;
    const failures: NewFailure[] = Array.from({ length: 300 }, (_, i) => ({
      seed: String(i), seedOffset: i, profile: '{}', kind: 'check_failed', signature: `check_failed|check ${i}|InvariantViolation`, phase: 'check',
      checkName: `check ${i}`, errorName: 'InvariantViolation', errorMessage: 'x', trace: trace.repeat(1), traceHash: 'h', eventCount: 1000,
    }));
    store.recordBatch(campaign.id, { range: { firstOffset: 0, count: 300 }, failures });
    store.close();
    const out = path.join(dir, 'big.html');
    expect((await runMar(['report', '--db', big, '--out', out])).code).toBe(0);
    expect(statSync(out).size).toBeLessThan(5 * 1024 * 1024);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/<p class="cut">100 more bugs left out \(mar failures --bugs lists them all\)\.<\/p>/);
    const shown = html.match(/<section class="failure"/g)!.length;
    expect(html).toContain(`<p class="cut" id="sections-cut">${300 - shown} more bug sections left out to keep this page under 5 MB`);
    rmSync(big);
  }, 60_000);
});

describe('mar report: what no database can make it do', () => {
  it('stays under 5 MB with huge messages, lines, coverage and a single huge trace, linking only to sections it shows', async () => {
    const file = path.join(dir, 'huge.sqlite');
    const store = FailureStore.open(file);
    const campaign = newCampaign(store, 'none');
    const line = (i: number) => `event=${i} app.note text=${'字'.repeat(6000)}`;
    const trace = ['marionette.trace format=text version=0', ...Array.from({ length: 3000 }, (_, i) => line(i))].join('\n') + '\n';
    const failures: NewFailure[] = Array.from({ length: 4 }, (_, i) => ({
      seed: String(i), seedOffset: i, profile: '{}', kind: 'check_failed', signature: `check_failed|${'c'.repeat(100_000)}${i}|E`, phase: 'check',
      checkName: `${'c'.repeat(100_000)}${i}`, errorName: 'E', errorMessage: '<b>'.repeat(2_000_000), trace, traceHash: 'h', eventCount: 3000,
    }));
    store.recordBatch(campaign.id, { range: { firstOffset: 0, count: 4 }, failures });
    store.declareCoverage(campaign.id, Array.from({ length: 5000 }, (_, i) => `name ${i} ${'x'.repeat(200)}`));
    const handle = (store as unknown as { connection: Database.Database }).connection;
    handle.prepare('UPDATE failure_details SET event_count = ? WHERE failure_id = 1').run('<img src=x onerror=alert(1)>');
    store.close();
    for (const args of [[], ['--failure', '1']]) {
      const out = path.join(dir, `huge${args.length}.html`);
      const result = await runMar(['report', '--db', file, '--out', out, ...args]);
      expect(result.code, result.stderr).toBe(0);
      expect(statSync(out).size).toBeLessThan(5 * 1024 * 1024);
      const html = readFileSync(out, 'utf8');
      expect(html).not.toContain('<img');
      expect(html).not.toContain('<b>');
      expect(html).toContain('<section class="failure"');
      // Every link to a section has its section on the page.
      for (const [, target] of html.matchAll(/href="#([^"]+)"/g)) expect(html).toContain(`id="${target}"`);
    }
  }, 60_000);

  it('says a guided campaign has no fault table, and a regenerated trace that no longer fails is not the failure', async () => {
    const guided = path.join(dir, 'guided.sqlite');
    await runMar(['fuzz', 'deep-state-bug', '--seeds', '300', '--guided', '--workers', '1', '--no-minimize', '--db', guided]);
    const out = path.join(dir, 'guided.html');
    expect((await runMar(['report', '--db', guided, '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('a guided campaign: most runs reuse the profile of the corpus tape they mutate');

    const stale = path.join(dir, 'stale.sqlite');
    const store = FailureStore.open(stale);
    const campaign = newCampaign(store, 'none');
    // A failure of a seed that passes (as after a fix): the row keeps no trace, so the report re-runs it.
    store.recordBatch(campaign.id, {
      range: { firstOffset: 0, count: 1 },
      failures: [{ seed: '12648430', seedOffset: 0, profile: '{}', kind: 'check_failed', signature: 'check_failed|gone|E', phase: 'check', checkName: 'gone', errorName: 'E', errorMessage: 'm', trace: null, traceHash: null, eventCount: null }],
    });
    const handle = (store as unknown as { connection: Database.Database }).connection;
    handle.prepare("UPDATE bugs SET case_ref = 'replicated-register'").run();
    store.close();
    const page = path.join(dir, 'stale.html');
    expect((await runMar(['report', '--db', stale, '--failure', '1', '--out', page])).code).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('regenerated by replaying the seed, which now passes: this is not the stored failure&#39;s run');
  }, 60_000);
});

describe('mar report: linearizability failures', () => {
  it('marks the operation that cannot come next in the history of the run the check failed on', async () => {
    const file = path.join(dir, 'linearizability.sqlite');
    await runMar(['fuzz', 'replicated-register-stale-read-bug', '--seeds', '400', '--workers', '1', '--db', file]);
    const store = FailureStore.open(file, { readonly: true });
    const bug = store.listBugs().find((b) => b.errorName === 'NotLinearizable')!;
    const failure = store.campaignBugFailure(1, bug.id)!;
    store.close();
    const op = /none of these can come next: #(\d+) /.exec(failure.errorMessage!)![1];
    const out = path.join(dir, 'linearizability.html');
    expect((await runMar(['report', '--db', file, '--out', out])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`operation history of the original run (operation #${op}, which cannot come next, marked)`);
    expect(html.match(/class="hist-op hist-fail"/g)).toHaveLength(1);
    expect(html).toMatch(new RegExp(`<g class="hist-op hist-fail" data-op="${op}"`));
  }, 60_000);
});

describe('faultDependence', () => {
  it('finds the one setting failures need: none fail with partitions off', () => {
    const file = path.join(dir, 'faults.sqlite');
    const store = FailureStore.open(file);
    const campaign = newCampaign(store);
    const seeds = 4000;
    const failures: NewFailure[] = [];
    let partitioned = 0;
    for (let i = 0; i < seeds; i++) {
      const profile = expandSwarmProfile(BigInt(i));
      if (profile.network.partitionRate === '0/1') continue;
      partitioned++;
      if (i % 3 !== 0) continue; // a third of the partitioned seeds fail
      failures.push({ seed: String(i), seedOffset: i, profile: JSON.stringify(profile), kind: 'check_failed', signature: 'check_failed|c|E', phase: 'check', checkName: 'c', errorName: 'E', errorMessage: null, trace: null, traceHash: null, eventCount: null });
    }
    store.recordBatch(campaign.id, { range: { firstOffset: 0, count: seeds }, failures });
    const result = faultDependence(store, store.getCampaign(campaign.id)!);
    store.close();
    const row = (name: string) => result.overall.find((r) => r.knob === name)!;
    expect(result.seedsSampled).toBe(seeds);
    expect(result.failuresSampled).toBe(failures.length);
    expect(row('partitions').seedsOn).toBeCloseTo(partitioned / seeds, 10);
    expect(row('partitions').rateOff).toBe(0);
    expect(row('partitions').rateOn).toBeCloseTo(failures.length / partitioned, 10);
    // Settings drawn independently of partitions: failure rates on and off within a few points.
    for (const name of ['message loss', 'disk read errors', 'host crashes']) {
      expect(Math.abs(row(name).rateOn! - row(name).rateOff!)).toBeLessThan(0.05);
    }
  });

  it('says there is nothing to compare when every seed ran under one profile', () => {
    const file = path.join(dir, 'smoke.sqlite');
    const store = FailureStore.open(file);
    const campaign = newCampaign(store, 'smoke');
    expect(faultDependence(store, campaign).none).toBe('every seed ran under the smoke profile: nothing to compare');
    store.close();
  });
});
