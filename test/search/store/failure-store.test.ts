import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as mar from 'marionette-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIdentity } from '../../../src/search/store/build-identity.js';
import { FailureStore, StoreError, type NewFailure } from '../../../src/search/store/failure-store.js';
import { APPLICATION_ID, MIGRATIONS } from '../../../src/search/store/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
/** A path in a fresh directory; with `nested`, inside a sub-directory that does not exist yet. */
function tempFile(name = 'store.sqlite', nested = false): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'marionette-store-'));
  dirs.push(dir);
  return nested ? path.join(dir, 'nested', name) : path.join(dir, name);
}

const campaignInput = {
  kind: 'fuzz' as const,
  caseRef: 'idempotency-bug',
  caseName: 'idempotency-bug',
  profile: 'swarm',
  startSeed: '0',
  plannedSeeds: 100,
  durationMs: null,
  workers: 2,
  seedTimeoutMs: 30_000,
  auditEvery: 64,
  keepTraces: 2,
  build: buildIdentity(),
};

function failure(seed: number, signature = 'check_failed|c|E'): NewFailure {
  return {
    seed: String(seed),
    seedOffset: seed,
    profile: '{}',
    kind: 'check_failed',
    signature,
    phase: 'check',
    checkName: 'c',
    errorName: 'E',
    errorMessage: 'boom',
    trace: `trace of ${seed}`,
    traceHash: `hash${seed}`,
    eventCount: 10 + seed,
  };
}

describe('FailureStore', () => {
  it('creates a WAL database (and its directory) with its application id and every migration', () => {
    const file = tempFile('store.sqlite', true);
    FailureStore.open(file).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps full traces only for the first keepTraces failures of a signature, and counts bugs', () => {
    const store = FailureStore.open(tempFile());
    const campaign = store.createCampaign(campaignInput);
    const newBugs = store.recordBatch(campaign.id, { range: { firstOffset: 0, count: 10 }, failures: [1, 2, 3].map((s) => failure(s)), dispatchedEnd: 10 });
    store.recordBatch(campaign.id, { range: { firstOffset: 10, count: 10 }, failures: [failure(11), failure(12, 'stalled|-|Stalled')], dispatchedEnd: 20 });
    expect(newBugs).toHaveLength(1);
    const traces = store.listFailures().map((f) => store.getFailure(f.id)!.trace);
    expect(traces).toEqual(['trace of 1', 'trace of 2', null, null, 'trace of 12']);
    // Beyond keepTraces a failing seed keeps only its small row (seed and bug).
    expect(store.listFailures().map((f) => [f.seed, f.signature, f.traceHash, f.detailed])).toEqual([
      ['1', 'check_failed|c|E', 'hash1', true],
      ['2', 'check_failed|c|E', 'hash2', true],
      ['3', 'check_failed|c|E', null, false],
      ['11', 'check_failed|c|E', null, false],
      ['12', 'stalled|-|Stalled', 'hash12', true],
    ]);
    expect(JSON.parse(store.listFailures()[2]!.profile)).toEqual(mar.expandSwarmProfile(3n));
    expect(store.listBugs().map((b) => [b.signature, b.failures])).toEqual([
      ['check_failed|c|E', 4],
      ['stalled|-|Stalled', 1],
    ]);
    expect(store.getCampaign(campaign.id)).toMatchObject({ seedsDone: 20, failures: 5, dispatchedEnd: 20, status: 'running' });
    expect(store.completedRanges(campaign.id)).toEqual([
      { firstOffset: 0, count: 10 },
      { firstOffset: 10, count: 10 },
    ]);
    store.close();
  });

  it('records a smaller reproduction as the bug smallest', () => {
    const store = FailureStore.open(tempFile());
    const campaign = store.createCampaign(campaignInput);
    store.recordBatch(campaign.id, { failures: [failure(1), failure(2)] });
    const [first, second] = store.listFailures();
    store.recordMinimized(first!.id, '{}', 'small', 'h1', 8);
    store.recordMinimized(second!.id, '{}', 'smaller', 'h2', 5);
    store.recordMinimized(first!.id, '{}', 'small', 'h1', 8);
    expect(store.listBugs()[0]).toMatchObject({ smallestFailureId: second!.id, smallestEventCount: 5 });
    store.close();
  });

  it('refuses a file that is not SQLite and leaves it untouched', () => {
    const file = tempFile('notes.txt');
    writeFileSync(file, 'my precious notes');
    expect(() => FailureStore.open(file)).toThrow(StoreError);
    expect(() => FailureStore.open(file)).toThrow(/is not a marionette database \(not an SQLite file\); it was left untouched/);
    expect(readFileSync(file, 'utf8')).toBe('my precious notes');
  });

  it('refuses another application database and a corrupt one', () => {
    const other = tempFile('other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE mine (x)');
    db.close();
    const before = readFileSync(other);
    expect(() => FailureStore.open(other)).toThrow(/is not a marionette database \(it holds another application's data\)/);
    expect(readFileSync(other)).toEqual(before);
    const corrupt = tempFile('corrupt.sqlite');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0xab)]));
    expect(() => FailureStore.open(corrupt)).toThrow(StoreError);
  });

  it('refuses a foreign SQLite file without tables and a directory, leaving them untouched', () => {
    const file = tempFile('view-only.sqlite');
    const db = new Database(file);
    db.exec('CREATE VIEW v AS SELECT 1');
    db.pragma('user_version = 1');
    db.close();
    const before = readFileSync(file);
    expect(() => FailureStore.open(file)).toThrow(/is not a marionette database/);
    expect(readFileSync(file)).toEqual(before);
    expect(() => FailureStore.open(path.dirname(file))).toThrow(/is not a file/);
  });

  it('refuses a database from a newer version, and reading a missing one', () => {
    const file = tempFile();
    FailureStore.open(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => FailureStore.open(file)).toThrow(/newer than this marionette-sim/);
    expect(() => FailureStore.open(tempFile('missing.sqlite'), { readonly: true })).toThrow(/no failure database at/);
  });
});
