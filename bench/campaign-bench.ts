/** Search figures: campaign throughput against the in-process loop, coordinator memory, minimization. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveProfile } from '../src/index.js';
import { findBuiltinCase } from '../src/examples/registry.js';
import { runOnce } from '../src/harness/run-once.js';
import { runCampaign } from '../src/search/campaign/run-campaign.js';
import { minimizeFailure } from '../src/search/minimize/minimize-failure.js';
import runWorkerTask from '../workers/seed-range-worker.js';
import { formatRate, workerResult } from './measure.js';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-bench-'));
let dbCount = 0;
const freshDb = () => path.join(dir, `bench-${++dbCount}.sqlite`);

/** The worker's own range task, run in this thread: the same work as a campaign without threads or store. */
async function inProcessSeedsPerSecond(caseRef: string, seeds: number): Promise<number> {
  const progress = new SharedArrayBuffer(4);
  const batch = 2000;
  const start = performance.now();
  for (let first = 0; first < seeds; first += batch) {
    await runWorkerTask({
      kind: 'range',
      caseRef,
      cwd: process.cwd(),
      profile: 'swarm',
      firstSeed: String(first),
      firstOffset: first,
      count: Math.min(batch, seeds - first),
      auditEvery: 64,
      keepTraces: 5,
      progress,
    });
  }
  return (seeds / (performance.now() - start)) * 1000;
}

/** The same work split over `threads` bare worker threads (no pool, no coordinator): the scaling ceiling of this machine. */
async function rawThreadsSeedsPerSecond(caseRef: string, seeds: number, threads: number): Promise<number> {
  const share = Math.ceil(seeds / threads);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: threads }, (_, i) => workerResult('./raw-threads.js', { workerData: { caseRef, cwd: process.cwd(), firstSeed: i * share, count: share } })),
  );
  return ((share * threads) / (performance.now() - start)) * 1000;
}

async function campaignSeedsPerSecond(caseRef: string, seeds: number, workers: number): Promise<number> {
  const summary = await runCampaign({ caseRef, seeds, workers, profile: 'swarm', dbPath: freshDb(), minimize: false });
  return summary.seedsPerSecond;
}

export async function campaignBench(roundMs: number): Promise<string[]> {
  const lines = ['## search: campaigns (whole campaign wall time, pool start-up included)'];
  const scale = roundMs / 700;
  for (const [name, seeds] of [
    ['replicated-register-swarm', Math.round(40_000 * scale)],
    ['idempotency-bug', Math.round(600_000 * scale)],
  ] as const) {
    const inProcess = await inProcessSeedsPerSecond(name, Math.round(seeds / 2));
    const one = await campaignSeedsPerSecond(name, seeds, 1);
    const two = await campaignSeedsPerSecond(name, seeds, 2);
    const rawOne = await rawThreadsSeedsPerSecond(name, Math.round(seeds / 2), 1);
    const rawTwo = await rawThreadsSeedsPerSecond(name, seeds, 2);
    lines.push(
      `${name} under swarm, ${seeds.toLocaleString('en-US')} seeds: in-process loop ${formatRate(inProcess)}, 1 worker ${formatRate(one)} ` +
        `(${(one / inProcess).toFixed(2)}x the loop, target >= 0.9x), 2 workers ${formatRate(two)} (${(two / one).toFixed(2)}x one worker, target >= 1.8x); ` +
        `ceiling on this machine: bare worker threads 1 -> 2 give ${(rawTwo / rawOne).toFixed(2)}x`,
    );
  }

  const seeds = Math.round(1_000_000 * Math.min(1, scale));
  const db = freshDb();
  const samples: Array<{ done: number; heapMiB: number; rssMiB: number }> = [];
  const summary = await runCampaign({
    caseRef: 'idempotency-bug',
    seeds,
    workers: 2,
    profile: 'swarm',
    dbPath: db,
    minimize: false,
    onProgress: (p) => {
      const memory = process.memoryUsage();
      samples.push({ done: p.seedsDone, heapMiB: memory.heapUsed / 2 ** 20, rssMiB: memory.rss / 2 ** 20 });
    },
  });
  const at = (fraction: number) => samples.find((s) => s.done >= fraction * seeds) ?? samples.at(-1)!;
  const peakHeap = Math.max(...samples.map((s) => s.heapMiB));
  const dbBytes = statSync(db).size;
  lines.push(
    `coordinator memory over a ${seeds.toLocaleString('en-US')}-seed campaign (idempotency-bug, swarm, 2 workers, ${formatRate(summary.seedsPerSecond)}): ` +
      `main-thread heap ${[0.1, 0.5, 1].map((f) => `${at(f).heapMiB.toFixed(1)} MiB at ${Math.round(f * 100)}%`).join(', ')}, peak ${peakHeap.toFixed(1)} MiB; ` +
      `process RSS (workers included) ${at(0.1).rssMiB.toFixed(0)} -> ${at(1).rssMiB.toFixed(0)} MiB`,
    `failure database: ${summary.failures.toLocaleString('en-US')} failing seeds in ${(dbBytes / 2 ** 20).toFixed(1)} MiB = ${(dbBytes / Math.max(1, summary.failures)).toFixed(1)} bytes per failing seed (traces kept for the first 5 of the signature)`,
  );

  lines.push('## search: minimization (first failing seed under swarm; budget 2000 runs / 10 s)');
  for (const name of ['retry-queue-swarm-bug', 'kv-store-swarm-bug', 'replicated-register-swarm-bug', 'durable-broadcast-swarm-bug', 'idempotency-bug']) {
    const c = findBuiltinCase(name)!;
    let seed = 0n;
    while ((await runOnce(c, { seed, profile: resolveProfile('swarm', seed), captureStacks: false })).failure === undefined) seed++;
    const start = performance.now();
    const result = await minimizeFailure(c, seed, resolveProfile('swarm', seed));
    const reduction = 100 * (1 - result.eventCount / result.originalEventCount);
    lines.push(
      `${name} seed ${seed}: events ${result.originalEventCount} -> ${result.eventCount} (-${reduction.toFixed(0)}%), ` +
        `choices ${result.originalChoices} -> ${result.artifact.choices.length}, ${result.runs} runs in ${Math.round(performance.now() - start)} ms` +
        `${result.budgetExhausted ? ' (budget exhausted)' : ''}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return lines;
}
