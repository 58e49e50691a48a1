/** Fault-model figures: swarm seeds per second, network core throughput, memory per world. */
import { resolveProfile, World } from '../src/index.js';
import { findBuiltinCase } from '../src/examples/registry.js';
import { runOnce } from '../src/harness/run-once.js';
import { formatRate, median } from './measure.js';

/** Fuzz-path seeds per second of a case under `swarm`, over `seeds` consecutive seeds. */
async function swarmSeedsPerSecond(name: string, seeds: number): Promise<number> {
  const c = findBuiltinCase(name)!;
  const start = performance.now();
  for (let i = 0; i < seeds; i++) {
    const seed = BigInt(i);
    await runOnce(c, { seed, profile: resolveProfile('swarm', seed), captureStacks: false });
  }
  return (seeds / (performance.now() - start)) * 1000;
}

/** Packets delivered per second through the simulated network core with `nodes` nodes (send and deliver both traced). */
async function packetsPerSecond(nodes: number, packets: number): Promise<number> {
  const world = new World({ seed: 1, maxEvents: 4 * packets + 100 });
  const sim = world.simulate({ network: { nodes, pathCapacity: 4096 } });
  const endpoints = Array.from({ length: nodes }, (_, node) => sim.endpoint<number>(node));
  const batch = 256;
  let delivered = 0;
  const start = performance.now();
  for (let sent = 0; sent < packets; sent += batch) {
    for (let i = 0; i < batch; i++) endpoints[world.untraced.intLessThan(nodes)]!.send(world.untraced.intLessThan(nodes), i);
    for (const endpoint of endpoints) while ((await endpoint.receive()) !== null) delivered++;
  }
  const elapsed = performance.now() - start;
  world.close();
  return (delivered / elapsed) * 1000;
}

/** Heap in use after a full collection, in MiB (needs `node --expose-gc`). */
function heapMiB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

export async function faultBench(roundMs: number): Promise<string[]> {
  const lines = ['## fault models'];
  const seeds = Math.max(500, Math.round(roundMs * 3));
  for (const name of ['replicated-register', 'replicated-register-swarm', 'kv-store', 'kv-store-swarm']) {
    const rates = [];
    for (let r = 0; r < 3; r++) rates.push(await swarmSeedsPerSecond(name, seeds));
    lines.push(`${name} under swarm, fuzz path: ${formatRate(median(rates))} (median of 3 x ${seeds} seeds)`);
  }
  for (const nodes of [3, 16]) {
    const rates = [];
    for (let r = 0; r < 3; r++) rates.push(await packetsPerSecond(nodes, 100_000));
    lines.push(`network core, ${nodes} nodes: ${formatRate(median(rates), 'packets')} delivered, send and deliver traced (median of 3 x 100,000)`);
  }
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    lines.push('memory per world: skipped (run with node --expose-gc, as npm run bench does)');
    return lines;
  }
  const c = findBuiltinCase('replicated-register-swarm')!;
  const samples: string[] = [];
  const checkpoints = [1000, 5000, 10000, 20000, 40000];
  let seed = 0n;
  for (const checkpoint of checkpoints) {
    for (; seed < BigInt(checkpoint); seed++) await runOnce(c, { seed, profile: resolveProfile('swarm', seed), captureStacks: false });
    samples.push(`${checkpoint} seeds: ${heapMiB().toFixed(1)} MiB`);
  }
  lines.push(`memory: heap after GC while one process runs replicated-register-swarm under swarm: ${samples.join(', ')}`);
  return lines;
}
