/**
 * Issue 12's GC figure: the share of a campaign worker's CPU time spent collecting garbage, from a
 * CPU profile of the worker's own range task, run in a worker thread with the pool's resource
 * limits (a campaign worker's heap, not the bench's main thread).
 */
import { DEFAULT_WORKER_MEMORY_MB } from '../src/search/campaign/run-campaign.js';
import { workerResult } from './measure.js';

function gcShare(caseRef: string, profile: string, seeds: number): Promise<number> {
  return workerResult('./gc-worker.js', {
    workerData: { caseRef, cwd: process.cwd(), profile, seeds },
    resourceLimits: { maxOldGenerationSizeMb: DEFAULT_WORKER_MEMORY_MB },
  });
}

export async function gcBench(roundMs: number): Promise<string[]> {
  const scale = roundMs / 700;
  const shares: string[] = [];
  for (const [caseRef, profile, seeds] of [
    ['replicated-register-swarm', 'swarm', Math.round(4000 * scale)],
    ['kv-store-swarm', 'swarm', Math.round(30_000 * scale)],
    ['retry-queue', 'none', Math.round(150_000 * scale)],
  ] as const) {
    shares.push(`${caseRef} (${profile}) ${(100 * (await gcShare(caseRef, profile, seeds))).toFixed(1)}%`);
  }
  return [
    "## search: garbage collection on the fuzz path (CPU profile of the worker's range task in a worker thread with the pool's limits)",
    `GC share of the samples: ${shares.join(', ')} (target under 5%)`,
  ];
}
