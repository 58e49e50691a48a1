import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as mar from 'marionette-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { KvStore } from '../../../src/examples/kv-store.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'marionette-disk-'));
  roots.push(root);
  return root;
}

/** The same store code, driven the same way, on whichever env it is given. */
async function kvRoundTrip(env: mar.Env) {
  const store = new KvStore(env, { acceptMagicOnly: false });
  await store.append(1, 100);
  await store.append(2, 200);
  await store.sync();
  return new KvStore(env, { acceptMagicOnly: false }).recover();
}

describe('production disk', () => {
  it('runs the kv-store unchanged, with the same results as the simulated disk', async () => {
    const root = tempRoot();
    const production = mar.createProductionEnv({ disk: { root, sectorSize: 16 } });
    const simulated = new mar.World({ seed: 1 }).simulate({ disk: { sectorSize: 16 } }).env;
    const expected = [
      { key: 1, value: 100 },
      { key: 2, value: 200 },
    ];
    expect(await kvRoundTrip(simulated)).toEqual(expected);
    expect(await kvRoundTrip(production)).toEqual(expected);
    expect(readFileSync(path.join(root, 'kv.wal')).length).toBe(32);
    await (production.disk as mar.ProductionDisk).close();
  });

  it('reads unwritten ranges as zeros, creates nested paths and checks requests like the simulation', async () => {
    const disk = mar.createProductionDisk({ root: tempRoot(), sectorSize: 8 });
    try {
      await disk.write({ path: 'a/b/c', offset: 16, bytes: new Uint8Array(8).fill(3) });
      expect(await disk.read({ path: 'a/b/c', offset: 0, length: 32 })).toEqual(Uint8Array.from([...new Array(16).fill(0), ...new Array(8).fill(3), ...new Array(8).fill(0)]));
      await disk.sync({ path: 'a/b/c' });
      await expect(disk.write({ path: 'a', offset: 3, bytes: new Uint8Array(8) })).rejects.toThrow(
        /offset must be a non-negative multiple of sectorSize 8, got 3/,
      );
      await expect(disk.read({ path: '../x', offset: 0, length: 8 })).rejects.toThrow(/relative logical path/);
    } finally {
      await disk.close();
    }
  });

  it('is absent from a production env unless configured', () => {
    expect(() => mar.createProductionEnv().disk).toThrow(/no disk; pass \{ disk: \{ root \} \}/);
  });
});
