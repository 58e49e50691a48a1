/**
 * Issue 12's figures: what a passing seed costs on the fuzz path. retry-queue under `none` against
 * the bare traced baseline measured in the same run, and the seeds per second of the two swarm
 * cases the issue names on the worker's own range task (in this thread: one worker's work, no
 * pool). GC share and 2-worker scaling are in the GC and campaign sections.
 */
import { findBuiltinCase } from '../src/examples/registry.js';
import { runOnce } from '../src/harness/run-once.js';
import { NONE_PROFILE } from '../src/index.js';
import runWorkerTask from '../workers/seed-range-worker.js';
import { bareTracedRetryQueue } from './bare-traced.js';
import { formatRate, median, sideBySide } from './measure.js';

/** Seeds per second of this machine before issue 12 (commit 5d7e630), as the issue states them. */
const BEFORE = { 'replicated-register-swarm': 2_800, 'kv-store-swarm': 9_400 } as const;

export async function fuzzPathBench(roundMs: number): Promise<string[]> {
  const lines = ['## fuzz path: passing seeds (issue 12)'];
  const c = findBuiltinCase('retry-queue')!;
  const fuzz = (i: number) => runOnce(c, { seed: BigInt(i), profile: NONE_PROFILE, captureStacks: false });
  for (const seed of [0, 1, 2, 77]) {
    const [real, bare] = [(await fuzz(seed)).trace, (await bareTracedRetryQueue(seed)).text];
    if (real !== bare) throw new Error(`fuzz-path bench: the bare traced retry-queue differs from the world's trace at seed ${seed}`);
  }
  const rate = await sideBySide({ fuzzPath: fuzz, bareTraced: bareTracedRetryQueue }, 5, roundMs);
  const us = (r: number) => (1e6 / r).toFixed(2);
  lines.push(
    `retry-queue (none): fuzz path ${us(rate.fuzzPath!)} µs/seed, bare logic with the same text trace hashed by hand ${us(rate.bareTraced!)} µs/seed ` +
      `= ${(rate.bareTraced! / rate.fuzzPath!).toFixed(2)}x; target <= 2x`,
  );
  const scale = roundMs / 700;
  for (const [name, seeds] of [
    ['replicated-register-swarm', Math.round(3_000 * scale)],
    ['kv-store-swarm', Math.round(20_000 * scale)],
  ] as const) {
    const rates: number[] = [];
    const progress = new SharedArrayBuffer(4);
    const task = { kind: 'range' as const, caseRef: name, cwd: process.cwd(), profile: 'swarm', auditEvery: 64, keepTraces: 5, progress, firstOffset: 0 };
    await runWorkerTask({ ...task, firstSeed: '1000000000', count: Math.min(2000, seeds) }); // warm-up
    for (let round = 0; round < 5; round++) {
      const start = performance.now();
      await runWorkerTask({ ...task, firstSeed: String(round * seeds), count: seeds });
      rates.push((seeds / (performance.now() - start)) * 1000);
    }
    const perSecond = median(rates);
    lines.push(
      `${name} (swarm, worker range task in one thread, audit 1 in 64): ${formatRate(perSecond)} = ${(perSecond / BEFORE[name]).toFixed(2)}x ` +
        `the ${formatRate(BEFORE[name])} before issue 12; target >= 2x`,
    );
  }
  return lines;
}
