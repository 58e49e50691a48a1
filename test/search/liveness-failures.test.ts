import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/search/campaign/run-campaign.js';
import { replayFailure } from '../../src/search/replay/replay.js';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { REPO_ROOT } from '../cli/run-mar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-liveness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('liveness failures in campaigns', () => {
  it('are stored, minimized and replayed like every other kind', async () => {
    const db = path.join(dir, 'liveness.sqlite');
    const summary = await runCampaign({
      caseRef: 'test/fixtures/campaign-cases.ts#unheard',
      seeds: 400,
      workers: 1,
      profile: 'swarm',
      dbPath: db,
      cwd: REPO_ROOT,
    });
    expect(summary.status).toBe('done');
    expect(summary.bugs.map((bug) => bug.signature)).toEqual(['liveness_failed|hello heard|Unheard']);
    const store = FailureStore.open(db, { readonly: true });
    try {
      const [bug] = store.listBugs();
      expect(bug!.failures).toBeGreaterThan(0);
      const smallest = store.getFailure(bug!.smallestFailureId!)!;
      expect(smallest.kind).toBe('liveness_failed');
      expect(smallest.minimized).not.toBeNull();
      expect(smallest.minimizedTrace).toContain('liveness.fail name=hello%20heard error=Unheard');
      // The minimized profile keeps the loss the bug needs and drops every other fault class.
      const artifact = JSON.parse(smallest.minimized!) as { profile: { network: { dropRate: string; pathClogRate: string }; disk: { readErrorRate: string } } };
      expect(artifact.profile.network.dropRate).not.toBe('0/1');
      expect(artifact.profile.network.pathClogRate).toBe('0/1');
      expect(artifact.profile.disk.readErrorRate).toBe('0/1');
      expect(await replayFailure(store, smallest.id, { cwd: REPO_ROOT })).toMatchObject({ status: 'reproduced', signature: 'liveness_failed|hello heard|Unheard' });
      expect(await replayFailure(store, smallest.id, { cwd: REPO_ROOT, minimized: true })).toMatchObject({ status: 'reproduced' });
    } finally {
      store.close();
    }
  });
});
