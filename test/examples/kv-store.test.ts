import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { kvStoreScriptedCase } from '../../src/examples/kv-store.js';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { expectFoundBySwarm, failureRate } from './probabilistic.js';

const kvStore = findBuiltinCase('kv-store')!;
const kvStoreBug = findBuiltinCase('kv-store-bug')!;

describe('kv-store', () => {
  it('recovers exactly the synced record on every seed', async () => {
    await mar.expectFuzz(kvStore, { seeds: 200 });
    const report = await mar.expectPass(kvStore, { seed: 12648430 });
    expect(report.trace).toContain('disk.crash_write op=2 path=kv.wal offset=16 len=16 result=lost\n');
    expect(report.trace).toContain('disk.fault path=kv.wal offset=16 kind=scripted_corruption\n');
    expect(report.trace).toContain('kv.recover.record offset=0 key=1 value=100 mode=checksum\n');
    expect(report.trace).toMatch(/kv.recover.reject offset=16 reason=bad_magic\n/);
  });

  it('the correct store also survives the torn write that defeats the buggy one', async () => {
    const torn = kvStoreScriptedCase('kv-store-torn', { acceptMagicOnly: false, crash: 'torn', corruptSecondSector: false });
    await mar.expectFuzz(torn, { seeds: 200 });
  });
});

describe('kv-store-bug', () => {
  it('recovers the torn unsynced record and "unsynced record not recovered" catches it on every seed', async () => {
    for (const seed of [0, 1, 2, 12648430]) {
      const report = await mar.expectFailure(kvStoreBug, { seed, check: 'unsynced record not recovered' });
      expect(report.trace).toMatch(/disk.crash_write op=2 path=kv.wal offset=16 len=16 result=torn landed_bytes=(4|8|12)\n/);
      expect(report.trace).toMatch(/kv.recover.record offset=16 key=\d+ value=\d+ mode=buggy_accept_magic_only\n/);
      expect(report.trace).toContain('kv.invariant_violation reason=unsynced_record_recovered\n');
    }
  });
});

describe('kv-store-swarm / kv-store-swarm-bug', () => {
  it('the correct store passes under none, smoke and swarm', async () => {
    const c = findBuiltinCase('kv-store-swarm')!;
    for (const profile of ['none', 'smoke', 'swarm'] as const) expect((await failureRate(c, profile, 300)).failures).toBe(0);
  });

  it('the buggy store never fails under none and swarm finds it', async () => {
    await expectFoundBySwarm(findBuiltinCase('kv-store-swarm-bug')!, 300, 2000, [
      'check_failed|recovered records were written whole|InvariantViolation',
      'check_failed|synced records recovered exactly once|InvariantViolation',
    ]);
  });
});
