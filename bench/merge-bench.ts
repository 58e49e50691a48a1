/**
 * `mar merge` figures (SPEC 12): 8 shard databases holding 1,000,000 failing seeds in all, made
 * through the store as campaigns make them (batches of failures, the first few of each bug with
 * a trace), merged into a fresh file: time, and the merged size against the inputs' sum.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIdentity } from '../src/search/store/build-identity.js';
import { FailureStore, type NewFailure } from '../src/search/store/failure-store.js';

const SHARDS = 8;
const FAILURES = 1_000_000;
const BATCH = 10_000;
/** Signatures the synthetic bugs are spread over. */
const SIGNATURES = ['check_failed|balance|InvariantViolation', 'scenario_error|-|RangeError', 'stalled|-|Stalled'];
const TRACE = `marionette.trace format=text version=0\n${'event=0 world.init seed=1 start_ns=0 tick_ns=1000000\n'.repeat(40)}`;

function makeShard(file: string, index: number): void {
  const store = FailureStore.open(file);
  try {
    const perShard = FAILURES / SHARDS;
    const campaign = store.createCampaign({
      kind: 'fuzz', caseRef: 'idempotency-bug', caseName: 'idempotency-bug', profile: 'swarm', startSeed: String(index), plannedSeeds: perShard * 8,
      durationMs: null, workers: 2, seedTimeoutMs: 30_000, auditEvery: 64, keepTraces: 5, build: buildIdentity(), shard: { index, count: SHARDS },
    });
    for (let first = 0; first < perShard; first += BATCH) {
      const failures: NewFailure[] = [];
      for (let i = first; i < first + BATCH; i++) {
        const signature = SIGNATURES[i % SIGNATURES.length]!;
        const [kind, check, errorName] = signature.split('|') as [string, string, string];
        failures.push({
          seed: String(index + SHARDS * i * 8), seedOffset: i * 8, profile: '{"origin":"swarm"}', kind, signature, phase: 'check',
          checkName: check === '-' ? null : check, errorName, errorMessage: 'synthetic', trace: i < 30 ? TRACE : null, traceHash: 'ab'.repeat(32), eventCount: 40,
        });
      }
      store.recordBatch(campaign.id, { range: { firstOffset: first * 8, count: BATCH * 8 }, failures, dispatchedEnd: (first + BATCH) * 8 });
    }
    store.setStatus(campaign.id, 'done');
  } finally {
    store.close();
  }
}

export async function mergeBench(): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'marionette-merge-bench-'));
  try {
    const inputs = Array.from({ length: SHARDS }, (_, i) => path.join(dir, `shard-${i}.sqlite`));
    inputs.forEach((file, i) => makeShard(file, i));
    const inputBytes = inputs.reduce((sum, file) => sum + statSync(file).size, 0);
    const out = path.join(dir, 'merged.sqlite');
    const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
    const started = performance.now();
    execFileSync(process.execPath, [bin, 'merge', out, ...inputs], { stdio: 'ignore' });
    const ms = performance.now() - started;
    const outBytes = statSync(out).size + (statSync(`${out}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    return [
      '## store: mar merge (8 shard databases, 1,000,000 failing seeds in all, the CLI as a user runs it)',
      `merge: ${(ms / 1000).toFixed(2)} s (target < 10 s); merged file ${mb(outBytes)} against ${mb(inputBytes)} of inputs = ${(outBytes / inputBytes).toFixed(2)}x (target <= 1x)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
