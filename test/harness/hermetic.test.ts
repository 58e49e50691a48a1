import * as mar from 'marionette-sim';
import { createRequire } from 'node:module';
import nodeCrypto, { randomBytes, randomInt, randomUUID } from 'node:crypto';
import timers, { setTimeout as timersSetTimeout } from 'node:timers';
import { setTimeout as sleep, setInterval as every, scheduler } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** Every global a hermetic world takes over, as it is outside worlds. */
function globalsNow() {
  return {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    setImmediate: globalThis.setImmediate,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
    clearImmediate: globalThis.clearImmediate,
    Date: globalThis.Date,
    dateNow: globalThis.Date.now,
    mathRandom: Math.random,
    performanceNow: performance.now,
    ownPerformanceNow: Object.prototype.hasOwnProperty.call(performance, 'now'),
    prototypePerformanceNow: Object.getPrototypeOf(performance).now,
    hrtime: process.hrtime,
    fetch: globalThis.fetch,
    abortSignalTimeout: AbortSignal.timeout,
  };
}
const ORIGINALS = globalsNow();

/** A case that records what the code under test sees through each unmodified API. */
function observing(name: string, body: (record: (what: string, value: string | number | bigint | boolean) => void) => Promise<void> | void) {
  return mar.defineCase({
    name,
    init: (world) => world.simulate(),
    async scenario(sim) {
      await body((what, value) => sim.env.record('seen.value', { what, value }));
    },
  });
}

function seen(report: mar.RunReport): Record<string, string> {
  const out: Record<string, string> = {};
  for (const event of mar.parseTrace(report.trace)) if (event.name === 'seen.value') out[event.fields.what!] = event.fields.value!;
  return out;
}

describe('hermetic worlds: time', () => {
  const timeCase = observing('time', async (record) => {
    record('date_now', Date.now());
    record('new_date', new Date().toISOString());
    record('date_call', Date());
    record('performance_now', performance.now());
    record('hrtime_bigint', process.hrtime.bigint());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    record('date_after_1500ms', Date.now());
    record('performance_after', performance.now());
    record('hrtime_after', process.hrtime().join(':'));
    const start = process.hrtime();
    await sleep(250);
    record('hrtime_diff', process.hrtime(start).join(':'));
    record('real_date_args', new Date(2001, 1, 3, 4, 5, 6).getMonth());
    record('instanceof', new Date() instanceof Date && ORIGINALS.Date.prototype === Date.prototype);
  });

  it('gives Date (from a fixed epoch), performance.now and process.hrtime (from 1 s) the world clock', async () => {
    expect(mar.MONOTONIC_ORIGIN_NS).toBe(1_000_000_000);
    const report = await mar.runCase(timeCase, { seed: 1 });
    expect(report.passed).toBe(true);
    expect(seen(report)).toEqual({
      date_now: '1577836800000',
      new_date: '2020-01-01T00:00:00.000Z',
      date_call: mar.encodeTraceText(new ORIGINALS.Date(1577836800000).toString()),
      performance_now: '1000',
      hrtime_bigint: '1000000000',
      date_after_1500ms: '1577836801500',
      performance_after: '2500',
      hrtime_after: '2:500000000',
      hrtime_diff: '0:250000000',
      real_date_args: '1',
      instanceof: 'true',
    });
  });

  it('takes the epoch from the case', async () => {
    const c = mar.defineCase({
      name: 'epoch',
      epochMs: 0,
      init: (world) => world.simulate(),
      scenario: (sim) => sim.env.record('seen.value', { what: 'now', value: Date.now() }),
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ now: '0' });
    expect(mar.DEFAULT_EPOCH_MS).toBe(Date.UTC(2020, 0, 1));
  });
});

describe('hermetic worlds: timers from every entry point', () => {
  const cjsTimers = require('node:timers') as typeof timers;
  const cjsPromises = require('node:timers/promises') as typeof import('node:timers/promises');

  const timerCase = observing('timers', async (record) => {
    const at = () => Number(process.hrtime.bigint() / 1_000_000n) - 1000; // ms since the world started
    const order: string[] = [];
    await Promise.all([
      new Promise<void>((resolve) => globalThis.setTimeout(() => (order.push(`global@${at()}`), resolve()), 30)),
      new Promise<void>((resolve) => timers.setTimeout(() => (order.push(`esm-default@${at()}`), resolve()), 20)),
      new Promise<void>((resolve) => timersSetTimeout(() => (order.push(`esm-named@${at()}`), resolve()), 10)),
      new Promise<void>((resolve) => cjsTimers.setTimeout(() => (order.push(`cjs@${at()}`), resolve()), 40)),
      sleep(50).then(() => order.push(`promises@${at()}`)),
      cjsPromises.setTimeout(60).then(() => order.push(`cjs-promises@${at()}`)),
      scheduler.wait(70).then(() => order.push(`scheduler.wait@${at()}`)),
      promisify(setTimeout)(80).then(() => order.push(`promisify@${at()}`)),
      import('node:timers/promises').then(async (late) => {
        await late.setTimeout(90);
        order.push(`imported-in-world@${at()}`);
      }),
      new Promise<void>((resolve) => setImmediate(() => (order.push(`immediate@${at()}`), resolve()))),
    ]);
    record('order', order.join(','));
    const ticks: number[] = [];
    for await (const _ of every(100)) {
      ticks.push(at());
      if (ticks.length === 3) break;
    }
    record('interval_iterator', ticks.join(','));
    let count = 0;
    const interval = setInterval(() => {
      if (++count === 4) clearInterval(interval);
    }, 5);
    await sleep(100);
    record('interval_count', count);
    const cancelled = setTimeout(() => record('cancelled_fired', true), 1);
    clearTimeout(+cancelled);
    record('timeout_id', typeof +cancelled);
    await sleep(2);
  });

  it('puts globals, node:timers and node:timers/promises (ESM, CJS, before and after the world started) on the world clock', async () => {
    const report = await mar.runCase(timerCase, { seed: 7 });
    expect(report.passed).toBe(true);
    expect(seen(report)).toEqual({
      order:
        'immediate@0,esm-named@10,esm-default@20,global@30,cjs@40,promises@50,cjs-promises@60,scheduler.wait@70,promisify@80,imported-in-world@90',
      interval_iterator: '190,290,390',
      interval_count: '4',
      timeout_id: 'number',
    });
  });

  it('follows Node on delays: whole ms, and 0, negative or huge delays mean 1 ms', async () => {
    const c = observing('delays', async (record) => {
      for (const delay of [0, -5, 2.9, 2 ** 31, Number.NaN]) {
        const before = performance.now();
        await new Promise((resolve) => setTimeout(resolve, delay));
        record(`delay_${String(delay).replace(/[^a-z0-9]/gi, '_')}`, performance.now() - before);
      }
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ delay_0: '1', delay__5: '1', delay_2_9: '2', delay_2147483648: '1', delay_NaN: '1' });
  });

  it('calls callbacks with the timer as this and the extra arguments, as Node does', async () => {
    const c = observing('callback this', async (record) => {
      await new Promise<void>((resolve) => {
        const timer: ReturnType<typeof setTimeout> = setTimeout(
          function (this: unknown, a: string, b: number) {
            record('this_is_timer', this === timer);
            record('args', `${a}${b}`);
            resolve();
          },
          1,
          'x',
          2,
        );
      });
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ this_is_timer: 'true', args: 'x2' });
  });

  it('runs the microtasks of each timer callback before the next timer due at the same instant, as Node does', async () => {
    const c = observing('timer order', async (record) => {
      const log: string[] = [];
      await new Promise<void>((resolve) => {
        setTimeout(() => {
          log.push('t1');
          void Promise.resolve().then(() => log.push('t1-micro'));
          setImmediate(() => log.push('imm'));
        }, 1);
        setTimeout(() => log.push('t2'), 1);
        setTimeout(resolve, 20);
      });
      record('order', log.join(','));
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ order: 't1,t1-micro,t2,imm' });
  });

  it('keeps a cleared timer cleared: refresh does not revive it', async () => {
    const c = observing('refresh after clear', async (record) => {
      let fired = 0;
      const interval = setInterval(() => {
        if (++fired === 2) {
          clearInterval(interval);
          interval.refresh();
        }
      }, 10);
      const timeout = setTimeout(() => record('cleared_fired', true), 10);
      clearTimeout(timeout);
      timeout.refresh();
      await sleep(200);
      record('interval_fired', fired);
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ interval_fired: '2' });
  });

  it('starts a timers/promises interval at the first next(), and ends it on return()', async () => {
    const c = observing('interval iterator start', async (record) => {
      const start = performance.now();
      const ticks = every(100);
      await sleep(50);
      await ticks.next();
      record('first_tick_after_ms', performance.now() - start);
      await ticks.return?.();
      record('done_after_return', (await ticks.next()).done === true);
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ first_tick_after_ms: '150', done_after_return: 'true' });
  });

  it('clears, from inside a world, a real timer set before the world started', async () => {
    let fired = 0;
    const realInterval = setInterval(() => fired++, 2);
    try {
      const c = observing('clears a real timer', () => clearInterval(realInterval));
      expect((await mar.runCase(c, { seed: 1 })).passed).toBe(true);
      const before = fired;
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fired).toBe(before);
    } finally {
      clearInterval(realInterval);
    }
  });

  it('calls a world stalled when only unref-ed timers are left, as a Node process would exit', async () => {
    const c = observing('unref', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10).unref());
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('stalled');
    expect(report.finalNs).toBe(0);
  });

  it('fires an unref-ed timer while something else keeps the world busy, and honours ref() again', async () => {
    const c = observing('unref busy', async (record) => {
      let fired = false;
      setTimeout(() => (fired = true), 10).unref();
      await sleep(20);
      record('unrefed_fired', fired);
      await new Promise((resolve) => setTimeout(resolve, 10).unref().ref());
      record('refed_again', true);
    });
    expect(seen(await mar.runCase(c, { seed: 1 }))).toEqual({ unrefed_fired: 'true', refed_again: 'true' });
  });

  it('fails the run with the error a timer callback throws, as an uncaught exception would', async () => {
    class TimerBoom extends Error {
      override name = 'TimerBoom';
    }
    const c = observing('throwing timer', async () => {
      setTimeout(() => {
        throw new TimerBoom('from a callback');
      }, 5);
      await sleep(10);
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.signature).toBe('scenario_error|-|TimerBoom');
    expect(report.errorMessage).toBe('from a callback');
  });

  it('stops an interval nobody clears at maxSteps', async () => {
    const c = mar.defineCase({
      name: 'endless interval',
      maxSteps: 1000,
      init: (world) => world.simulate(),
      async scenario() {
        setInterval(() => {}, 1);
        await new Promise(() => {});
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.signature).toBe('scenario_error|-|StepLimitExceeded');
    // The interval fired 1000 times (at 1..1000 ms); the 1001st firing, at 1001 ms, stops the world.
    expect(report.finalNs).toBe(1001 * 1_000_000);
  });
});

describe('hermetic worlds: randomness', () => {
  const randomCase = observing('random', async (record) => {
    record('math_random', Math.random());
    record('uuid', randomUUID());
    record('global_uuid', globalThis.crypto.randomUUID());
    record('get_random_values', Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(6))).toString('hex'));
    record('node_get_random_values', Buffer.from(nodeCrypto.getRandomValues(new Uint8Array(6))).toString('hex'));
    record('random_bytes', randomBytes(5).toString('hex'));
    record('random_int', randomInt(10, 20));
    record('random_fill_sync', Buffer.from(nodeCrypto.randomFillSync(new Uint8Array(3))).toString('hex'));
    record('async_random_bytes', await new Promise<string>((resolve, reject) => randomBytes(4, (error, bytes) => (error ? reject(error) : resolve(bytes.toString('hex'))))));
  });

  it('draws Math.random and crypto randomness from the world: identical for a seed, different across seeds', async () => {
    const a = await mar.runCase(randomCase, { seed: 11 });
    const again = await mar.runCase(randomCase, { seed: 11 });
    const b = await mar.runCase(randomCase, { seed: 12 });
    expect(a.passed).toBe(true);
    expect(again.trace).toBe(a.trace);
    const valuesA = seen(a);
    const valuesB = seen(b);
    expect(Object.keys(valuesA)).toHaveLength(9);
    for (const key of Object.keys(valuesA)) expect(valuesB[key], key).not.toBe(valuesA[key]);
    expect(valuesA.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number(valuesA.math_random)).toBeGreaterThanOrEqual(0);
    expect(Number(valuesA.math_random)).toBeLessThan(1);
    expect(Number(valuesA.random_int)).toBeGreaterThanOrEqual(10);
    expect(Number(valuesA.random_int)).toBeLessThan(20);
  });

  it('pins the first Math.random of seed 11 (the world draws an integer below 2^53 and scales it)', async () => {
    const expected = mar.Prng.fromSeed(11n).intLessThan(2 ** 53) / 2 ** 53;
    expect(Number(seen(await mar.runCase(randomCase, { seed: 11 })).math_random)).toBe(expected);
  });

  it('puts global randomness on the choice tape, so an edited tape changes it', async () => {
    const { runOnce } = await import('../../src/harness/run-once.js');
    const { TapeChoices } = await import('../../src/kernel/choice-tape.js');
    const zeros = await runOnce(randomCase, { seed: 11n, choices: new TapeChoices([]) });
    const values = Object.fromEntries(mar.parseTrace(zeros.trace).filter((e) => e.name === 'seen.value').map((e) => [e.fields.what, e.fields.value]));
    expect(values.math_random).toBe('0');
    expect(values.random_bytes).toBe('0000000000');
    expect(values.random_int).toBe('10');
  });
});

describe('hermetic worlds: real I/O', () => {
  const calls: Array<[string, () => unknown]> = [
    ['fetch', () => fetch('http://127.0.0.1:9/')],
    ['net.connect', () => require('node:net').connect(9, '127.0.0.1')],
    ['net.createConnection', () => require('node:net').createConnection(9, '127.0.0.1')],
    ['dgram.createSocket', () => require('node:dgram').createSocket('udp4')],
    ['http.request', () => require('node:http').request('http://127.0.0.1:9/')],
    ['http.get', () => require('node:http').get('http://127.0.0.1:9/')],
    ['https.request', () => require('node:https').request('https://127.0.0.1:9/')],
    ['https.get', () => require('node:https').get('https://127.0.0.1:9/')],
  ];

  it.each(calls)('fails the run at once naming %s, even when the code catches the error', async (call, io) => {
    const c = observing(`real ${call}`, async (record) => {
      try {
        await io();
      } catch {
        record('caught', true); // a retry loop that swallows errors must not hide it
      }
      await sleep(5);
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.errorName).toBe('RealIoInWorld');
    expect(report.errorMessage).toMatch(new RegExp(`^${call.replace('.', '\\.')}: real network I/O inside a simulated world`));
    expect(report.finalNs).toBe(0);
  });
});

describe('hermetic worlds: the process outside them', () => {
  it('restores every global after a passing run, a failing run and a run stopped by a limit', async () => {
    const failing = observing('fails', () => {
      throw new Error('boom');
    });
    const runaway = mar.defineCase({
      name: 'runaway',
      maxEvents: 40,
      init: (world) => world.simulate(),
      async scenario(sim) {
        for (;;) await new Promise<void>((resolve) => setTimeout(() => (sim.env.record('loop.step'), resolve()), 1));
      },
    });
    const passing = observing('passes', () => {});
    expect((await mar.runCase(passing, { seed: 1 })).passed).toBe(true);
    expect(globalsNow()).toEqual(ORIGINALS);
    expect((await mar.runCase(failing, { seed: 1 })).kind).toBe('scenario_error');
    expect(globalsNow()).toEqual(ORIGINALS);
    expect((await mar.runCase(runaway, { seed: 1 })).errorName).toBe('EventLimitExceeded');
    expect(globalsNow()).toEqual(ORIGINALS);
    expect(Date.now()).toBeGreaterThan(Date.UTC(2026, 0, 1));
  });

  it('leaves module functions real outside a world (they only dispatch inside one)', async () => {
    const before = Date.now();
    await new Promise((resolve) => timers.setTimeout(resolve, 5));
    expect(Date.now() - before).toBeGreaterThanOrEqual(4);
    expect(randomUUID()).not.toBe(randomUUID());
  });

  it('runs two hermetic runs started together one after the other, each deterministic', async () => {
    const c = observing('concurrent', async (record) => {
      await sleep(10);
      record('random', Math.random());
      await sleep(10);
      record('now', Date.now());
    });
    const [a, b] = await Promise.all([mar.runCase(c, { seed: 5 }), mar.runCase(c, { seed: 6 })]);
    const [a2] = await Promise.all([mar.runCase(c, { seed: 5 })]);
    expect(a.passed && b.passed).toBe(true);
    expect(a.trace).toBe(a2.trace);
    expect(seen(a).now).toBe('1577836800020');
    expect(seen(a).random).not.toBe(seen(b).random);
  });

  it('runs a world beside another one (hermetic or not) exactly as alone: runs take turns', async () => {
    const hermetic = observing('drawing', async (record) => {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        record(`draw_${i}`, Math.random());
      }
    });
    const plain = mar.defineCase({
      name: 'plain draws',
      hermetic: false,
      init: () => 0,
      async scenario() {
        for (let i = 0; i < 3; i++) {
          await Promise.resolve();
          Math.random();
        }
      },
    });
    const alone = await mar.runCase(hermetic, { seed: 7 });
    const [beside] = await Promise.all([mar.runCase(hermetic, { seed: 7 }), mar.runCase(plain, { seed: 1 })]);
    expect(beside.trace).toBe(alone.trace);
  });

  it('lets the caller of a finished run carry on with the original globals while the next waits its turn', async () => {
    const c = observing('short', async () => {
      await sleep(1);
    });
    const seenAfterFirst: boolean[] = [];
    await Promise.all([mar.runCase(c, { seed: 1 }).then(() => seenAfterFirst.push(globalThis.setTimeout === ORIGINALS.setTimeout)), mar.runCase(c, { seed: 2 })]);
    expect(seenAfterFirst).toEqual([true]);
  });

  it('leaves globals real with hermetic: false', async () => {
    const c = mar.defineCase({
      name: 'not hermetic',
      hermetic: false,
      init: (world) => world.simulate(),
      scenario: (sim) => sim.env.record('seen.value', { what: 'now', value: Date.now() }),
    });
    expect(Number(seen(await mar.runCase(c, { seed: 1 })).now)).toBeGreaterThan(Date.UTC(2026, 0, 1));
  });
});
