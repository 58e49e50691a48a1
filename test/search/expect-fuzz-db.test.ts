import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as mar from 'marionette-sim';
import { afterAll, describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { runMar } from '../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-expect-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('expectFuzz with a db', () => {
  it('records the failure it throws on, so mar failures and mar replay see it', async () => {
    const db = path.join(dir, 'tests.sqlite');
    const error = (await mar.expectFuzz(findBuiltinCase('idempotency-bug')!, { seeds: 100, db }).catch((e: unknown) => e)) as mar.ExpectationFailed;
    expect(error).toBeInstanceOf(mar.ExpectationFailed);
    expect(error.message).toMatch(/stored as failure #1 in .*: mar replay 1 --db /);
    const store = FailureStore.open(db, { readonly: true });
    expect(store.listCampaigns()[0]).toMatchObject({ kind: 'test', status: 'done', caseRef: 'idempotency-bug' });
    expect(store.getFailure(1)).toMatchObject({ seed: error.report.seedText, signature: error.report.signature, trace: error.report.trace });
    store.close();
    const replay = await runMar(['replay', '1', '--db', db]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^reproduced: failure #1 of idempotency-bug/);
  });

  it('with guided: true finds deep-state-bug in 100 runs, from a mutated tape it stores and replays; 100 plain seeds do not get there', async () => {
    const c = findBuiltinCase('deep-state-bug')!;
    const plain = (await mar.expectFuzz(c, { seeds: 100, profile: 'swarm' }).catch((e: unknown) => e)) as Error;
    expect(plain.message).toMatch(/^expectFuzz: deep-state-bug never hit the declared sometimes "late timeout" in 100 seeds from 0 under swarm/);

    const db = path.join(dir, 'guided.sqlite');
    const error = (await mar.expectFuzz(c, { seeds: 100, profile: 'swarm', guided: true, db }).catch((e: unknown) => e)) as mar.ExpectationFailed;
    expect(error).toBeInstanceOf(mar.ExpectationFailed);
    // Offset 3 is the pinned first find of guided search from seed 0 (test/harness/guided/run-lane.test.ts).
    expect(error.message.split('\n')[0]).toBe(
      'expectFuzz: deep-state-bug failed on seed 3 (run 4 of 100 from 0, by guided search from a mutated tape: ' +
        'the seed alone does not reproduce it, so store it with db to replay it)',
    );
    expect(error.report.signature).toBe('check_failed|connection closed at most once|InvariantViolation');
    const store = FailureStore.open(db, { readonly: true });
    expect(store.listCampaigns()[0]).toMatchObject({ kind: 'test', guided: 1 });
    expect(store.getFailure(1)).toMatchObject({ mutated: true, traceHash: error.report.traceHash });
    expect(JSON.parse(store.getFailure(1)!.foundBy!).seed).toBe('3');
    store.close();
    const replay = await runMar(['replay', '1', '--db', db]);
    expect(replay.stdout).toMatch(/^reproduced: failure #1 of deep-state-bug seed 3 fails with check_failed/);
    // The seed alone (no tape) passes: the failure is the tape's.
    expect((await runMar(['run', 'deep-state-bug', '--seed', '3', '--profile', 'swarm', '--summary'])).code).toBe(0);
  });
});
