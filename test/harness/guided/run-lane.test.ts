import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { deepStateBug } from '../../../src/examples/deep-state.js';
import { resolveProfile } from '../../../src/faults/profiles/resolve-profile.js';
import type { ProfileInput } from '../../../src/faults/profiles/fault-profile.js';
import type { CorpusEntry } from '../../../src/harness/guided/corpus-entry.js';
import { CoverageCollector } from '../../../src/harness/guided/coverage-points.js';
import { firstTries } from '../../../src/harness/guided/first-tries.js';
import { LANE_RUNS, LANES_PER_ROUND, ROUND_RUNS, runLane, type LaneOptions, type LaneResult, type LaneRun } from '../../../src/harness/guided/run-lane.js';
import { runGuidedInProcess } from '../../../src/harness/guided/run-rounds.js';
import { runOnce } from '../../../src/harness/run-once.js';
import { RecordingChoices, TapeChoices } from '../../../src/kernel/choice-tape.js';

/** Scenario runs of `tiny` so far (a skipped run must not run it). */
let tinyScenarios = 0;

/** A tiny case: eight draws of 0 to 3; the trace and a sometimes tell how long a streak of 3s got. */
const tiny = mar.defineCase({
  name: 'guided tiny',
  init: (world) => world.simulate(),
  scenario(sim) {
    tinyScenarios++;
    let streak = 0;
    for (let i = 0; i < 8; i++) {
      const pick = sim.env.random.intLessThan(4);
      streak = pick === 3 ? streak + 1 : 0;
      sim.env.record(pick === 3 ? 'tiny.rare' : 'tiny.common', { streak });
      if (streak >= 2) sim.env.sometimes('two rare in a row', true);
    }
  },
});

type LaneInput = Omit<LaneOptions, 'onRun'> & { readonly onRun?: LaneOptions['onRun'] };

/** Runs a lane and keeps every run it reports. */
async function lane(c: mar.Case, options: LaneInput): Promise<{ runs: LaneRun[]; result: LaneResult }> {
  const runs: LaneRun[] = [];
  const result = await runLane(c, {
    ...options,
    onRun: (run) => {
      runs.push(run);
      return options.onRun?.(run);
    },
  });
  return { runs, result };
}

const comparable = (run: LaneRun) => ({
  offset: run.offset,
  seed: run.seed,
  profile: run.profile,
  choices: run.choices,
  trace: run.outcome?.trace,
  failure: run.outcome?.failure?.kind,
});

/** A run's coverage points and realized decisions, by replaying it (its seed's generator, or its tape). */
async function replayCoverage(c: mar.Case, run: LaneRun) {
  const source = run.choices === null ? new RecordingChoices(mar.Prng.fromSeed(run.seed)) : new TapeChoices(run.choices);
  const made = source instanceof RecordingChoices ? source.values : source.used;
  const collector = new CoverageCollector(() => made.length);
  const outcome = await runOnce(c, { seed: run.seed, profile: run.profile, choices: source, observeEvents: collector.observe });
  return { points: collector.points, made, outcome };
}

/** The corpus after a first lane of deep-state-bug from seed 0, for lanes that start from one. */
async function deepCorpus(): Promise<CorpusEntry[]> {
  return (await lane(deepStateBug, { firstSeed: 0n, firstOffset: 0, count: LANE_RUNS, profile: 'swarm', corpus: [] })).result.entries;
}

describe('runLane: determinism and replay', () => {
  it('makes the same runs given the same options', async () => {
    const snapshot = await deepCorpus();
    for (const corpus of [[], snapshot]) {
      const options = { firstSeed: 1000n, firstOffset: 256, count: LANE_RUNS, profile: 'swarm' as const, corpus };
      const [a, b] = [await lane(deepStateBug, options), await lane(deepStateBug, options)];
      expect(a.runs.map(comparable)).toEqual(b.runs.map(comparable));
      expect(a.result).toEqual(b.result);
      expect(a.runs.map((r) => r.offset)).toEqual(Array.from({ length: LANE_RUNS }, (_, i) => 256 + i));
      expect(a.runs.map((r) => r.seed)).toEqual(Array.from({ length: LANE_RUNS }, (_, i) => 1000n + BigInt(i)));
    }
  });

  it('makes the same runs from a plain copy of its corpus (as a worker receives it) as from the corpus itself', async () => {
    const snapshot = await deepCorpus();
    const copy = structuredClone(snapshot);
    expect(copy[0]!.profile).not.toBe(snapshot[0]!.profile);
    const options = { firstSeed: 4242n, firstOffset: 512, count: LANE_RUNS, profile: 'swarm' as const };
    const [a, b] = [await lane(deepStateBug, { ...options, corpus: snapshot }), await lane(deepStateBug, { ...options, corpus: copy })];
    expect(b.runs.map(comparable)).toEqual(a.runs.map(comparable));
    expect(b.result).toEqual(a.result);
    expect(a.result.mutationRuns).toBeGreaterThan(0);
  });

  it('runs every fresh seed exactly as an unguided run of that seed under its resolved profile', async () => {
    const snapshot = await deepCorpus();
    const cases: [mar.Case, ProfileInput, CorpusEntry[]][] = [
      [deepStateBug, 'swarm', []],
      [deepStateBug, 'swarm', snapshot],
      [tiny, 'smoke', []],
    ];
    for (const [c, profile, corpus] of cases) {
      const { runs, result } = await lane(c, { firstSeed: 77n, firstOffset: 0, count: 128, profile, corpus });
      const fresh = runs.filter((run) => run.choices === null);
      expect(fresh.length).toBeGreaterThan(0);
      expect(result.mutationRuns).toBe(runs.length - fresh.length);
      expect(result.mutationRuns).toBeGreaterThan(0);
      for (const run of fresh) {
        const resolved = resolveProfile(profile, run.seed);
        expect(run.profile).toEqual(resolved);
        expect(run.outcome!.trace).toBe((await runOnce(c, { seed: run.seed, profile: resolved })).trace);
      }
    }
  });

  it('starts a lane with an empty corpus from a fresh seed, and mutates about 7 runs in 8 once it has a corpus', async () => {
    const empty = await lane(deepStateBug, { firstSeed: 5n, firstOffset: 0, count: 8, profile: 'swarm', corpus: [] });
    expect(empty.runs[0]!.choices).toBeNull();
    const corpus = await deepCorpus();
    let mutationRuns = 0;
    for (const firstSeed of [5000n, 6000n, 7000n, 8000n]) {
      const { runs, result } = await lane(deepStateBug, { firstSeed, firstOffset: 0, count: LANE_RUNS, profile: 'swarm', corpus });
      expect(runs.filter((r) => r.choices !== null)).toHaveLength(result.mutationRuns);
      mutationRuns += result.mutationRuns;
    }
    // 7/8 of 1024 runs is 896 (standard deviation about 11); 6/8 would be 768.
    expect(mutationRuns).toBeGreaterThan(860);
    expect(mutationRuns).toBeLessThan(932);
  });

  it('replays a mutated run from its choices alone: the same trace, and the choices are its realized decisions (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 2n ** 48n }), async (firstSeed) => {
        const { runs } = await lane(deepStateBug, { firstSeed, firstOffset: 0, count: 48, profile: 'swarm', corpus: [] });
        const mutated = runs.filter((run) => run.choices !== null);
        for (const run of mutated) {
          const tape = new TapeChoices(run.choices!);
          const replay = await runOnce(deepStateBug, { seed: run.seed, profile: run.profile, choices: tape });
          expect(replay.trace).toBe(run.outcome!.trace);
          expect(replay.failure?.kind).toBe(run.outcome!.failure?.kind);
          expect(tape.used).toEqual(run.choices);
        }
      }),
      { numRuns: 6 },
    );
  });

  it('runs a mutated tape under the profile of the entry it came from', async () => {
    const snapshot = await deepCorpus();
    const { runs, result } = await lane(deepStateBug, { firstSeed: 9000n, firstOffset: 0, count: LANE_RUNS, profile: 'swarm', corpus: snapshot });
    const profiles = new Set([...snapshot, ...result.entries].map((e) => JSON.stringify(e.profile)));
    const mutated = runs.filter((run) => run.choices !== null);
    expect(mutated.length).toBeGreaterThan(0);
    for (const run of mutated) expect(profiles.has(JSON.stringify(run.profile))).toBe(true);
    // Swarm profiles differ from seed to seed: most mutated runs do not have their own seed's.
    expect(mutated.filter((run) => JSON.stringify(run.profile) !== JSON.stringify(resolveProfile('swarm', run.seed))).length).toBeGreaterThan(mutated.length / 2);
  });
});

describe('runLane: the corpus it builds', () => {
  it('keeps exactly the passing runs that reached a point unknown to the snapshot and the entries before them', async () => {
    const snapshot = await deepCorpus();
    let entries = 0;
    let failures = 0;
    let failureOnlyPoints = 0;
    for (const [corpus, firstSeed] of [[[], 0n], [snapshot, 256n], [[], 31337n]] as const) {
      const { runs, result } = await lane(deepStateBug, { firstSeed, firstOffset: Number(firstSeed), count: LANE_RUNS, profile: 'swarm', corpus });
      const known = new Set(corpus.flatMap((e) => e.points.map(([p]) => p)));
      const expected: CorpusEntry[] = [];
      const onlyInFailures = new Set<string>();
      for (const run of runs) {
        const { points, made, outcome } = await replayCoverage(deepStateBug, run);
        expect(outcome.trace).toBe(run.outcome!.trace);
        const fresh = [...points].filter(([p]) => !known.has(p));
        if (run.outcome!.failure !== undefined) {
          failures++;
          for (const [p] of fresh) onlyInFailures.add(p);
          continue;
        }
        if (fresh.length === 0) continue;
        expected.push({ offset: run.offset, profile: run.profile, choices: made, points: fresh });
        for (const [p] of fresh) known.add(p);
      }
      expect(result.entries).toEqual(expected);
      entries += result.entries.length;
      // Points only failing runs reached (the double close) are in no entry: a failure never joins the corpus.
      for (const p of onlyInFailures) if (!known.has(p)) failureOnlyPoints++;
    }
    // The lanes exercised both sides: new coverage kept, and new coverage of failures not kept.
    expect(entries).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
    expect(failureOnlyPoints).toBeGreaterThan(0);
  });

  it('works first through the newest entry\'s first tries, in order: repeat, then redraws, latest focus first', async () => {
    let checked = 0;
    for (const firstSeed of [0n, 777n]) {
      const { runs, result } = await lane(deepStateBug, { firstSeed, firstOffset: 0, count: LANE_RUNS, profile: 'swarm', corpus: [] });
      result.entries.forEach((entry, k) => {
        // Until the lane finds its next entry, its mutated runs are this entry's first tries.
        const until = result.entries[k + 1]?.offset ?? Infinity;
        const mutated = runs.filter((run) => run.offset > entry.offset && run.offset <= until && run.choices !== null);
        const tries = firstTries(entry);
        for (const [i, aim] of tries.slice(0, mutated.length).entries()) {
          const run = mutated[i]!;
          const f = aim.focus;
          expect(run.profile).toEqual(entry.profile);
          // Every decision of deep-state has bound 10: kept decisions replay as they were.
          if (aim.plan.mutation === 'duplicate') {
            expect(run.choices!.slice(0, f + 1)).toEqual(f === 0 ? entry.choices.slice(0, 1) : [...entry.choices.slice(0, f), entry.choices[f - 1]]);
          } else {
            expect(run.choices!.slice(0, f)).toEqual(entry.choices.slice(0, f));
          }
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThanOrEqual(16); // at least four whole groups of first tries
  });
});

describe('runLane: skip and stop', () => {
  it('reports a skipped offset with no outcome and does not run it', async () => {
    const skip = new Set([3, 10, 11, 25]);
    const started: number[] = [];
    const before = tinyScenarios;
    const skipped = await lane(tiny, { firstSeed: 40n, firstOffset: 0, count: 40, profile: 'none', corpus: [], skip, onStart: (i) => started.push(i) });
    expect(tinyScenarios - before).toBe(40 - skip.size);
    expect(started).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(skipped.runs.map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const run of skipped.runs) expect(run.outcome === undefined).toBe(skip.has(run.offset));
    expect(skipped.result.runs).toBe(40);
    expect(skipped.result.stopped).toBe(false);
    for (const entry of skipped.result.entries) expect(skip.has(entry.offset)).toBe(false);

    // Up to the first skipped offset the lane is the unskipped lane; a skipped mutated run
    // reports the tape it would have run.
    const plain = await lane(tiny, { firstSeed: 40n, firstOffset: 0, count: 40, profile: 'none', corpus: [] });
    expect(skipped.runs.slice(0, 3).map(comparable)).toEqual(plain.runs.slice(0, 3).map(comparable));
    const [gone, ran] = [skipped.runs[3]!, plain.runs[3]!];
    expect([gone.seed, gone.profile]).toEqual([ran.seed, ran.profile]);
    expect(ran.choices).not.toBeNull(); // this test is about a mutated run
    expect((await runOnce(tiny, { seed: gone.seed, profile: gone.profile, choices: new TapeChoices(gone.choices!) })).trace).toBe(ran.outcome!.trace);
  });

  it('ends the lane when onRun says stop, and says so', async () => {
    const before = tinyScenarios;
    const stopped = await lane(tiny, { firstSeed: 3n, firstOffset: 10, count: 30, profile: 'none', corpus: [], onRun: (run) => (run.offset === 15 ? 'stop' : undefined) });
    expect(stopped.result.stopped).toBe(true);
    expect(stopped.result.runs).toBe(6);
    expect(stopped.runs.map((r) => r.offset)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(tinyScenarios - before).toBe(6);

    const asynchronous = await lane(tiny, { firstSeed: 3n, firstOffset: 10, count: 30, profile: 'none', corpus: [], onRun: async (run) => (run.offset === 12 ? 'stop' : undefined) });
    expect([asynchronous.result.stopped, asynchronous.runs.length]).toEqual([true, 3]);

    const onSkipped = await lane(tiny, { firstSeed: 3n, firstOffset: 0, count: 30, profile: 'none', corpus: [], skip: new Set([4]), onRun: (run) => (run.outcome === undefined ? 'stop' : undefined) });
    expect([onSkipped.result.stopped, onSkipped.runs.length]).toEqual([true, 5]);

    const whole = await lane(tiny, { firstSeed: 3n, firstOffset: 10, count: 30, profile: 'none', corpus: [] });
    expect([whole.result.stopped, whole.result.runs, whole.runs.length]).toEqual([false, 30, 30]);
    expect(whole.runs.slice(0, 6).map(comparable)).toEqual(stopped.runs.map(comparable));
  });
});

describe('runGuidedInProcess', () => {
  it(`runs rounds of ${LANES_PER_ROUND} lanes of ${LANE_RUNS} runs, each lane from the corpus of the rounds before`, async () => {
    const seeds = ROUND_RUNS + LANE_RUNS + 100; // a full round, then a full lane and a short one
    const firstSeed = 500n;
    const guided: LaneRun[] = [];
    const summary = await runGuidedInProcess(deepStateBug, { firstSeed, seeds, profile: 'swarm', onRun: (run) => void guided.push(run) });

    const byLanes: LaneRun[] = [];
    let corpus: CorpusEntry[] = [];
    let mutationRuns = 0;
    for (let roundStart = 0; roundStart < seeds; roundStart += ROUND_RUNS) {
      const found: CorpusEntry[] = [];
      for (let laneStart = roundStart; laneStart < Math.min(seeds, roundStart + ROUND_RUNS); laneStart += LANE_RUNS) {
        const count = Math.min(LANE_RUNS, seeds - laneStart);
        const { runs, result } = await lane(deepStateBug, { firstSeed: firstSeed + BigInt(laneStart), firstOffset: laneStart, count, profile: 'swarm', corpus });
        byLanes.push(...runs);
        found.push(...result.entries);
        mutationRuns += result.mutationRuns;
      }
      corpus = [...corpus, ...found];
    }
    expect(guided.map(comparable)).toEqual(byLanes.map(comparable));
    expect(summary).toEqual({ runs: seeds, mutationRuns, corpus });
    expect(guided.map((r) => r.offset)).toEqual(Array.from({ length: seeds }, (_, i) => i));
    expect(guided.every((r) => r.seed === firstSeed + BigInt(r.offset))).toBe(true);
    // No lane of the first round sees another's finds: each starts from an empty corpus, on a fresh seed.
    for (let laneStart = 0; laneStart < ROUND_RUNS; laneStart += LANE_RUNS) expect(guided[laneStart]!.choices).toBeNull();
    // The second round starts from the first round's corpus.
    expect(summary.corpus.filter((e) => e.offset < ROUND_RUNS).length).toBeGreaterThan(LANES_PER_ROUND);
    expect(summary.corpus.map((e) => e.offset)).toEqual([...summary.corpus.map((e) => e.offset)].sort((a, b) => a - b));
  });

  it('stops the search when onRun says stop, with the corpus found so far', async () => {
    const runs: LaneRun[] = [];
    const summary = await runGuidedInProcess(tiny, { firstSeed: 0n, seeds: 1000, profile: 'none', onRun: (run) => (runs.push(run), run.offset === 300 ? 'stop' : undefined) });
    expect(summary.runs).toBe(301);
    expect(runs).toHaveLength(301);
    expect(summary.mutationRuns).toBe(runs.filter((r) => r.choices !== null).length);
    expect(summary.corpus.length).toBeGreaterThan(0);
    expect(summary.corpus.every((e) => e.offset <= 300)).toBe(true);
  });

  it('finds deep-state-bug at a pinned offset from seed 0 under swarm', async () => {
    let found: LaneRun | undefined;
    const summary = await runGuidedInProcess(deepStateBug, {
      firstSeed: 0n,
      seeds: 20_000,
      profile: 'swarm',
      onRun: (run) => {
        if (run.outcome?.failure === undefined) return;
        found = run;
        return 'stop';
      },
    });
    // Pins the search's behaviour (seeding, selection, mutations, first tries): this number
    // changes only when the search changes on purpose.
    expect(found?.offset).toBe(3);
    expect(summary.runs).toBe(4);
    expect(found!.outcome!.failure).toMatchObject({ kind: 'check_failed', checkName: 'connection closed at most once', errorName: 'InvariantViolation' });
    expect(found!.choices).not.toBeNull(); // found by a mutated tape, which replays to the same failure
    const replay = await runOnce(deepStateBug, { seed: found!.seed, profile: found!.profile, choices: new TapeChoices(found!.choices!) });
    expect(replay.trace).toBe(found!.outcome!.trace);
  });
});
