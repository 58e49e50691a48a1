// marionette-sim first: it patches node:timers and node:crypto at load, before any third-party code binds them.
import * as mar from 'marionette-sim';
import pRetry from 'p-retry';
import { describe, expect, it } from 'vitest';

/**
 * p-retry 7 running unchanged inside hermetic worlds. Its back-off sleeps on the global
 * `setTimeout`, its jitter (`randomize: true`) is `Math.random() + 1`, and `maxRetryTime` is
 * measured with `performance.now()`: all of them belong to the world while a case runs.
 */

const MS = 1_000_000;

/** The error the operation under retry fails with. */
class TransientFailure extends Error {
  override name = 'TransientFailure';
}

interface RetryState {
  readonly sim: mar.Simulation;
}

const init = (world: mar.World): RetryState => ({ sim: world.simulate({}) });

/** Simulated ms since the world's epoch, as the code under test sees it through `Date.now()`. */
const simulatedMs = (): number => Date.now() - mar.DEFAULT_EPOCH_MS;

interface Attempt {
  readonly attempt: number;
  readonly atMs: number;
  readonly atNs: number;
}

function attemptsOf(trace: string): Attempt[] {
  return mar
    .parseTrace(trace)
    .filter((e) => e.name === 'retry.attempt')
    .map((e) => ({ attempt: Number(e.fields.attempt), atMs: Number(e.fields.at_ms), atNs: Number(e.fields.at_ns) }));
}

function delaysOf(trace: string): number[] {
  const attempts = attemptsOf(trace);
  return attempts.slice(1).map((a, i) => a.atMs - attempts[i]!.atMs);
}

function field(trace: string, name: string, key: string): string | undefined {
  return mar.parseTrace(trace).find((e) => e.name === name)?.fields[key];
}

/** An operation that fails `failures` times, then succeeds; every attempt is traced with its simulated time. */
function flaky(sim: mar.Simulation, failures: number) {
  return async (attempt: number): Promise<string> => {
    sim.env.record('retry.attempt', { attempt, at_ms: simulatedMs(), at_ns: sim.env.clock.now() });
    if (attempt <= failures) throw new TransientFailure(`attempt ${attempt} failed`);
    return `ok after ${attempt}`;
  };
}

const FAILURES = 4;
const MIN_TIMEOUT_MS = 100;
const FACTOR = 2;

/**
 * Jittered back-off. The scenario also watches (without changing) the `Math.random` draws
 * p-retry makes, so the test can recompute p-retry's formula exactly.
 */
const jittered = mar.defineCase<RetryState>({
  name: 'p-retry jittered back-off',
  init,
  async scenario({ sim }) {
    const worldRandom = Math.random;
    Math.random = () => {
      const r = worldRandom();
      sim.env.record('retry.jitter', { r });
      return r;
    };
    try {
      const result = await pRetry(flaky(sim, FAILURES), { retries: 10, minTimeout: MIN_TIMEOUT_MS, factor: FACTOR, randomize: true });
      sim.env.record('retry.done', { result, at_ms: simulatedMs() });
    } finally {
      Math.random = worldRandom;
    }
  },
});

describe('p-retry in a hermetic world', () => {
  it('sleeps p-retry\'s exponential back-off with jitter in simulated ms, within its bounds', async () => {
    const report = await mar.runCase(jittered, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    const attempts = attemptsOf(report.trace);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(attempts[0]!.atMs).toBe(0);
    // Date.now() and the simulation's clock agree: the sleeps are simulated time.
    for (const a of attempts) expect(a.atNs).toBe(a.atMs * MS);
    const delays = delaysOf(report.trace);
    const jitter = mar
      .parseTrace(report.trace)
      .filter((e) => e.name === 'retry.jitter')
      .map((e) => Number(e.fields.r));
    expect(jitter).toHaveLength(FAILURES);
    for (let k = 0; k < FAILURES; k++) {
      const base = MIN_TIMEOUT_MS * FACTOR ** k;
      // p-retry: round((Math.random() + 1) * minTimeout * factor^(attempt - 1)).
      expect(delays[k]).toBe(Math.round((jitter[k]! + 1) * base));
      expect(delays[k]).toBeGreaterThanOrEqual(base);
      expect(delays[k]).toBeLessThanOrEqual(2 * base);
    }
    // Jitter actually jitters: not every delay is the unrandomized base.
    expect(delays).not.toEqual([100, 200, 400, 800]);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(field(report.trace, 'retry.done', 'result')).toBe(mar.encodeTraceText('ok after 5'));
    expect(Number(field(report.trace, 'retry.done', 'at_ms'))).toBe(total);
    expect(report.finalNs).toBe(total * MS);
  });

  it('is deterministic: runCase\'s two runs match byte for byte, and a rerun of the seed gives the same delays', async () => {
    const a = await mar.runCase(jittered, { seed: 42 });
    expect(a.passed, a.summary).toBe(true);
    expect(a.secondTrace).toBe(a.trace);
    const b = await mar.runCase(jittered, { seed: 42 });
    expect(b.trace).toBe(a.trace);
    expect(delaysOf(b.trace)).toEqual(delaysOf(a.trace));
  });

  it('jitters differently under different seeds', async () => {
    const first = delaysOf((await mar.runCase(jittered, { seed: 1 })).trace);
    let differing: bigint | undefined;
    for (let seed = 2n; seed <= 20n && differing === undefined; seed++) {
      const report = await mar.runCase(jittered, { seed });
      expect(report.passed, report.summary).toBe(true);
      if (JSON.stringify(delaysOf(report.trace)) !== JSON.stringify(first)) differing = seed;
    }
    expect(differing).toBeDefined();
  });

  it('follows the unrandomized formula exactly, capped by maxTimeout', async () => {
    const c = mar.defineCase<RetryState>({
      name: 'p-retry capped back-off',
      init,
      async scenario({ sim }) {
        await pRetry(flaky(sim, 5), { retries: 10, minTimeout: 100, factor: 3, maxTimeout: 500 });
      },
    });
    const report = await mar.runCase(c, { seed: 7 });
    expect(report.passed, report.summary).toBe(true);
    expect(delaysOf(report.trace)).toEqual([100, 300, 500, 500, 500]);
  });

  it('measures maxRetryTime with performance.now() on the simulated clock', async () => {
    const c = mar.defineCase<RetryState>({
      name: 'p-retry max retry time',
      init,
      async scenario({ sim }) {
        try {
          await pRetry(flaky(sim, Number.POSITIVE_INFINITY), { retries: 10, minTimeout: 100, factor: 2, maxRetryTime: 650 });
          sim.env.record('retry.done');
        } catch (error) {
          sim.env.record('retry.gave_up', { error: (error as Error).name, at_ms: simulatedMs(), perf_ms: performance.now() });
        }
      },
    });
    const report = await mar.runCase(c, { seed: 3 });
    expect(report.passed, report.summary).toBe(true);
    // Attempts at 0, 100, 300; the 400 ms sleep is cut to the 350 ms left; at 650 no time is left.
    expect(attemptsOf(report.trace).map((a) => a.atMs)).toEqual([0, 100, 300, 650]);
    expect(report.trace).not.toContain('retry.done');
    expect(field(report.trace, 'retry.gave_up', 'error')).toBe('TransientFailure');
    expect(field(report.trace, 'retry.gave_up', 'at_ms')).toBe('650');
    expect(field(report.trace, 'retry.gave_up', 'perf_ms')).toBe(String(mar.MONOTONIC_ORIGIN_NS / 1e6 + 650));
  });
});

describe('p-retry on a host that crashes', () => {
  /** Attempts at 0, 100, 300, 700, 1500, 3100 ms without a crash (unrandomized, factor 2). */
  const CRASH_AT_MS = 350;
  const RUN_AFTER_MS = 5_000;

  interface HostState extends RetryState {
    attempts: number;
  }

  function retryingHost(crash: boolean) {
    return mar.defineCase<HostState>({
      name: crash ? 'p-retry host crashes mid back-off' : 'p-retry host stays up',
      init: (world) => ({ sim: world.simulate({}), attempts: 0 }),
      async scenario(state) {
        const { sim } = state;
        sim.host(0, async (env) => {
          await pRetry(
            async (attempt) => {
              state.attempts++;
              env.record('retry.attempt', { attempt, at_ms: simulatedMs(), at_ns: env.clock.now() });
              throw new TransientFailure(`attempt ${attempt} failed`);
            },
            { retries: Number.POSITIVE_INFINITY, minTimeout: 100, factor: 2 },
          );
        });
        await sim.control.runFor(CRASH_AT_MS * MS);
        const before = state.attempts;
        sim.env.record('retry.count', { phase: 'before', attempts: before });
        if (crash) {
          await sim.control.hosts.crash(0);
          if (sim.control.hosts.isUp(0)) throw new Error('host 0 is still up after the crash');
        }
        await sim.control.runFor(RUN_AFTER_MS * MS);
        sim.env.record('retry.count', { phase: 'after', attempts: state.attempts });
      },
    });
  }

  function counts(trace: string): Record<string, number> {
    return Object.fromEntries(
      mar
        .parseTrace(trace)
        .filter((e) => e.name === 'retry.count')
        .map((e) => [e.fields.phase!, Number(e.fields.attempts)]),
    );
  }

  it('abandons p-retry\'s back-off sleep: no attempt after the crash', async () => {
    const report = await mar.runCase(retryingHost(true), { seed: 5 });
    expect(report.passed, report.summary).toBe(true);
    expect(counts(report.trace)).toEqual({ before: 3, after: 3 });
    const events = mar.parseTrace(report.trace);
    const crash = events.find((e) => e.name === 'host.crash');
    expect(crash).toBeDefined();
    expect(crash!.fields.id).toBe('0');
    expect(Number(crash!.fields.abandoned_waits)).toBeGreaterThanOrEqual(1);
    const attempts = events.filter((e) => e.name === 'retry.attempt');
    expect(attempts.map((e) => Number(e.fields.at_ms))).toEqual([0, 100, 300]);
    expect(attempts.every((e) => e.index < crash!.index)).toBe(true);
    // Time did run on after the crash: the harness reached the end of its second runFor.
    expect(report.finalNs).toBe((CRASH_AT_MS + RUN_AFTER_MS) * MS);
  });

  it('control: without the crash the same host keeps retrying through the same window', async () => {
    const report = await mar.runCase(retryingHost(false), { seed: 5 });
    expect(report.passed, report.summary).toBe(true);
    expect(counts(report.trace)).toEqual({ before: 3, after: 6 });
    expect(attemptsOf(report.trace).map((a) => a.atMs)).toEqual([0, 100, 300, 700, 1500, 3100]);
    expect(report.trace).not.toContain('host.crash');
  });
});
