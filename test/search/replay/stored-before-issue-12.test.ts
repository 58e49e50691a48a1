import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayFailure } from '../../../src/search/replay/replay.js';
import { FailureStore } from '../../../src/search/store/failure-store.js';
import { REPO_ROOT } from '../../cli/run-mar.js';

/**
 * A database written by `mar fuzz` at commit 5d7e630, before the fuzz path kept events in a
 * structured log (issue 12): nine campaigns of bug examples under none and swarm, one guided, two
 * kept traces per bug, each bug minimized. Everything it stored must still replay.
 */
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/stored-before-issue-12.sqlite');

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-stored-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let copies = 0;

function openCopy(): FailureStore {
  const file = path.join(dir, `copy-${++copies}.sqlite`);
  copyFileSync(FIXTURE, file);
  return FailureStore.open(file);
}

describe('failures stored before the structured trace log', () => {
  it('every failure that kept its trace replays as reproduced, with the stored trace byte for byte', async () => {
    const store = openCopy();
    try {
      const kept = store.listFailures().map((f) => store.getFailure(f.id)!).filter((f) => f.trace !== null);
      expect(new Set(kept.map((f) => f.caseRef)).size).toBe(9);
      expect(kept.length).toBeGreaterThanOrEqual(20);
      for (const failure of kept) {
        const result = await replayFailure(store, failure.id, { cwd: REPO_ROOT });
        expect(result.status, `failure #${failure.id} of ${failure.caseRef}`).toBe('reproduced');
        expect(result.trace).toBe(failure.trace);
        expect(result.traceHash).toBe(failure.traceHash);
      }
    } finally {
      store.close();
    }
  });

  it("every bug's minimized reproduction replays as reproduced, with its stored trace", async () => {
    const store = openCopy();
    try {
      const bugs = store.listBugs();
      expect(bugs.length).toBe(11);
      for (const bug of bugs) {
        const failure = store.getFailure(bug.smallestFailureId!)!;
        expect(failure.minimizedTrace).not.toBeNull();
        const result = await replayFailure(store, failure.id, { minimized: true, cwd: REPO_ROOT });
        expect(result.status, bug.signature).toBe('reproduced');
        expect(result.trace).toBe(failure.minimizedTrace);
      }
    } finally {
      store.close();
    }
  });

  it('failures that kept no trace still fail with their signature', async () => {
    const store = openCopy();
    try {
      const counted = store.listFailures().map((f) => store.getFailure(f.id)!).filter((f) => f.trace === null && !f.mutated);
      // Three per case: every example, without replaying 1,400 seeds.
      const byCase = new Map<string, typeof counted>();
      for (const failure of counted) byCase.set(failure.caseRef, [...(byCase.get(failure.caseRef) ?? []), failure]);
      const sample = [...byCase.values()].flatMap((group) => group.slice(0, 3));
      expect(sample.length).toBe(24);
      for (const failure of sample) {
        const result = await replayFailure(store, failure.id, { cwd: REPO_ROOT });
        expect(result.status, `failure #${failure.id} of ${failure.caseRef}`).toBe('reproduced');
        expect(result.signature).toBe(failure.signature);
      }
    } finally {
      store.close();
    }
  });
});
