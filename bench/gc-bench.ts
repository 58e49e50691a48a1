/**
 * Issue 12's GC figure: the share of a campaign worker's CPU time spent collecting garbage, from a
 * CPU profile (node:inspector) of the worker's own range task run in this thread.
 */
import { Session } from 'node:inspector/promises';
import runWorkerTask from '../workers/seed-range-worker.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string };
}

/** GC share of the samples of a profile of `seeds` seeds of a case under swarm (after a warm-up). */
async function gcShare(session: Session, caseRef: string, seeds: number): Promise<number> {
  const progress = new SharedArrayBuffer(4);
  const task = { kind: 'range' as const, caseRef, cwd: process.cwd(), profile: 'swarm', auditEvery: 64, keepTraces: 5, progress };
  await runWorkerTask({ ...task, firstSeed: '1000000000', firstOffset: 0, count: Math.min(2000, seeds) });
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await runWorkerTask({ ...task, firstSeed: '0', firstOffset: 0, count: seeds });
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[] } };
  await session.post('Profiler.disable');
  const gc = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(garbage collector)').map((n) => n.id));
  return profile.samples.filter((id) => gc.has(id)).length / profile.samples.length;
}

export async function gcBench(roundMs: number): Promise<string[]> {
  const session = new Session();
  session.connect();
  try {
    const scale = roundMs / 700;
    const shares: string[] = [];
    for (const [caseRef, seeds] of [
      ['replicated-register-swarm', Math.round(3000 * scale)],
      ['kv-store-swarm', Math.round(20_000 * scale)],
      ['retry-queue', Math.round(100_000 * scale)],
    ] as const) {
      shares.push(`${caseRef} ${(100 * (await gcShare(session, caseRef, seeds))).toFixed(1)}%`);
    }
    return ['## search: garbage collection on the fuzz path (CPU profile of the worker\'s range task, swarm)', `GC share of the samples: ${shares.join(', ')} (target under 5%)`];
  } finally {
    session.disconnect();
  }
}
