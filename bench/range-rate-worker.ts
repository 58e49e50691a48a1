/**
 * A worker thread for the fuzz-path figures: the worker's own range task on one case, in a heap of
 * its own (as a campaign worker runs one case), after a warm-up; posts the seeds per second of
 * each of `rounds` rounds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import runWorkerTask from '../workers/seed-range-worker.js';

const { caseRef, cwd, seeds, rounds } = workerData as { caseRef: string; cwd: string; seeds: number; rounds: number };
const task = { kind: 'range' as const, caseRef, cwd, profile: 'swarm', auditEvery: 64, keepTraces: 5, progress: new SharedArrayBuffer(4), firstOffset: 0 };
await runWorkerTask({ ...task, firstSeed: '1000000000', count: Math.min(2000, seeds) });
const rates: number[] = [];
for (let round = 0; round < rounds; round++) {
  const start = performance.now();
  await runWorkerTask({ ...task, firstSeed: String(round * seeds), count: seeds });
  rates.push((seeds / (performance.now() - start)) * 1000);
}
parentPort!.postMessage(rates);
