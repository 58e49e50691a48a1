/**
 * `mar report` figures (SPEC 13): a campaign of 1,000,000 failing seeds in 50 bugs (made through
 * the store as campaigns make them, the first five of each bug with a real trace and a minimized
 * one), reported by the CLI as a user runs it: time and file size.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBuiltinCase } from '../src/examples/registry.js';
import { runCase } from '../src/harness/run-case.js';
import { expandSwarmProfile } from '../src/faults/profiles/resolve-profile.js';
import { buildIdentity } from '../src/search/store/build-identity.js';
import { FailureStore, type NewFailure } from '../src/search/store/failure-store.js';

const FAILURES = 1_000_000;
const BUGS = 50;
const BATCH = 20_000;

export async function reportBench(): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'marionette-report-bench-'));
  try {
    const db = path.join(dir, 'big.sqlite');
    const trace = (await runCase(findBuiltinCase('replicated-register-bug')!, { seed: 12648430 })).trace;
    const store = FailureStore.open(db);
    const campaign = store.createCampaign({
      kind: 'fuzz', caseRef: 'replicated-register-bug', caseName: 'replicated-register-bug', profile: 'swarm', startSeed: '0', plannedSeeds: FAILURES * 4,
      durationMs: null, workers: 2, seedTimeoutMs: 30_000, auditEvery: 64, keepTraces: 5, build: buildIdentity(),
    });
    for (let first = 0; first < FAILURES; first += BATCH) {
      const failures: NewFailure[] = [];
      for (let i = first; i < first + BATCH; i++) {
        const bug = i % BUGS;
        failures.push({
          seed: String(i * 4), seedOffset: i * 4, profile: i < BUGS * 5 ? JSON.stringify(expandSwarmProfile(BigInt(i * 4))) : '{}', kind: 'check_failed', signature: `check_failed|invariant ${bug}|InvariantViolation`,
          phase: 'check', checkName: `invariant ${bug}`, errorName: 'InvariantViolation', errorMessage: 'replicas disagree', trace: i < BUGS * 5 ? trace : null,
          traceHash: 'ab'.repeat(32), eventCount: 1000,
        });
      }
      store.recordBatch(campaign.id, { range: { firstOffset: first * 4, count: BATCH * 4 }, failures });
    }
    for (const bug of store.listBugs()) store.recordMinimized(bug.firstFailureId!, '{"seed":"0","profile":{},"choices":[]}', trace, 'cd'.repeat(32), 900);
    store.setStatus(campaign.id, 'done');
    store.close();
    const out = path.join(dir, 'report.html');
    const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
    const started = performance.now();
    execFileSync(process.execPath, [bin, 'report', '--db', db, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    const ms = performance.now() - started;
    return [
      '## report: mar report (a campaign of 1,000,000 failing seeds in 50 bugs, the CLI as a user runs it)',
      `report: ${(ms / 1000).toFixed(2)} s (target < 5 s), ${(statSync(out).size / 2 ** 20).toFixed(2)} MB (target <= 5 MB)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
