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
});
