/**
 * A worker thread for the bench's scaling ceiling: runs the worker's own range task on the
 * seeds it is given, with no pool and no coordinator, and posts how long that took.
 */
import { parentPort, workerData } from 'node:worker_threads';
import runWorkerTask from '../workers/seed-range-worker.js';

const { caseRef, cwd, firstSeed, count } = workerData as { caseRef: string; cwd: string; firstSeed: number; count: number };
const progress = new SharedArrayBuffer(4);
const start = performance.now();
for (let first = firstSeed; first < firstSeed + count; first += 2000) {
  await runWorkerTask({
    kind: 'range',
    caseRef,
    cwd,
    profile: 'swarm',
    firstSeed: String(first),
    firstOffset: first - firstSeed,
    count: Math.min(2000, firstSeed + count - first),
    auditEvery: 64,
    keepTraces: 5,
    progress,
  });
}
parentPort!.postMessage(performance.now() - start);
