import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

function lines(world: mar.World): string[] {
  return world.trace.text().trimEnd().split('\n').slice(2).map((line) => line.replace(/^event=\d+ /, ''));
}

describe('World clock and scheduler', () => {
  it('moves time only through control, in integer ns, with a 1 ms default tick', async () => {
    const world = new mar.World({ seed: 1 });
    const sim = world.simulate({});
    expect(world.tickNs).toBe(1_000_000);
    expect(sim.env.clock.now()).toBe(0);
    await sim.control.tick();
    expect(sim.env.clock.now()).toBe(1_000_000);
    await sim.control.runFor(5_000_000);
    expect(sim.env.clock.now()).toBe(6_000_000);
    await sim.control.runFor(0);
    expect(sim.env.clock.now()).toBe(6_000_000);
    expect(lines(world)).toEqual([
      'control.tick until_ns=1000000',
      'control.run_for duration_ns=5000000 until_ns=6000000',
      'control.run_for duration_ns=0 until_ns=6000000',
    ]);
  });

  it('honours a custom tickNs', async () => {
    const world = new mar.World({ seed: 1, tickNs: 250 });
    const sim = world.simulate();
    await sim.control.tick();
    expect(sim.env.clock.now()).toBe(250);
  });

  it('wakes concurrent sleepers in time order, and equal times in the order they slept', async () => {
    const world = new mar.World({ seed: 1 });
    const { env } = world.simulate();
    const woke: string[] = [];
    const sleeper = async (name: string, ns: number) => {
      await env.clock.sleep(ns);
      woke.push(`${name}@${env.clock.now()}`);
    };
    await Promise.all([sleeper('c', 300), sleeper('a', 100), sleeper('b', 300), sleeper('z', 0)]);
    expect(woke).toEqual(['z@0', 'a@100', 'c@300', 'b@300']);
  });

  it('lets a woken activity run to its next wait before time moves again', async () => {
    const world = new mar.World({ seed: 1 });
    const { env } = world.simulate();
    const seen: number[] = [];
    const ticker = async () => {
      for (let i = 0; i < 3; i++) {
        await env.clock.sleep(10);
        seen.push(env.clock.now());
      }
    };
    await Promise.all([ticker(), ticker()]);
    expect(seen).toEqual([10, 10, 20, 20, 30, 30]);
  });

  it('rejects negative, fractional and unsafe durations', async () => {
    const { env, control } = new mar.World({ seed: 1 }).simulate();
    expect(() => control.runFor(-1)).toThrow(/control.runFor: duration must be a non-negative safe integer of ns, got -1/);
    expect(() => control.runFor(1.5)).toThrow(mar.InvalidArgument);
    expect(() => env.clock.sleep(Number.MAX_SAFE_INTEGER + 1)).toThrow(mar.InvalidArgument);
  });

  it('stops with ClockOverflow instead of wrapping past Number.MAX_SAFE_INTEGER', async () => {
    const { control } = new mar.World({ seed: 1 }).simulate();
    await control.runFor(Number.MAX_SAFE_INTEGER - 10);
    expect(() => control.runFor(100)).toThrow(mar.ClockOverflow);
  });

  it('validates its options', () => {
    expect(() => new mar.World({ seed: 1, tickNs: 0 })).toThrow(/tickNs must be a positive safe integer, got 0/);
    expect(() => new mar.World({ seed: 1, maxEvents: -1 })).toThrow(/maxEvents/);
    expect(() => new mar.World({ seed: 'x' })).toThrow(mar.InvalidSeed);
  });

  it('builds its simulation only once', () => {
    const world = new mar.World({ seed: 1 });
    world.simulate();
    expect(() => world.simulate()).toThrow(mar.WorldMisuse);
  });
});

describe('World randomness', () => {
  it('traces every draw of the world and of env.random', () => {
    const world = new mar.World({ seed: 99 });
    const { env } = world.simulate();
    const a = world.randomIntLessThan(250);
    const b = world.randomBool();
    const c = world.randomU64();
    const d = env.random.intLessThan(250);
    const e = env.random.u64();
    const f = env.random.u32();
    const g = env.random.bool();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(250);
    expect(typeof c).toBe('bigint');
    expect(typeof e).toBe('bigint');
    expect(lines(world)).toEqual([
      `random.int bound=250 value=${a}`,
      `random.bool value=${b}`,
      `random.u64 value=${c}`,
      `random.int bound=250 value=${d}`,
      `random.u64 value=${e}`,
      `random.u32 value=${f}`,
      `random.bool value=${g}`,
    ]);
  });

  it('draws the same values for the same seed; untraced draws write nothing', () => {
    const a = new mar.World({ seed: 5 });
    const b = new mar.World({ seed: 5 });
    expect(a.untraced.u64()).toBe(b.randomU64());
    expect(a.untraced.intLessThan(1000)).toBe(b.randomIntLessThan(1000));
    expect(a.untraced.bool()).toBe(b.randomBool());
    expect(a.trace.eventCount).toBe(1);
  });
});

describe('BUGGIFY', () => {
  it('traces hook, rate, roll and verdict', () => {
    const world = new mar.World({ seed: 3 });
    const { env } = world.simulate();
    const fired = env.buggify('hook_name', mar.BuggifyRate.oneIn(10));
    const [line] = lines(world);
    const match = /^buggify hook=hook_name rate=1\/10 roll=(\d+) fired=(true|false)$/.exec(line!);
    expect(match).not.toBeNull();
    expect(match![2]).toBe(String(fired));
    expect(fired).toBe(Number(match![1]) >= 9);
  });

  it('never fires never() and always fires always()', () => {
    const { env } = new mar.World({ seed: 3 }).simulate();
    for (let i = 0; i < 50; i++) {
      expect(env.buggify('off', mar.BuggifyRate.never())).toBe(false);
      expect(env.buggify('on', mar.BuggifyRate.always())).toBe(true);
    }
  });

  it('fires at about its rate', () => {
    const { env } = new mar.World({ seed: 8 }).simulate();
    let fired = 0;
    for (let i = 0; i < 8000; i++) if (env.buggify('quarter', mar.BuggifyRate.percent(25))) fired++;
    expect(fired / 8000).toBeGreaterThan(0.23);
    expect(fired / 8000).toBeLessThan(0.27);
  });

  it.each([
    () => mar.BuggifyRate.percent(101),
    () => mar.BuggifyRate.percent(2.5),
    () => mar.BuggifyRate.oneIn(0),
    () => mar.BuggifyRate.ratio(3, 2),
    () => mar.BuggifyRate.ratio(1, 0),
    () => mar.BuggifyRate.ratio(-1, 2),
    () => mar.BuggifyRate.ratio(1, 2 ** 32 + 1),
  ])('rejects invalid rates with InvalidRate (%#)', (make) => {
    expect(make).toThrow(mar.InvalidRate);
  });

  it('rejects a bad rate or hook before any draw', () => {
    const world = new mar.World({ seed: 4 });
    const twin = new mar.World({ seed: 4 });
    const { env } = world.simulate();
    expect(() => env.buggify('hook', { numerator: 2, denominator: 1 } as never)).toThrow(mar.InvalidRate);
    expect(() => env.buggify('Bad-Hook', mar.BuggifyRate.always())).toThrow(/hook must be lowercase/);
    expect(world.trace.eventCount).toBe(1);
    expect(world.randomU64()).toBe(twin.randomU64());
  });

  it('names rates as numerator/denominator', () => {
    expect(String(mar.BuggifyRate.percent(30))).toBe('30/100');
    expect(String(mar.BuggifyRate.oneIn(8))).toBe('1/8');
    expect(String(mar.BuggifyRate.ratio(3, 7))).toBe('3/7');
    expect(String(mar.BuggifyRate.never())).toBe('0/1');
    expect(String(mar.BuggifyRate.always())).toBe('1/1');
  });
});

describe('production env', () => {
  it('has the same shape as the simulated env', () => {
    const simulated = new mar.World({ seed: 1 }).simulate().env;
    const production = mar.createProductionEnv();
    const shape = (env: mar.Env) => ({
      top: ['buggify', 'clock', 'random', 'record'].map((key) => typeof (env as unknown as Record<string, unknown>)[key]),
      clock: ['now', 'sleep'].map((key) => typeof (env.clock as unknown as Record<string, unknown>)[key]),
      random: ['u32', 'u64', 'intLessThan', 'bool'].map((key) => typeof (env.random as unknown as Record<string, unknown>)[key]),
    });
    expect(shape(production)).toEqual(shape(simulated));
  });

  it('never fires BUGGIFY but still validates its input', () => {
    const env = mar.createProductionEnv();
    expect(env.buggify('hook', mar.BuggifyRate.always())).toBe(false);
    expect(() => env.buggify('Bad', mar.BuggifyRate.always())).toThrow(mar.InvalidArgument);
  });

  it('validates records like the simulation and hands them to its sink', () => {
    const seen: string[] = [];
    const env = mar.createProductionEnv({ record: (line) => seen.push(line) });
    env.record('svc.start', { port: 8080, name: 'a b' });
    env.record('svc.raw k=v');
    expect(() => env.record('svc.bad k=a b')).toThrow(mar.InvalidTraceRecord);
    expect(seen).toEqual(['svc.start port=8080 name=a%20b', 'svc.raw k=v']);
  });

  it('draws a reproducible stream from an explicit seed and uses a real monotonic clock', async () => {
    const a = mar.createProductionEnv({ seed: 7 });
    const b = mar.createProductionEnv({ seed: 7 });
    expect(a.random.u64()).toBe(b.random.u64());
    const before = a.clock.now();
    await a.clock.sleep(2_000_000);
    expect(a.clock.now() - before).toBeGreaterThanOrEqual(1_000_000);
  });
});
