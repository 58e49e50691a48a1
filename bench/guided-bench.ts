/**
 * Guided search figures (SPEC 10): runs needed to first find `deep-state-bug`, guided against
 * unguided swarm, over many start seeds; the same on a twin whose four rare steps are four
 * different values (so repeating the last step never helps); the cost of guided runs; and the
 * per-seed cost of the unguided path, which guided search must leave alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineCase, resolveProfile, type Env, type World } from '../src/index.js';
import type { Case } from '../src/harness/define-case.js';
import { deepStateBug } from '../src/examples/deep-state.js';
import { runOnce } from '../src/harness/run-once.js';
import { runGuidedInProcess } from '../src/harness/guided/run-rounds.js';
import { runCampaign } from '../src/search/campaign/run-campaign.js';
import { FailureStore } from '../src/search/store/failure-store.js';
import runWorkerTask from '../workers/seed-range-worker.js';
import { formatRate, median } from './measure.js';

/** Start seeds of the comparison: far apart, so no two searches share seeds. */
const START_SEEDS = Array.from({ length: 41 }, (_, i) => BigInt(i) * 1_000_003n);
/** Give up on one search after this many runs (reported as a miss). */
const MAX_RUNS = 100_000;

/** The twin: four rare steps in a row again (each 1 in 10), but each a different value. */
const DISTINCT_STEPS = [9, 3, 7, 1] as const;
const deepDistinctBug = defineCase<{ readonly env: Env; stage: number; done: number }>({
  name: 'deep-state-distinct-bug',
  sometimes: ['step 1', 'step 2', 'step 3', 'step 4'],
  init(world: World) {
    return { env: world.simulate().env, stage: 0, done: 0 };
  },
  scenario(state) {
    for (let i = 0; i < 24; i++) {
      if (state.env.random.intLessThan(10) !== DISTINCT_STEPS[state.stage]) {
        state.stage = 0;
        continue;
      }
      state.env.sometimes(`step ${state.stage + 1}`, true);
      if (++state.stage === DISTINCT_STEPS.length) {
        state.done++;
        state.stage = 0;
      }
    }
  },
  checks: [
    {
      name: 'never all four',
      check(state) {
        if (state.done > 0) throw new Error('reached the deep state');
      },
    },
  ],
});

/** Runs an unguided search needs: the offset of its first failing seed, plus one. */
async function unguidedRuns(c: Case, start: bigint): Promise<number> {
  for (let i = 0; i < MAX_RUNS; i++) {
    const seed = start + BigInt(i);
    if ((await runOnce(c, { seed, profile: resolveProfile('swarm', seed), captureStacks: false })).failure !== undefined) return i + 1;
  }
  return Infinity;
}

/** Runs a guided search needs (exactly the runs `mar fuzz --guided` makes, in offset order). */
async function guidedRuns(c: Case, start: bigint): Promise<number> {
  let found = Infinity;
  await runGuidedInProcess(c, {
    firstSeed: start,
    seeds: MAX_RUNS,
    profile: 'swarm',
    onRun: ({ offset, outcome }) => {
      if (outcome?.failure === undefined) return;
      found = offset + 1;
      return 'stop';
    },
  });
  return found;
}

/** The lowest failing offset of a real campaign, plus one. */
async function campaignRuns(dir: string, start: bigint, guided: boolean, seeds: number): Promise<number> {
  const dbPath = path.join(dir, `${guided ? 'guided' : 'plain'}-${start}.sqlite`);
  const summary = await runCampaign({ caseRef: 'deep-state-bug', seeds, startSeed: start, workers: 2, profile: 'swarm', dbPath, minimize: false, guided });
  const store = FailureStore.open(dbPath);
  try {
    const offsets = store.listFailures({ campaignId: summary.campaignId }).map((f) => f.seedOffset);
    return offsets.length === 0 ? Infinity : Math.min(...offsets) + 1;
  } finally {
    store.close();
  }
}

function describeRuns(label: string, guided: number[], unguided: number[], target: string): string {
  const g = median(guided);
  const u = median(unguided);
  const misses = (runs: number[]) => runs.filter((r) => r === Infinity).length;
  return (
    `${label}, median over ${guided.length} start seeds: guided ${g} runs, unguided ${u} runs = ${(u / g).toFixed(1)}x fewer${target}; ` +
    `guided quartiles ${quartiles(guided)}, unguided ${quartiles(unguided)}` +
    (misses(guided) + misses(unguided) > 0 ? `; not found in ${MAX_RUNS} runs: guided ${misses(guided)}, unguided ${misses(unguided)}` : '')
  );
}

function quartiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 4)]}/${sorted[Math.floor((3 * sorted.length) / 4)]}`;
}

/** Per-seed cost of the unguided fuzz path: the worker's own range task in this thread, in µs. */
async function unguidedMicrosPerSeed(caseRef: string, seeds: number): Promise<number> {
  const progress = new SharedArrayBuffer(4);
  const task = { kind: 'range' as const, caseRef, cwd: process.cwd(), profile: 'swarm', auditEvery: 64, keepTraces: 5, progress };
  await runWorkerTask({ ...task, firstSeed: '1000000000', firstOffset: 0, count: Math.min(2000, seeds) }); // warm-up
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    await runWorkerTask({ ...task, firstSeed: String(round * seeds), firstOffset: 0, count: seeds });
    samples.push(((performance.now() - start) * 1000) / seeds);
  }
  return median(samples);
}

export async function guidedBench(roundMs: number): Promise<string[]> {
  const lines = ['## search: guided (runs to first find; the same runs as mar fuzz --guided)'];
  for (const [label, c, target] of [
    ['deep-state-bug', deepStateBug, ' (target >= 10x)'],
    ['deep-state-distinct-bug (bench twin: four different rare values; no target, a probe)', deepDistinctBug, ''],
  ] as const) {
    const guided: number[] = [];
    const unguided: number[] = [];
    for (const start of START_SEEDS) {
      guided.push(await guidedRuns(c, start));
      unguided.push(await unguidedRuns(c, start));
    }
    lines.push(describeRuns(label, guided, unguided, target));
  }

  // Real campaigns (2 workers) find their first failure at exactly the offsets computed above.
  const dir = mkdtempSync(path.join(tmpdir(), 'marionette-guided-bench-'));
  try {
    const checks: string[] = [];
    for (const start of START_SEEDS.slice(0, 5)) {
      const [guided, guidedInProcess] = [await campaignRuns(dir, start, true, 2048), await guidedRuns(deepStateBug, start)];
      const [plain, plainInProcess] = [await campaignRuns(dir, start, false, 4096), await unguidedRuns(deepStateBug, start)];
      const same = (guided === guidedInProcess || (guided === Infinity && guidedInProcess > 2048)) && (plain === plainInProcess || (plain === Infinity && plainInProcess > 4096));
      checks.push(`${start}: guided ${guided}, unguided ${plain === Infinity ? '>4096' : plain}${same ? '' : ' (DIFFERS from in-process)'}`);
    }
    lines.push(`deep-state-bug, real campaigns (2 workers, first 5 start seeds), runs to first find: ${checks.join('; ')}`);

    const scale = roundMs / 700;
    const seeds = Math.round(20_000 * scale);
    for (const caseRef of ['replicated-register-swarm', 'deep-state']) {
      const plain = await runCampaign({ caseRef, seeds, workers: 2, profile: 'swarm', dbPath: path.join(dir, `${caseRef}-plain.sqlite`), minimize: false });
      const guided = await runCampaign({ caseRef, seeds, workers: 2, profile: 'swarm', dbPath: path.join(dir, `${caseRef}-guided.sqlite`), minimize: false, guided: true });
      lines.push(
        `${caseRef}, ${seeds.toLocaleString('en-US')} seeds, 2 workers: unguided ${formatRate(plain.seedsPerSecond)}, guided ${formatRate(guided.seedsPerSecond, 'runs')} ` +
          `(${(guided.seedsPerSecond / plain.seedsPerSecond).toFixed(2)}x); corpus ${guided.guided!.corpusSize} entries, ${guided.guided!.coveragePoints} coverage points, ` +
          `${guided.guided!.mutationRuns.toLocaleString('en-US')} mutated runs`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const perSeed: string[] = [];
  for (const [caseRef, seeds] of [
    ['idempotency-bug', 20_000],
    ['replicated-register-swarm', 2_000],
  ] as const) {
    perSeed.push(`${caseRef} ${(await unguidedMicrosPerSeed(caseRef, seeds)).toFixed(1)} µs/seed`);
  }
  lines.push(`unguided fuzz path per-seed cost (the worker's range task in this thread, median of 5): ${perSeed.join(', ')}`);
  return lines;
}
