/**
 * Issue 12's figures: what a passing seed costs on the fuzz path. retry-queue under `none` against
 * the bare traced baseline measured in the same run, and the seeds per second of the two swarm
 * cases the issue names on the worker's own range task (one worker's work, no pool), each in a
 * worker thread of its own. GC share and 2-worker scaling are in the GC and campaign sections.
 */
import { findBuiltinCase } from '../src/examples/registry.js';
import { runOnce } from '../src/harness/run-once.js';
import { NONE_PROFILE } from '../src/index.js';
import { bareTracedRetryQueue } from './bare-traced.js';
import { formatRate, median, sideBySide, workerResult } from './measure.js';

/**
 * Seeds per second before issue 12: commit 5d7e630 on this 2-core machine, measured as below (a
 * thread per case, the same warm-up, rounds and seeds), the median of three runs alternated with
 * the new build. (The issue quoted 2,800 and 9,400: the first seeds of a cold process.)
 */
const BEFORE = { 'replicated-register-swarm': 2_430, 'kv-store-swarm': 21_400 } as const;

/** Per-round seeds per second of the range task on `caseRef` in a worker thread. */
function rangeRates(caseRef: string, seeds: number, rounds: number): Promise<number[]> {
  return workerResult('./range-rate-worker.js', { workerData: { caseRef, cwd: process.cwd(), seeds, rounds } });
}

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
    const rates = await rangeRates(name, seeds, 5);
    const perSecond = median(rates);
    lines.push(
      `${name} (swarm, worker range task in a thread of its own, audit 1 in 64): ${formatRate(perSecond)} = ${(perSecond / BEFORE[name]).toFixed(2)}x ` +
        `the ${formatRate(BEFORE[name])} of commit 5d7e630 measured the same way; target >= 2x`,
    );
  }
  return lines;
}
