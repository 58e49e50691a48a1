import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { REPO_ROOT, runMar } from '../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));
const db = (name: string) => path.join(dir, `${name}.sqlite`);

/** What must agree between a campaign run whole and its merged shards. */
function contents(file: string) {
  const store = FailureStore.open(file, { readonly: true });
  try {
    const failures = store.listFailures();
    const seeds = failures.map((f) => `${f.seed} ${f.signature}`).sort();
    const keyOf = (id: number | null) => {
      if (id === null) return null;
      const f = store.getFailure(id)!;
      return `${store.getCampaign(f.campaignId)!.uuid} ${f.seedOffset}`;
    };
    const bugs = store.listBugs().map((b) => ({ signature: b.signature, failures: b.failures, smallest: keyOf(b.smallestFailureId), events: b.smallestEventCount }));
    const campaigns = store.listCampaigns().map((c) => ({ uuid: c.uuid, seedsDone: c.seedsDone, failures: c.failures, shard: `${c.shardIndex}/${c.shardCount}` }));
    const rows = store
      .listCampaigns()
      .flatMap((c) => store.listFailures({ campaignId: c.id }).map((f) => `${c.uuid} ${f.seedOffset} ${f.signature} ${f.detailed} ${f.traceHash}`))
      .sort();
    return { seeds, bugs, campaigns: campaigns.sort((a, b) => a.uuid.localeCompare(b.uuid)), rows };
  } finally {
    store.close();
  }
}

const SEEDS = 40_000;

describe('sharded campaigns (mar fuzz --shard I/N) and mar merge', () => {
  beforeAll(async () => {
    // Four shard processes side by side, as four pods or CI jobs would run them, and the whole campaign.
    const shards = [0, 1, 2, 3].map((i) =>
      runMar(['fuzz', 'idempotency-bug', '--seeds', String(SEEDS), '--shard', `${i}/4`, '--workers', '1', '--no-minimize', '--db', db(`shard${i}`)]),
    );
    for (const shard of await Promise.all(shards)) expect(shard.code).toBe(1);
    expect((await runMar(['fuzz', 'idempotency-bug', '--seeds', String(SEEDS), '--workers', '2', '--no-minimize', '--db', db('whole')])).code).toBe(1);
  }, 120_000);

  it('merge four shards into exactly the failing seeds and per-bug counts of the campaign run whole', async () => {
    const merged = await runMar(['merge', db('merged'), db('shard0'), db('shard1'), db('shard2'), db('shard3'), '--json']);
    expect(merged.code).toBe(0);
    const summary = JSON.parse(merged.stdout);
    const whole = contents(db('whole'));
    const shards = contents(db('merged'));
    expect(shards.seeds.length).toBeGreaterThan(2000);
    expect(shards.seeds).toEqual(whole.seeds);
    expect(shards.bugs).toEqual(whole.bugs);
    expect(summary).toMatchObject({ campaigns: 4, failures: whole.seeds.length, bugs: 1 });
    expect(summary.inputs.map((i: { failures: number }) => i.failures).reduce((a: number, b: number) => a + b)).toBe(whole.seeds.length);
    expect(shards.campaigns.map((c) => c.shard).sort()).toEqual(['0/4', '1/4', '2/4', '3/4']);
    expect(shards.campaigns.reduce((sum, c) => sum + c.seedsDone, 0)).toBe(SEEDS);
    // Every shard runs its own residue of seeds.
    for (let i = 0; i < 4; i++) for (const row of contents(db(`shard${i}`)).seeds) expect(BigInt(row.split(' ')[0]!) % 4n).toBe(BigInt(i));

    // Failures, replay (by the merged ids) and replay --all work on the merged file.
    const listed = await runMar(['failures', '--db', db('merged'), '--limit', '3']);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(3);
    const last = await runMar(['replay', String(whole.seeds.length), '--db', db('merged')]);
    expect(last.stdout).toMatch(/^reproduced: failure #\d+ of idempotency-bug seed \d+ fails with check_failed/);
    const all = await runMar(['replay', '--all', '--db', db('merged')]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^reproduced: /m);
  }, 60_000);

  it('merge twice, or in another order, to the same result', async () => {
    const once = contents(db('merged'));
    const again = await runMar(['merge', db('merged'), db('shard2'), db('shard0'), '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).inputs.map((i: { alreadyMerged: number; failures: number }) => [i.alreadyMerged, i.failures])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect(contents(db('merged'))).toEqual(once);
    expect((await runMar(['merge', db('reversed'), db('shard3'), db('shard2'), db('shard1'), db('shard0')])).code).toBe(0);
    expect(contents(db('reversed'))).toEqual(once);
    // One at a time into a file that already holds some of them.
    expect((await runMar(['merge', db('stepwise'), db('shard1')])).code).toBe(0);
    expect((await runMar(['merge', db('stepwise'), db('shard3'), db('shard1'), db('shard0'), db('shard2')])).code).toBe(0);
    expect(contents(db('stepwise'))).toEqual(once);
  }, 60_000);

  it('leave OUT byte-identical, or not created, when an input is corrupt, foreign, or OUT itself', async () => {
    const corrupt = db('corrupt');
    copyFileSync(db('shard1'), corrupt);
    const fd = openSync(corrupt, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 8192); // garbage over the third page
    closeSync(fd);
    const before = readFileSync(db('merged'));
    const result = await runMar(['merge', db('merged'), db('shard0'), corrupt]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mar: .*corrupt\.sqlite.* (is damaged|is not a usable marionette database)/);
    expect(readFileSync(db('merged')).equals(before)).toBe(true);
    const fresh = db('never-made');
    expect((await runMar(['merge', fresh, db('shard0'), corrupt])).code).toBe(2);
    expect(existsSync(fresh)).toBe(false);

    const foreign = db('foreign');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (1)');
    other.close();
    const foreignBytes = readFileSync(foreign);
    const intoForeign = await runMar(['merge', foreign, db('shard0')]);
    expect(intoForeign).toMatchObject({ code: 2, stdout: '' });
    expect(intoForeign.stderr).toMatch(/^mar: .*foreign\.sqlite is not a marionette database/);
    expect(readFileSync(foreign).equals(foreignBytes)).toBe(true);
    const fromForeign = await runMar(['merge', db('merged'), foreign]);
    expect(fromForeign.code).toBe(2);
    expect(readFileSync(db('merged')).equals(before)).toBe(true);

    const itself = await runMar(['merge', db('merged'), db('shard0'), db('merged')]);
    expect(itself).toMatchObject({ code: 2, stderr: `mar: merge: cannot merge ${db('merged')} into itself\n` });
    expect(readFileSync(db('merged')).equals(before)).toBe(true);
  }, 60_000);

  it('resume one shard interrupted by SIGINT to the same result, and refuse to resume it as another shard', async () => {
    const file = db('interrupted');
    const child = spawn(process.execPath, [BIN, 'fuzz', 'test/fixtures/campaign-cases.ts#slowTenth', '--seeds', '6000', '--shard', '1/4', '--workers', '1', '--profile', 'none', '--no-minimize', '--db', file], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    for (let i = 0; i < 400; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!existsSync(file)) continue;
      try {
        const store = FailureStore.open(file, { readonly: true });
        const done = store.listCampaigns()[0]?.seedsDone ?? 0;
        store.close();
        if (done >= 100) break;
      } catch {
        // not created yet
      }
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/campaign 1 \(shard 1\/4\) interrupted: \d+\/1,500 seeds/);

    // Merged while interrupted, then merged again once resumed: the copy catches up, nothing twice.
    const early = db('interrupted-merged');
    expect((await runMar(['merge', early, file])).code).toBe(0);
    const wrong = await runMar(['fuzz', '--resume', '1', '--shard', '2/4', '--db', file]);
    expect(wrong).toMatchObject({ code: 2, stderr: 'mar: --shard 2/4: campaign 1 is shard 1/4\n' });
    const resumed = await runMar(['fuzz', '--resume', '1', '--shard', '1/4', '--no-minimize', '--db', file, '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'done', seedsDone: 1500, shard: { index: 1, count: 4 } });
    const caughtUp = JSON.parse((await runMar(['merge', early, file, '--json'])).stdout);
    expect(caughtUp.inputs[0]).toMatchObject({ campaigns: 1, alreadyMerged: 0 });
    expect(contents(early)).toEqual(contents(file));
    expect((await runMar(['merge', early, file, '--json'])).stdout).toContain('"alreadyMerged":1');
    expect((await runMar(['replay', '--all', '--db', early])).code).toBe(0);

    const whole = db('interrupted-whole');
    await runMar(['fuzz', 'test/fixtures/campaign-cases.ts#slowTenth', '--seeds', '6000', '--shard', '1/4', '--workers', '2', '--profile', 'none', '--no-minimize', '--db', whole]);
    expect(contents(file).seeds).toEqual(contents(whole).seeds);
  }, 120_000);

  it('never run a seed twice across the shards of a --duration campaign', async () => {
    const runs = await Promise.all(
      [0, 1, 2].map((i) => runMar(['fuzz', 'idempotency-bug', '--duration', '1500ms', '--shard', `${i}/3`, '--workers', '1', '--no-minimize', '--db', db(`timed${i}`), '--json'])),
    );
    const seen = new Set<string>();
    for (const [i, run] of runs.entries()) {
      const summary = JSON.parse(run.stdout);
      expect(summary.seedsDone).toBeGreaterThan(100);
      const store = FailureStore.open(db(`timed${i}`), { readonly: true });
      const campaign = store.listCampaigns()[0]!;
      store.close();
      // Shard i runs the seeds i, i + 3, i + 6, ...: its failing seeds show it, and no two shards share one.
      expect({ startSeed: campaign.startSeed, seedStride: campaign.seedStride, shard: [campaign.shardIndex, campaign.shardCount] }).toEqual({
        startSeed: String(i),
        seedStride: 3,
        shard: [i, 3],
      });
      for (const row of contents(db(`timed${i}`)).seeds) {
        const seed = row.split(' ')[0]!;
        expect(BigInt(seed) % 3n).toBe(BigInt(i));
        expect(seen.has(seed)).toBe(false);
        seen.add(seed);
      }
    }
  }, 60_000);

  it('merge every table: coverage, guided corpora and mutated failures that replay from their tape by the merged id', async () => {
    for (const i of [0, 1]) {
      const run = await runMar(['fuzz', 'deep-state-bug', '--seeds', '1200', '--shard', `${i}/2`, '--guided', '--workers', '1', '--db', db(`guided${i}`)]);
      expect(run.code).toBe(1);
    }
    const merged = await runMar(['merge', db('guided'), db('guided0'), db('guided1'), '--json']);
    const summary = JSON.parse(merged.stdout);
    const read = (file: string) => {
      const store = FailureStore.open(file, { readonly: true });
      try {
        return store.listCampaigns().map((c) => ({
          uuid: c.uuid,
          guided: c.guided,
          mutationRuns: c.mutationRuns,
          corpus: store.corpusBefore(c.id, Number.MAX_SAFE_INTEGER),
          coverage: store.listCoverage({ campaignId: c.id }).map(({ name, kind, declared, runs, firstSeed }) => ({ name, kind, declared, runs, firstSeed })),
          mutatedWithTape: store.listFailures({ campaignId: c.id }).filter((f) => f.foundBy !== null).map((f) => f.id),
        }));
      } finally {
        store.close();
      }
    };
    const [shard0, shard1] = [read(db('guided0'))[0]!, read(db('guided1'))[0]!];
    const all = read(db('guided'));
    expect(all.map(({ mutatedWithTape: _ids, ...rest }) => rest)).toEqual([shard0, shard1].map(({ mutatedWithTape: _ids, ...rest }) => rest));
    expect(summary.inputs.map((i: { corpusEntries: number }) => i.corpusEntries)).toEqual([shard0.corpus.length, shard1.corpus.length]);
    expect(shard1.corpus.length).toBeGreaterThan(0);
    const id = all[1]!.mutatedWithTape[0]!;
    expect((await runMar(['replay', String(id), '--db', db('guided')])).stdout).toMatch(new RegExp(`^reproduced: failure #${id} of deep-state-bug`));
  }, 60_000);

  it('keep the same smallest reproduction whatever the order of the inputs, ties included', async () => {
    await runMar(['fuzz', 'idempotency-bug', '--seeds', '3000', '--workers', '1', '--db', db('minimized0')]);
    // Its twin under another UUID: the same bug, reproductions exactly as small.
    copyFileSync(db('minimized0'), db('minimized1'));
    const twin = new Database(db('minimized1'));
    twin.prepare('UPDATE campaigns SET uuid = ?').run('0'.repeat(32));
    twin.close();
    await runMar(['merge', db('tie-ab'), db('minimized0'), db('minimized1')]);
    await runMar(['merge', db('tie-ba'), db('minimized1'), db('minimized0')]);
    const [ab, ba] = [contents(db('tie-ab')), contents(db('tie-ba'))];
    expect(ab.bugs[0]!.events).not.toBeNull();
    expect(ab.bugs[0]!.smallest).toMatch(/^0{32} /); // the tie goes to the smaller UUID
    expect(ba).toEqual(ab);
  }, 60_000);

  it('merge into a database a campaign is writing, waiting for it rather than failing', async () => {
    const live = db('live');
    const child = spawn(process.execPath, [BIN, 'fuzz', 'idempotency-bug', '--seeds', '400000', '--workers', '1', '--no-minimize', '--db', live], { cwd: REPO_ROOT, stdio: 'ignore' });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < 200 && !existsSync(live); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const merges = [];
    for (const shard of [0, 1, 2]) merges.push(await runMar(['merge', live, db(`shard${shard}`)]));
    child.kill('SIGINT');
    await exited;
    expect(merges.map((m) => [m.code, m.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    expect(contents(live).campaigns).toHaveLength(4);
  }, 60_000);

  it('migrate an older OUT inside the merge, and keep its journal mode', async () => {
    const old = db('old-out');
    copyFileSync(db('shard2'), old);
    const handle = new Database(old);
    handle.pragma('journal_mode = DELETE');
    // Back to schema v3 as an older marionette-sim left it: no UUIDs, strides or shards.
    handle.exec('DROP INDEX campaigns_by_uuid; ALTER TABLE campaigns DROP COLUMN uuid; ALTER TABLE campaigns DROP COLUMN seed_stride; ALTER TABLE campaigns DROP COLUMN shard_index; ALTER TABLE campaigns DROP COLUMN shard_count; PRAGMA user_version = 3');
    handle.close();
    const merged = await runMar(['merge', old, db('shard3')]);
    expect(merged.code, merged.stderr).toBe(0);
    const check = new Database(old, { readonly: true });
    expect([check.pragma('user_version', { simple: true }), check.pragma('journal_mode', { simple: true })]).toEqual([4, 'delete']);
    check.close();
    expect(contents(old).campaigns).toHaveLength(2);
  }, 60_000);

  it('refuse bad shards with one line and exit 2, writing nothing', async () => {
    for (const shard of ['4/4', '1/0', 'abc', '1/4x', '1/4/2']) {
      const file = db(`bad-${shard.replace(/\W/g, '_')}`);
      const result = await runMar(['fuzz', 'idempotency-bug', '--seeds', '10', '--shard', shard, '--db', file]);
      expect(result).toMatchObject({ code: 2, stdout: '', stderr: `mar: --shard must be I/N with 0 <= I < N (e.g. 0/4), got ${JSON.stringify(shard)}\n` });
      expect(existsSync(file)).toBe(false);
    }
  });
});
