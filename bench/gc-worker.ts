/**
 * A worker thread for the GC figure: warms up, then profiles the worker's own range task on the
 * seeds it is given (node:inspector in this thread) and posts the share of samples in the
 * garbage collector.
 */
import { Session } from 'node:inspector/promises';
import { parentPort, workerData } from 'node:worker_threads';
import runWorkerTask from '../workers/seed-range-worker.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string };
}

const { caseRef, cwd, profile, seeds } = workerData as { caseRef: string; cwd: string; profile: string; seeds: number };
const task = { kind: 'range' as const, caseRef, cwd, profile, auditEvery: 64, keepTraces: 5, progress: new SharedArrayBuffer(4), firstOffset: 0 };
// Warm-up long enough for the young generation to reach the size a long campaign settles at.
for (let round = 0; round < 3; round++) await runWorkerTask({ ...task, firstSeed: String(1_000_000_000 + round * seeds), count: seeds });
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
await runWorkerTask({ ...task, firstSeed: '0', count: seeds });
const { profile: cpu } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[] } };
session.disconnect();
const gc = new Set(cpu.nodes.filter((n) => n.callFrame.functionName === '(garbage collector)').map((n) => n.id));
parentPort!.postMessage(cpu.samples.filter((id) => gc.has(id)).length / cpu.samples.length);
