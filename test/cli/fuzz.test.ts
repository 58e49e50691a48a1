import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as mar from 'marionette-sim';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { loadCase } from '../../src/search/load-case.js';
import { runOnce } from '../../src/harness/run-once.js';
import { REPO_ROOT, runMar } from './run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-fuzz-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;
const require_fs = () => createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const freshDb = () => path.join(dir, `f${++count}.sqlite`);
const BIN = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));

describe('mar fuzz', () => {
  it('prints exactly one JSON summary with --json and exits 1 when it found failures', async () => {
    const db = freshDb();
    const result = await runMar(['fuzz', 'idempotency-bug', '--seeds', '2000', '--workers', '2', '--db', db, '--json']);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!);
    expect(summary).toMatchObject({ status: 'done', seedsDone: 2000, profile: 'swarm', caseRef: 'idempotency-bug' });
    expect(summary.failures).toBeGreaterThan(0);
    expect(summary.bugs[0].signature).toBe('check_failed|every deposit applied exactly once|InvariantViolation');
  });

  it('exits 0 for a campaign without failures and prints a readable summary', async () => {
    const result = await runMar(['fuzz', 'retry-queue', '--seeds', '300', '--workers', '1', '--db', freshDb(), '--profile', 'none']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^campaign 1 done: 300\/300 seeds of retry-queue under none/);
    expect(result.stdout).toContain('0 failing seeds, 0 distinct bugs');
  });

  it('runs a duration-bounded campaign until its time is up', async () => {
    const result = await runMar(['fuzz', 'idempotency', '--duration', '1500ms', '--workers', '1', '--db', freshDb(), '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.status).toBe('done');
    expect(summary.plannedSeeds).toBeNull();
    expect(summary.seedsDone).toBeGreaterThan(100);
  });

  it.each([
    [['fuzz', 'retry-queue', '--db', 'x.sqlite'], /give --seeds N or --duration D/],
    [['fuzz', 'retry-queue', '--seeds', '10', '--duration', '1s', '--db', 'x.sqlite'], /exactly one of --seeds and --duration/],
    [['fuzz', 'retry-queue', '--seeds', '0', '--db', 'x.sqlite'], /--seeds must be a positive integer/],
    [['fuzz', 'retry-queue', '--duration', 'forever', '--db', 'x.sqlite'], /--duration must be a duration/],
    [['fuzz', 'retry-queue', '--seeds', '5', '--seed-timeout', '5', '--db', 'x.sqlite'], /--seed-timeout must be a duration/],
    [['fuzz', 'retry-queue', '--seeds', '5', '--workers', '0', '--db', 'x.sqlite'], /--workers must be a positive integer/],
    [['fuzz', 'retry-queue', '--seeds', '5', '--start-seed', 'x', '--db', 'x.sqlite'], /--start-seed: parseSeed: invalid seed "x"/],
    [['fuzz', 'nope', '--seeds', '5', '--db', 'x.sqlite'], /unknown case "nope"/],
    [['fuzz', '--db', 'x.sqlite'], /name a case, or --resume a campaign/],
    [['fuzz', '--resume', '1', '--seeds', '4', '--db', 'x.sqlite'], /--resume continues a campaign as it was planned/],
    [['fuzz', 'retry-queue', '--seeds', '5', '--db', ''], /^mar: --db must name a database file, got ""$/m],
    [['fuzz', 'retry-queue', '--seeds', '5', '--worker-memory', '8', '--db', 'x.sqlite'], /--worker-memory must be an integer number of MB, at least 16, got 8/],
    [['fuzz', 'retry-queue', '--seeds', '5', '--db', '   '], /^mar: --db must name a database file, got " {3}"$/m],
    [['failures', '--db', ''], /^mar: --db must name a database file, got ""$/m],
    [['campaigns', '--db', ''], /^mar: --db must name a database file, got ""$/m],
  ])('exits 2 with a one-line reason for %j', async (args, message) => {
    const result = await runMar(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('honours SIGTERM within the documented 10 s even when asked for a thousand workers, and leaves no process behind', async () => {
    const file = freshDb();
    const child = spawn(process.execPath, [BIN, 'fuzz', 'idempotency-bug', '--seeds', '3000000', '--workers', '1000', '--db', file, '--json']);
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(performance.now() - signalled).toBeLessThan(10_000);
    expect(code).toBe(130);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'interrupted' });
    expect(() => process.kill(child.pid!, 0)).toThrow();
  });

  it('caps --workers at four per core with a one-line notice, and still runs every seed', async () => {
    const { availableParallelism } = await import('node:os');
    const cap = 4 * availableParallelism();
    const result = await runMar(['fuzz', 'idempotency', '--seeds', '60', '--workers', '1000', '--db', freshDb(), '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr.trim()).toBe(`mar: --workers 1000 is more than 4 per core (${availableParallelism()} cores here); using ${cap}`);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done', seedsDone: 60 });
    const exactly = await runMar(['fuzz', 'idempotency', '--seeds', '20', '--workers', String(cap), '--db', freshDb(), '--json']);
    expect(exactly.stderr).toBe('');
  });

  it('refuses a database file that is not a marionette database, leaving it untouched', async () => {
    const file = path.join(dir, 'notes.sqlite');
    (await import('node:fs')).writeFileSync(file, 'not a database');
    const result = await runMar(['fuzz', 'retry-queue', '--seeds', '5', '--db', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not a marionette database/);
    expect((await import('node:fs')).readFileSync(file, 'utf8')).toBe('not a database');
  });

  describe('refuses, untouched and without side files', () => {
    const { existsSync, readFileSync, writeFileSync } = require_fs();
    const refuse = async (file: string, message: RegExp) => {
      const before = readFileSync(file);
      const result = await runMar(['fuzz', 'retry-queue', '--seeds', '5', '--db', file]);
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(existsSync(`${file}-wal`) || existsSync(`${file}-shm`)).toBe(false);
    };

    it('an SQLite file of another application, in WAL mode', async () => {
      const file = path.join(dir, 'other-app.sqlite');
      const other = new Database(file);
      other.pragma('journal_mode = WAL');
      other.pragma('application_id = 1234');
      other.exec('CREATE TABLE notes (body TEXT)');
      other.close();
      await refuse(file, /is not a marionette database \(it holds another application's data\)/);
    });

    it('a file with marionette\'s application id but none of its tables', async () => {
      const file = path.join(dir, 'impostor.sqlite');
      const impostor = new Database(file);
      impostor.pragma('application_id = 1296126547'); // "MARS"
      impostor.exec('CREATE TABLE notes (body TEXT)');
      impostor.close();
      await refuse(file, /carries marionette's application id but not its tables/);
    });

    // Root may write any file, so this runs the command as another user (CI and sessions run as root).
    const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((file) => existsSync(file));
    it.runIf(process.getuid?.() === 0 && runuser !== undefined)('a database the user may not write (a 444 file, as user nobody)', async () => {
      const { chmodSync, mkdtempSync: mkdtemp } = require_fs();
      const shared = mkdtemp(path.join(tmpdir(), 'marionette-readonly-'));
      chmodSync(shared, 0o755);
      const file = path.join(shared, 'readonly.sqlite');
      expect((await runMar(['fuzz', 'idempotency', '--seeds', '20', '--workers', '1', '--db', file, '--json'])).code).toBe(0);
      chmodSync(file, 0o444);
      const before = readFileSync(file);
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(runuser!, ['-u', 'nobody', '--', process.execPath, BIN, 'fuzz', 'idempotency', '--seeds', '5', '--db', file]);
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(`mar: cannot write ${file} (attempt to write a readonly database); check its permissions and its directory's, or use another --db file`);
      expect(readFileSync(file).equals(before)).toBe(true);
      rmSync(shared, { recursive: true, force: true });
    });

    it('a marionette database with a damaged page deep in the file', async () => {
      const file = freshDb();
      expect((await runMar(['fuzz', 'idempotency-bug', '--seeds', '3000', '--workers', '1', '--db', file, '--json', '--no-minimize'])).code).toBe(1);
      const bytes = readFileSync(file);
      const pageSize = bytes.readUInt16BE(16);
      const pages = bytes.length / pageSize;
      expect(pages).toBeGreaterThan(4);
      const damaged = Buffer.from(bytes);
      damaged.fill(0xa5, Math.floor(pages / 2) * pageSize, Math.floor(pages / 2) * pageSize + pageSize); // a page in the middle, not the header
      writeFileSync(file, damaged);
      await refuse(file, /is damaged \(/);
    });
  });

  describe('stops with one line and a resume command when its surroundings fail', () => {
    it('a full disk (a file-size limit): finished seeds are kept and --resume finishes the campaign', async () => {
      const file = freshDb();
      const bin = path.join(REPO_ROOT, 'dist/src/cli/bin.js');
      const limited = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('bash', ['-c', `ulimit -f 512; exec "${process.execPath}" "${bin}" fuzz idempotency-bug --seeds 40000 --workers 1 --keep-traces 100000 --no-minimize --db "${file}"`]);
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(limited.code).toBe(2);
      expect(limited.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(limited.stderr).toMatch(
        new RegExp(`^mar: campaign 1 stopped: the failure database ${file} could not be written \\(.+\\); every finished seed is stored: .* then mar fuzz --resume 1 --db ${file}$`, 'm'),
      );
      const stopped = JSON.parse((await runMar(['campaigns', '--db', file, '--json'])).stdout.trim());
      expect(['interrupted', 'stale']).toContain(stopped.status);
      expect(stopped.seedsDone).toBeGreaterThan(0);
      expect(stopped.seedsDone).toBeLessThan(40000);
      const resumed = await runMar(['fuzz', '--resume', '1', '--db', file, '--json', '--no-minimize']);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'done', seedsDone: 40000 });
    });

    it('a leak: each worker that runs out of its heap is replaced and the seed it ran is a WorkerOutOfMemory failure', async () => {
      const file = freshDb();
      const result = await runMar(['fuzz', 'test/fixtures/campaign-cases.ts#leaky4mb', '--seeds', '120', '--workers', '1', '--worker-memory', '64', '--no-minimize', '--db', file, '--json']);
      expect(result.code).toBe(1);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ status: 'done', seedsDone: 120 });
      expect(summary.bugs.map((b: { signature: string }) => b.signature)).toEqual(['scenario_error|-|WorkerOutOfMemory']);
      expect(summary.failures).toBeGreaterThan(0);
      expect(summary.failures).toBeLessThan(60);
      const [failure] = (await runMar(['failures', '--db', file, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(failure.message).toMatch(/^the worker ran out of its 64 MB heap running this seed/);
    });

    it('a case that kills every worker stops after ten deaths in a row instead of crawling', async () => {
      const file = freshDb();
      const result = await runMar(['fuzz', 'test/fixtures/campaign-cases.ts#exits', '--seeds', '100', '--workers', '1', '--no-minimize', '--db', file]);
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^mar: campaign 1 stopped: workers keep dying: 10 in a row with no batch finished \(the last at seed offset \d+: worker exited with code: 3\); fix the case, then mar fuzz --resume 1 --db /);
      expect(JSON.parse((await runMar(['campaigns', '--db', file, '--json'])).stdout.trim()).status).toBe('interrupted');
    });

    it('a case module that does not load in the workers', async () => {
      const file = freshDb();
      const result = await runMar(['fuzz', 'test/fixtures/campaign-cases.ts#brokenInWorkers', '--seeds', '100', '--workers', '1', '--db', file], {
        env: { MARIONETTE_FIXTURE_BREAK_WORKERS: '1' },
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^mar: campaign 1 stopped: a worker could not run seeds 0\.\. of the case: .*this module refuses to load in a worker.*; fix the case, then mar fuzz --resume 1 --db /);
      expect(JSON.parse((await runMar(['campaigns', '--db', file, '--json'])).stdout.trim()).status).toBe('interrupted');
    });
  });

  it('stops cleanly on SIGINT, is readable by another process meanwhile, and --resume finishes the exact remaining seeds', async () => {
    const db = freshDb();
    const seeds = 1500;
    const child = spawn(process.execPath, [BIN, 'fuzz', 'test/fixtures/campaign-cases.ts#slowTenth', '--seeds', String(seeds), '--workers', '2', '--profile', 'none', '--db', db, '--no-minimize'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    // Read the database from this process while the campaign writes it.
    let seen = 0;
    for (let i = 0; i < 300 && seen < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        const store = FailureStore.open(db, { readonly: true });
        const campaign = store.listCampaigns()[0];
        store.close();
        if (campaign !== undefined) {
          expect(campaign.status).toBe('running');
          seen = campaign.seedsDone;
        }
      } catch (error) {
        if (!/no failure database|has schema v0/.test(String(error))) throw error;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(200);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/campaign 1 interrupted: \d+\/1,500 seeds/);
    expect(stdout).toContain(`resume with: mar fuzz --resume 1 --db ${db}`);

    const campaigns = await runMar(['campaigns', '--db', db, '--json']);
    const interrupted = JSON.parse(campaigns.stdout.trim());
    expect(interrupted).toMatchObject({ id: 1, status: 'interrupted' });
    expect(interrupted.seedsDone).toBeLessThan(seeds);

    const resumed = await runMar(['fuzz', '--resume', '1', '--db', db, '--json']);
    expect(resumed.code).toBe(1);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ campaignId: 1, status: 'done', seedsDone: seeds, sessionSeeds: seeds - interrupted.seedsDone });

    const store = FailureStore.open(db, { readonly: true });
    const offsets = store.completedRanges(1).flatMap((r) => Array.from({ length: r.count }, (_, i) => r.firstOffset + i)).sort((a, b) => a - b);
    const recorded = store.listFailures({ campaignId: 1 }).map((f) => f.seed);
    store.close();
    expect(offsets).toEqual(Array.from({ length: seeds }, (_, i) => i));
    const c = (await loadCase('test/fixtures/campaign-cases.ts#slowTenth', REPO_ROOT)).case;
    const expected: string[] = [];
    for (let seed = 0n; seed < BigInt(seeds); seed++) if ((await runOnce(c, { seed, captureStacks: false })).failure) expected.push(String(seed));
    expect([...recorded].sort()).toEqual(expected.sort());
    expect(new Set(recorded).size).toBe(recorded.length);
    expect(mar.SEED_MAX).toBeGreaterThan(0n);
  });
});
