import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as mar from 'marionette-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runMar } from './run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-replay-'));
const db = path.join(dir, 'campaign.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the campaign database with one SQL statement applied. */
function tampered(sql: string): string {
  const copy = path.join(dir, `tampered-${Math.random().toString(36).slice(2)}.sqlite`);
  copyFileSync(db, copy);
  const handle = new Database(copy);
  handle.exec(sql);
  handle.close();
  return copy;
}

beforeAll(async () => {
  const result = await runMar(['fuzz', 'kv-store-swarm-bug', '--seeds', '800', '--workers', '2', '--db', db, '--json']);
  expect(result.code).toBe(1);
}, 60_000);

describe('mar failures / mar campaigns', () => {
  it('lists failing seeds as JSON lines with id, seed, kind, signature and check', async () => {
    const result = await runMar(['failures', '--db', db, '--json']);
    expect(result.code).toBe(0);
    const rows = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      expect(row).toMatchObject({ id: expect.any(Number), seed: expect.stringMatching(/^\d+$/), kind: 'check_failed', signature: expect.any(String), check: expect.any(String) });
    }
  });

  it('filters by signature and campaign, and lists distinct bugs', async () => {
    const bugs = (await runMar(['failures', '--db', db, '--bugs', '--json'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const signature = bugs[0].signature as string;
    const bySignature = (await runMar(['failures', '--db', db, '--signature', signature, '--json'])).stdout.trimEnd().split('\n');
    expect(bySignature).toHaveLength(bugs[0].failures);
    expect((await runMar(['failures', '--db', db, '--campaign', '2'])).stdout).toBe('no failures recorded\n');
    const human = await runMar(['failures', '--db', db, '--bugs']);
    expect(human.stdout).toContain(signature);
  });

  it('lists campaigns as JSON lines with id and status', async () => {
    const result = await runMar(['campaigns', '--db', db, '--json']);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ id: 1, status: 'done', caseRef: 'kv-store-swarm-bug', seedsDone: 800 });
  });

  it('shows a campaign marked running whose process is gone as stale, with the command that resumes it', async () => {
    const { spawnSync } = await import('node:child_process');
    const { hostname } = await import('node:os');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const killed = tampered(`UPDATE campaigns SET status = 'running', owner_pid = ${Number(gone)}, owner_host = '${hostname()}'`);
    const json = JSON.parse((await runMar(['campaigns', '--db', killed, '--json'])).stdout.trim());
    expect(json).toMatchObject({ id: 1, status: 'stale', resumeCommand: `mar fuzz --resume 1 --db ${killed}` });
    const text = (await runMar(['campaigns', '--db', killed])).stdout.split('\n');
    expect(text[0]).toMatch(/^#1 {2}stale {8}kv-store-swarm-bug/);
    expect(text[1]).toBe(`    resume: mar fuzz --resume 1 --db ${killed}`);
    // Its own process, alive, is still running; a done campaign offers no resume.
    const alive = tampered(`UPDATE campaigns SET status = 'running', owner_pid = ${process.pid}, owner_host = '${hostname()}'`);
    expect(JSON.parse((await runMar(['campaigns', '--db', alive, '--json'])).stdout.trim()).status).toBe('running');
    expect(JSON.parse((await runMar(['campaigns', '--db', db, '--json'])).stdout.trim()).resumeCommand).toBeUndefined();
  });

  it.each([
    [['failures', '--limit', 'abc'], /--limit must be a non-negative integer/],
    [['failures', '--campaign', '1.5'], /--campaign must be a campaign id/],
  ])('rejects bad filters with exit 2: %j', async (args, message) => {
    const result = await runMar([...args, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('is a one-line exit 2 on a damaged database', async () => {
    const damaged = path.join(dir, 'damaged.sqlite');
    copyFileSync(db, damaged);
    const { openSync, writeSync, closeSync, statSync } = await import('node:fs');
    const fd = openSync(damaged, 'r+');
    writeSync(fd, Buffer.alloc(statSync(damaged).size - 4096, 0x5a), 0, undefined, 4096);
    closeSync(fd);
    const result = await runMar(['failures', '--db', damaged]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mar: (the failure database is damaged|.*not a usable marionette database)/);
  });

  it('is a one-line usage error on a missing database', async () => {
    const result = await runMar(['failures', '--db', path.join(dir, 'missing.sqlite')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mar: no failure database at /);
  });
});

describe('mar replay', () => {
  it('reproduces a stored failure byte for byte (exit 0) and prints its trace', async () => {
    const result = await runMar(['replay', '1', '--db', db, '--trace']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^reproduced: failure #1 of kv-store-swarm-bug seed \d+ fails with check_failed\|.*; trace hash [0-9a-f]{16} matches\n$/);
    const store = new Database(db, { readonly: true });
    const row = store.prepare('SELECT trace_hash FROM failure_details WHERE failure_id = 1').get() as { trace_hash: string };
    store.close();
    expect(mar.traceHash(result.stdout)).toBe(row.trace_hash);
  });

  it('reproduces the minimized reproduction', async () => {
    const result = await runMar(['replay', '1', '--minimized', '--db', db, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'reproduced', minimized: true, failureId: 1 });
  });

  it('reports different-trace when the trace no longer matches (exit 1)', async () => {
    const copy = tampered("UPDATE failure_details SET trace_hash = 'ffff' WHERE failure_id = 1");
    const result = await runMar(['replay', '1', '--db', copy]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^different-trace: failure #1 .* trace hash [0-9a-f]+ != stored ffff/);
  });

  it('reports no-longer-fails for a stored failure that now passes (exit 1)', async () => {
    const copy = tampered("UPDATE bugs SET case_ref = 'kv-store-swarm'");
    const result = await runMar(['replay', '1', '--db', copy, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'no-longer-fails', signature: null });
  });

  it('warns when the build that stored the failure differs', async () => {
    const copy = tampered("UPDATE campaigns SET package_version = '0.0.1', node_version = 'v18.0.0'");
    const result = await runMar(['replay', '1', '--db', copy]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: failure #1 was stored by another build \(marionette-sim 0\.0\.1 -> \d+\.\d+\.\d+.*, node v18\.0\.0 -> v20/);
  });

  it('re-checks every stored bug with --all', async () => {
    const result = await runMar(['replay', '--all', '--db', db, '--json']);
    expect(result.code).toBe(0);
    const rows = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    const bugs = (await runMar(['failures', '--db', db, '--bugs', '--json'])).stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(bugs.length);
    expect(rows.every((row) => row.status === 'reproduced')).toBe(true);
  });

  it('replays a case and seed given on the command line', async () => {
    const stored = JSON.parse((await runMar(['failures', '--db', db, '--limit', '1', '--json'])).stdout);
    const found = await runMar(['replay', '--case', 'kv-store-swarm-bug', '--seed', stored.seed, '--db', db]);
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(/^reproduced: failure #\d+ of kv-store-swarm-bug/);
    const fresh = await runMar(['replay', '--case', 'kv-store-swarm-bug', '--seed', '1', '--profile', 'none', '--db', path.join(dir, 'none.sqlite')]);
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toMatch(/^no-longer-fails: kv-store-swarm-bug seed 1 passes/);
  });

  it.each([
    [['replay', '--db', 'x.sqlite'], /give a failure id, --case with --seed, or --all/],
    [['replay', '--case', 'retry-queue', '--db', 'x.sqlite'], /--case needs --seed/],
    [['replay', '999'], /no failure #999/],
    [['replay', '1', '--minimized'], /has no minimized reproduction/],
  ])('exits 2 with a one-line reason for %j', async (args, message) => {
    const store = args.includes('--db') ? [] : ['--db', args[1] === '1' ? tampered('UPDATE failure_details SET minimized = NULL') : db];
    const result = await runMar([...args, ...store], { cwd: REPO_ROOT });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
