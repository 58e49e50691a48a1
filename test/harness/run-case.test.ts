import { readFile } from 'node:fs/promises';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

interface Sim {
  readonly sim: mar.Simulation;
}

const init = (world: mar.World): Sim => ({ sim: world.simulate({}) });

function stallingCase(name: string, wait: () => Promise<unknown>, hermetic: boolean) {
  return mar.defineCase<Sim>({
    name,
    hermetic,
    init,
    async scenario({ sim }) {
      sim.env.record('scenario.start');
      await sim.control.runFor(2_000_000);
      await wait();
      sim.env.record('scenario.unreachable');
    },
  });
}

describe('runCase: passing runs', () => {
  const passing = mar.defineCase<Sim>({
    name: 'passing case',
    tags: ['suite:kernel'],
    attributes: { lease_ticks: 5, label: 'smoke test' },
    init,
    async scenario({ sim }) {
      sim.env.record('work.step', { value: sim.env.random.intLessThan(10) });
      await sim.control.tick();
    },
    checks: [{ name: 'always holds', check() {} }],
  });

  it('reports passed with the trace, run metadata and a replay command', async () => {
    const report = await mar.runCase(passing, { seed: 12648430 });
    expect(report.status).toBe('passed');
    expect(report.passed).toBe(true);
    expect(report.kind).toBeUndefined();
    expect(report.seed).toBe(12648430n);
    expect(report.seedText).toBe('12648430');
    expect(report.caseName).toBe('passing case');
    expect(report.tags).toEqual(['suite:kernel']);
    expect(report.attributes).toEqual({ lease_ticks: 5, label: 'smoke test' });
    expect(report.trace).toBe(report.secondTrace);
    expect(report.eventCount).toBe(mar.parseTrace(report.trace).length);
    expect(report.traceHash).toBe(mar.traceHash(report.trace));
    const names = mar.parseTrace(report.trace).map((e) => e.name);
    expect(names.slice(0, 5)).toEqual(['world.init', 'run.name', 'run.tag', 'run.attribute', 'run.attribute']);
    expect(report.trace).toContain('run.name value=passing%20case\n');
    expect(report.trace).toContain('run.attribute key=lease_ticks value=uint:5\n');
    expect(report.trace).toContain('run.attribute key=label value=string:smoke%20test\n');
    expect(report.trace).toContain('check.pass name=always%20holds\n');
    expect(report.summary).toMatch(/^PASS passing case seed=12648430 .*replay: mar run .*#'?passing case'? --seed 12648430 --trace'?$/);
  });

  it('accepts seeds as number, bigint, decimal text, hex text and git hash alike', async () => {
    const a = await mar.runCase(passing, { seed: 255 });
    for (const seed of [255n, '255', '0xff']) expect((await mar.runCase(passing, { seed })).trace).toBe(a.trace);
    await expect(mar.runCase(passing, { seed: 'nope' })).rejects.toThrow(mar.InvalidSeed);
  });
});

describe('runCase: each failure kind', () => {
  it('scenario_error: the scenario throws', async () => {
    const c = mar.defineCase<Sim>({
      name: 'throws',
      init,
      async scenario({ sim }) {
        await sim.control.tick();
        throw new TypeError('bad state');
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.phase).toBe('scenario');
    expect(report.errorName).toBe('TypeError');
    expect(report.errorMessage).toBe('bad state');
    expect(report.error).toBeInstanceOf(TypeError);
    expect(report.signature).toBe('scenario_error|-|TypeError');
    expect(report.trace.trimEnd().split('\n').at(-1)).toMatch(/run.error phase=scenario error=TypeError$/);
    expect(report.summary).toMatch(/^FAIL throws seed=1 kind=scenario_error error=TypeError: bad state .*\| replay: mar run .* --seed 1 --trace$/);
  });

  it('scenario_error: init throws, and deinit does not run', async () => {
    let deinitRan = false;
    const c = mar.defineCase({
      name: 'init fails',
      init() {
        throw new RangeError('no config');
      },
      scenario() {},
      deinit() {
        deinitRan = true;
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.phase).toBe('init');
    expect(report.errorName).toBe('RangeError');
    expect(deinitRan).toBe(false);
  });

  it('check_failed: names the first failing check and skips the rest; deinit still runs', async () => {
    const ran: string[] = [];
    const c = mar.defineCase<Sim>({
      name: 'check fails',
      init,
      scenario() {},
      checks: [
        { name: 'first holds', check: () => void ran.push('first') },
        {
          name: 'second breaks',
          async check() {
            ran.push('second');
            throw new Error('invariant broken');
          },
        },
        { name: 'third', check: () => void ran.push('third') },
      ],
      deinit: () => void ran.push('deinit'),
    });
    const report = await mar.runCase(c, { seed: 2 });
    expect(report.kind).toBe('check_failed');
    expect(report.checkName).toBe('second breaks');
    expect(report.check).toBe('second breaks');
    expect(report.errorName).toBe('Error');
    expect(report.signature).toBe('check_failed|second breaks|Error');
    expect(ran).toEqual(['first', 'second', 'deinit', 'first', 'second', 'deinit']);
    expect(report.trace).toContain('check.pass name=first%20holds\n');
    expect(report.trace).toContain('check.fail name=second%20breaks error=Error\n');
  });

  it('scenario_error: deinit throws after a passing run', async () => {
    const c = mar.defineCase({ name: 'deinit fails', init: () => 0, scenario() {}, deinit: () => Promise.reject(new Error('leak')) });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.phase).toBe('deinit');
  });

  it('determinism_mismatch: the second run differs (state leaking between runs)', async () => {
    let runs = 0;
    const c = mar.defineCase<Sim>({
      name: 'leaky',
      init,
      scenario({ sim }) {
        runs += 1;
        sim.env.record('leak.counter', { runs });
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('determinism_mismatch');
    expect(report.errorName).toBe('DeterminismMismatch');
    expect(report.signature).toBe('determinism_mismatch|-|DeterminismMismatch');
    expect(report.secondTrace).toBeDefined();
    expect(report.trace).not.toBe(report.secondTrace);
    const lines = report.trace.split('\n');
    const at = lines.findIndex((line) => line.endsWith('leak.counter runs=1'));
    expect(report.divergence).toEqual({ line: at + 1, first: lines[at], second: lines[at]!.replace('runs=1', 'runs=2') });
  });

  it('determinism_mismatch: Math.random in simulated code of a world that is not hermetic', async () => {
    const c = mar.defineCase<Sim>({
      name: 'math random',
      hermetic: false,
      init,
      scenario: ({ sim }) => sim.env.record('leak.random', { value: Math.random() }),
    });
    expect((await mar.runCase(c, { seed: 1 })).kind).toBe('determinism_mismatch');
  });

  it('scenario_error: a runaway run hits maxEvents, even when user code swallows the error', async () => {
    const c = mar.defineCase<Sim>({
      name: 'runaway',
      maxEvents: 50,
      init,
      async scenario({ sim }) {
        for (let i = 0; i < 1000; i++) {
          try {
            sim.env.record('loop.step', { i });
          } catch {
            // A retry loop that swallows everything must not hide the runaway.
          }
        }
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.errorName).toBe('EventLimitExceeded');
    expect(report.eventCount).toBe(50);
  });
});

describe('runCase: stalled', () => {
  const stalls: Array<[string, () => Promise<unknown>]> = [
    ['a real setTimeout', () => new Promise((resolve) => setTimeout(resolve, 60_000))],
    ['a zero-delay real setTimeout', () => new Promise((resolve) => setTimeout(resolve, 0))],
    ['a real setImmediate', () => new Promise((resolve) => setImmediate(resolve))],
    ['real file I/O', () => readFile(new URL(import.meta.url))],
    ['a promise nobody settles', () => new Promise(() => {})],
  ];

  it.each(stalls)('comes back stalled, promptly and deterministically, on %s (hermetic: false)', async (label, wait) => {
    const c = stallingCase(`stalls on ${label}`, wait, false);
    const reports = [];
    for (let i = 0; i < 5; i++) reports.push(await mar.runCase(c, { seed: 3 }));
    for (const report of reports) {
      expect(report.kind).toBe('stalled');
      expect(report.phase).toBe('scenario');
      expect(report.errorName).toBe('Stalled');
      expect(report.signature).toBe('stalled|-|Stalled');
      expect(report.errorMessage).toMatch(/never settles .* at simulated 2000000 ns/);
      expect(report.trace).toBe(reports[0]!.trace);
      expect(report.trace).not.toContain('scenario.unreachable');
      expect(report.trace.trimEnd().split('\n').at(-1)).toMatch(/run.stalled phase=scenario now_ns=2000000$/);
    }
  });

  it.each(stalls.slice(3))('comes back stalled in a hermetic world too on %s', async (label, wait) => {
    const report = await mar.runCase(stallingCase(`stalls on ${label}`, wait, true), { seed: 3 });
    expect(report.kind).toBe('stalled');
    expect(report.trace.trimEnd().split('\n').at(-1)).toMatch(/run.stalled phase=scenario now_ns=2000000$/);
  });

  it.each(stalls.slice(0, 3))('does not stall in a hermetic world on %s: the world owns the timer', async (label, wait) => {
    const report = await mar.runCase(stallingCase(`waits on ${label}`, wait, true), { seed: 3 });
    expect(report.passed).toBe(true);
    expect(report.trace).toContain('scenario.unreachable');
  });

  it('reports a stalled check with its name', async () => {
    const c = mar.defineCase({
      name: 'stalled check',
      init: () => 0,
      scenario() {},
      checks: [{ name: 'waits forever', check: () => new Promise(() => {}) }],
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('stalled');
    expect(report.checkName).toBe('waits forever');
  });

  it('does not call a scenario stalled while simulated timers are still pending', async () => {
    const c = mar.defineCase<Sim>({
      name: 'long sleeper',
      init,
      async scenario({ sim }) {
        await Promise.all([sim.env.clock.sleep(5_000_000_000), sim.control.runFor(1_000_000)]);
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed).toBe(true);
    expect(report.finalNs).toBe(5_000_000_000);
  });
});

describe('runCase: determinism', () => {
  const busy = mar.defineCase<Sim>({
    name: 'busy',
    init,
    async scenario({ sim }) {
      const { env } = sim;
      const workers = Array.from({ length: 4 }, async (_, id) => {
        for (let i = 0; i < 5; i++) {
          await env.clock.sleep(env.random.intLessThan(3_000_000));
          env.record('worker.step', { id, i, fired: env.buggify('slow_path', mar.BuggifyRate.oneIn(4)) });
        }
      });
      await Promise.all(workers);
    },
  });

  it('gives byte-identical traces for the same seed and different traces for different seeds', async () => {
    const a = await mar.runCase(busy, { seed: 77 });
    const b = await mar.runCase(busy, { seed: 77 });
    const c = await mar.runCase(busy, { seed: 78 });
    expect(a.passed).toBe(true);
    expect(a.trace).toBe(b.trace);
    expect(a.trace).not.toBe(c.trace);
  });

  it('lets fire-and-forget work finish inside the world and never resumes work waiting on time after the run', async () => {
    const late: string[] = [];
    const c = mar.defineCase<Sim>({
      name: 'fire and forget',
      init,
      scenario({ sim }) {
        void (async () => {
          await Promise.resolve();
          sim.env.record('background.ran');
          await sim.env.clock.sleep(1_000_000);
          late.push('resumed');
        })();
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed).toBe(true);
    expect(report.trace).toContain('background.ran');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(late).toEqual([]);
  });
});

describe('defineCase validation', () => {
  it.each([
    [{ name: '', init: () => 0, scenario() {} }, /name must be non-empty text/],
    [{ name: 'x', scenario() {} }, /init must be a function/],
    [{ name: 'x', init: () => 0 }, /scenario must be a function/],
    [{ name: 'x', init: () => 0, scenario() {}, tags: [''] }, /tags must be an array of non-empty strings/],
    [{ name: 'x', init: () => 0, scenario() {}, checks: [{ name: 'a', check() {} }, { name: 'a', check() {} }] }, /check names must be unique/],
    [{ name: 'x', init: () => 0, scenario() {}, checks: [{ name: 'a' }] }, /needs a check function/],
    [{ name: 'x', init: () => 0, scenario() {}, attributes: { Bad: 1 } }, /attribute key/],
    [{ name: 'x', init: () => 0, scenario() {}, tickNs: 0 }, /tickNs must be a positive safe integer/],
  ])('rejects %j', (definition, message) => {
    expect(() => mar.defineCase(definition as never)).toThrow(mar.InvalidArgument);
    expect(() => mar.defineCase(definition as never)).toThrow(message);
  });

  it('marks cases so they can be recognised', () => {
    expect(mar.isCase(mar.defineCase({ name: 'x', init: () => 0, scenario() {} }))).toBe(true);
    expect(mar.isCase({ name: 'x' })).toBe(false);
  });
});

describe('runCase: edge cases found in review', () => {
  it('does not call in-memory stream code (process.nextTick chains) stalled', async () => {
    const { Readable } = await import('node:stream');
    const c = mar.defineCase<Sim>({
      name: 'in-memory stream',
      init,
      async scenario({ sim }) {
        const seen: string[] = [];
        for await (const chunk of Readable.from(['a', 'b', 'c'])) seen.push(String(chunk));
        await new Promise((resolve) => process.nextTick(resolve));
        sim.env.record('stream.done', { chunks: seen.join('') });
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed).toBe(true);
    expect(report.trace).toContain('stream.done chunks=abc\n');
  });

  it('reports a thrown null-prototype object instead of rejecting', async () => {
    const c = mar.defineCase({ name: 'odd throw', init: () => 0, scenario: () => { throw Object.create(null); } });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.errorName).toBe('thrown_object');
    expect(report.errorMessage).toBe('[object Object]');
  });

  it('reports a maxEvents smaller than the run header as a failure, not a rejection', async () => {
    const c = mar.defineCase({ name: 'tiny', maxEvents: 2, init: () => 0, scenario() {} });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.errorName).toBe('EventLimitExceeded');
  });

  it('keeps the methods of a case defined as a class instance', async () => {
    class Definition {
      name = 'class case';
      init(world: mar.World) {
        return world.simulate({});
      }
      scenario(sim: mar.Simulation) {
        sim.env.record('class.ran');
      }
    }
    const report = await mar.runCase(mar.defineCase(new Definition()), { seed: 1 });
    expect(report.passed).toBe(true);
    expect(report.trace).toContain('class.ran\n');
  });

  it('rejects something that is not a case with a one-line error', async () => {
    await expect(mar.runCase({ name: 'plain' } as never, { seed: 1 })).rejects.toThrow(/runOnce: expected a case made by defineCase/);
  });

  it('leaves Error.stackTraceLimit as it was after overlapping fuzz runs', async () => {
    const before = Error.stackTraceLimit;
    const a = mar.defineCase({ name: 'a', init: () => 0, scenario: () => Promise.resolve() });
    const b = mar.defineCase({ name: 'b', init: () => 0, scenario: () => new Promise((resolve) => setImmediate(resolve)) });
    await Promise.all([mar.expectFuzz(a, { seeds: 3 }), mar.expectFuzz(b, { seeds: 1 }).catch(() => undefined)]);
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('runs both runs of a seed with the same stack trace setting', async () => {
    const c = mar.defineCase<Sim>({
      name: 'stack limit',
      init,
      scenario: ({ sim }) => sim.env.record('stack.limit', { limit: Error.stackTraceLimit }),
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed).toBe(true);
    expect(report.trace).toContain(`stack.limit limit=${Error.stackTraceLimit}\n`);
  });
});
