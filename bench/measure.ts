/** Small measuring helpers: every figure is operations per second of wall time. */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Runs the bench worker script `file` (next to this module) and resolves with the one message it
 * posts; rejects when it fails or exits without posting.
 */
export function workerResult<T>(file: string, options: WorkerOptions): Promise<T> {
  const worker = new Worker(new URL(file, import.meta.url), options);
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`bench worker ${file} exited (code ${code}) before it posted its figure`)));
  });
}

/** Runs `op(i)` for about `durationMs` after a warm-up; returns operations per second. */
export async function opsPerSecond(op: (i: number) => unknown, durationMs: number): Promise<number> {
  for (let i = 0; i < 2000; i++) await op(i);
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let j = 0; j < 500; j++) await op(count++);
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

/**
 * Measures several operations side by side: rounds of each in turn, so machine drift affects all
 * alike; returns the median rate of each.
 */
export async function sideBySide(ops: Record<string, (i: number) => unknown>, rounds: number, roundMs: number): Promise<Record<string, number>> {
  const rates: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of Object.entries(ops)) (rates[name] ??= []).push(await opsPerSecond(op, roundMs));
  }
  return Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, median(list)]));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `12,345 seeds/s` */
export function formatRate(rate: number, unit = 'seeds'): string {
  return `${Math.round(rate).toLocaleString('en-US')} ${unit}/s`;
}
