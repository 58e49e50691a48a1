/** Kernel figures: seeds per second of the fuzz path and of runCase against the bare logic. */
import { runCase } from '../src/index.js';
import { findBuiltinCase } from '../src/examples/registry.js';
import { runOnce } from '../src/harness/run-once.js';
import { bareIdempotencyBug, bareRetryQueueBug } from './bare-examples.js';
import { formatRate, sideBySide } from './measure.js';

/**
 * Seeds per second of each bug example four ways, measured side by side: the bare logic whose
 * check only returns (`bareReturn`), the bare logic whose check throws the example's error as
 * test code would (`bareThrow`), one traced run (the fuzz path), and `runCase` (two runs + compare).
 */
export async function kernelBench(roundMs: number): Promise<string[]> {
  const lines = ['## kernel: seeds/s in one process (median of 3 interleaved rounds)'];
  const pairs = [
    ['retry-queue-bug', bareRetryQueueBug],
    ['idempotency-bug', bareIdempotencyBug],
  ] as const;
  for (const [name, bare] of pairs) {
    const c = findBuiltinCase(name)!;
    const rate = await sideBySide(
      {
        bareReturn: (i) => bare(i, 'return'),
        bareThrow: (i) => bare(i, 'throw'),
        fuzzPath: (i) => runOnce(c, { seed: BigInt(i), captureStacks: false }),
        runCase: (i) => runCase(c, { seed: i }),
      },
      3,
      roundMs,
    );
    const cost = (r: number, base: number) => `${(base / r).toFixed(1)}x`;
    lines.push(
      `${name}: bare logic ${formatRate(rate.bareThrow!)} with the example's throwing check, ${formatRate(rate.bareReturn!)} with a check that only returns`,
      `  fuzz path (one traced run): ${formatRate(rate.fuzzPath!)} = ${cost(rate.fuzzPath!, rate.bareThrow!)} the cost of the bare logic ` +
        `(${cost(rate.fuzzPath!, rate.bareReturn!)} of the returning variant); target <= 4x`,
      `  runCase (two runs, stacks on, byte compare): ${formatRate(rate.runCase!)} = ${cost(rate.runCase!, rate.bareThrow!)} ` +
        `(${cost(rate.runCase!, rate.bareReturn!)} of the returning variant); target <= 10x`,
    );
  }
  return lines;
}
