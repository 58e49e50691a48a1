import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { CoverageCollector } from '../../../src/harness/guided/coverage-points.js';
import { runOnce } from '../../../src/harness/run-once.js';
import { RecordingChoices, TapeChoices } from '../../../src/kernel/choice-tape.js';

/** A collector fed `bodies` in order, the decision count before body i being `decisions[i]`. */
function collect(bodies: readonly string[], decisions: readonly number[]): Map<string, number> {
  let made = 0;
  const collector = new CoverageCollector(() => made);
  bodies.forEach((body, i) => {
    made = decisions[i]!;
    collector.observe(body);
  });
  return collector.points;
}

describe('CoverageCollector', () => {
  it('builds pair points from run.begin on, assert points for sometimes and reachable, buggify points for fired hooks', () => {
    const points = collect(
      [
        'world.init seed=0 start_ns=0 tick_ns=1000000',
        'random.int bound=10 value=9',
        'assert.sometimes name=duplicate%20handshake n=3',
        'assert.reachable name=loop%20body',
        'buggify hook=slow_disk rate=1/2 roll=0 fired=true',
        'buggify hook=lost_ack rate=1/2 roll=1 fired=false',
        'control.calm',
      ],
      [0, 1, 1, 2, 3, 4, 4],
    );
    expect([...points]).toEqual([
      ['pair run.begin world.init', 0],
      ['pair world.init random.int', 1],
      ['pair random.int assert.sometimes', 1],
      ['assert duplicate%20handshake', 1],
      ['pair assert.sometimes assert.reachable', 2],
      ['assert loop%20body', 2],
      ['pair assert.reachable buggify', 3],
      ['buggify slow_disk', 3],
      ['pair buggify buggify', 4],
      ['pair buggify control.calm', 4],
    ]);
  });

  it('keeps the decision count of the first occurrence of a point only', () => {
    const points = collect(
      [
        'random.int bound=4 value=1',
        'random.int bound=4 value=2',
        'assert.sometimes name=seen',
        'random.int bound=4 value=3',
        'random.int bound=4 value=0',
        'assert.sometimes name=seen',
        'buggify hook=h rate=1/2 roll=0 fired=true',
        'buggify hook=h rate=1/2 roll=0 fired=true',
      ],
      [1, 2, 2, 3, 4, 4, 5, 6],
    );
    expect(points.get('pair run.begin random.int')).toBe(1);
    expect(points.get('pair random.int random.int')).toBe(2); // seen again at 4: still 2
    expect(points.get('pair random.int assert.sometimes')).toBe(2); // again at 4
    expect(points.get('pair assert.sometimes random.int')).toBe(3);
    expect(points.get('assert seen')).toBe(2);
    expect(points.get('buggify h')).toBe(5);
    expect(points.get('pair buggify buggify')).toBe(6);
  });

  it('makes no assert point of other assert events, and no buggify point of a hook that did not fire', () => {
    const points = collect(
      [
        'assert.fail name=under%20the%20limit kind=always n=5',
        'buggify hook=off rate=1/2 roll=disabled fired=false',
        'buggify.hook hook=on enabled=true',
        'buggify hook=on rate=1/3 roll=2 fired=false',
        'assert.sometimesish name=x',
      ],
      [0, 0, 0, 1, 1],
    );
    expect([...points.keys()].filter((p) => !p.startsWith('pair '))).toEqual([]);
    expect([...points.keys()]).toEqual([
      'pair run.begin assert.fail',
      'pair assert.fail buggify',
      'pair buggify buggify.hook',
      'pair buggify.hook buggify',
      'pair buggify assert.sometimesish',
    ]);
  });

  it('has exactly the consecutive name pairs (from run.begin), each at its first occurrence (property)', () => {
    const name = fc.constantFrom('a.x', 'b.y', 'c.z', 'control.calm');
    const event = fc.tuple(name, fc.constantFrom('', ' k=1', ' k=2 m=x'), fc.nat(3));
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const bodies = events.map(([n, fields]) => n + fields);
        const decisions: number[] = [];
        let made = 0;
        for (const [, , step] of events) decisions.push((made += step));
        const points = collect(bodies, decisions);
        const expected = new Map<string, number>();
        let previous = 'run.begin';
        events.forEach(([n], i) => {
          const pair = `pair ${previous} ${n}`;
          if (!expected.has(pair)) expected.set(pair, decisions[i]!);
          previous = n;
        });
        expect([...points]).toEqual([...expected]);
      }),
    );
  });
});

/** A tiny case: decisions, BUGGIFY hooks that fire or not, a sometimes and a reachable. */
const tiny = mar.defineCase({
  name: 'coverage tiny',
  init: (world) => world.simulate(),
  scenario(sim) {
    let total = 0;
    for (let i = 0; i < 6; i++) {
      total += sim.env.random.intLessThan(4);
      if (sim.env.buggify(`hook_${i % 3}`, mar.BuggifyRate.ratio(1, 2))) sim.env.record('tiny.fault', { i });
      sim.env.sometimes('total over 6', total > 6, { total });
    }
    sim.env.reachable('the end');
  },
});

describe('coverage through runOnce (observeEvents)', () => {
  it('sees every event body of the trace, and notes each point with the decisions made up to its first event', async () => {
    let sawSometimes = false;
    let sawFired = false;
    let sawUnfired = false;
    for (let seed = 0n; seed < 12n; seed++) {
      const recorder = new RecordingChoices(mar.Prng.fromSeed(seed));
      const collector = new CoverageCollector(() => recorder.values.length);
      const observed: string[] = [];
      const outcome = await runOnce(tiny, {
        seed,
        choices: recorder,
        observeEvents: (body) => {
          observed.push(body);
          collector.observe(body);
        },
      });
      expect(outcome.failure).toBeUndefined();
      const bodies = outcome.trace.trimEnd().split('\n').slice(1).map((line) => line.replace(/^event=\d+ /, ''));
      expect(observed).toEqual(bodies);
      // The run is a fresh seed: its trace is the same as without an observer.
      expect(outcome.trace).toBe((await runOnce(tiny, { seed })).trace);

      // Independently of the collector: every decision of this case is traced on its own event
      // (random.int, or a buggify roll), so the decisions made by event i are those events up to i.
      const events = mar.parseTrace(outcome.trace);
      let decisions = 0;
      let previous = 'run.begin';
      const expected = new Map<string, number>();
      const note = (point: string) => {
        if (!expected.has(point)) expected.set(point, decisions);
      };
      for (const event of events) {
        if (event.name === 'random.int' || (event.name === 'buggify' && event.fields.roll !== 'disabled')) decisions++;
        note(`pair ${previous} ${event.name}`);
        previous = event.name;
        if (event.name === 'assert.sometimes' || event.name === 'assert.reachable') note(`assert ${event.fields.name}`);
        if (event.name === 'buggify' && event.fields.fired === 'true') note(`buggify ${event.fields.hook}`);
      }
      expect(decisions).toBe(recorder.values.length);
      expect([...collector.points]).toEqual([...expected]);

      expect(collector.points.get('pair run.begin world.init')).toBe(0);
      expect(collector.points.get('assert the%20end')).toBe(recorder.values.length);
      const hit = outcome.assertionHits.some((h) => h.name === 'total over 6');
      expect(collector.points.has('assert total%20over%206')).toBe(hit);
      sawSometimes ||= hit;
      for (const event of events.filter((e) => e.name === 'buggify')) {
        expect(collector.points.has(`buggify ${event.fields.hook}`)).toBe(events.some((e) => e.name === 'buggify' && e.fields.hook === event.fields.hook && e.fields.fired === 'true'));
        if (event.fields.fired === 'true') sawFired = true;
        else sawUnfired = true;
      }
    }
    // The seeds exercised every branch above.
    expect([sawSometimes, sawFired, sawUnfired]).toEqual([true, true, true]);
  });

  it('counts the sometimes point at the decision that made its condition true', async () => {
    // Decisions 3, 3, 3 (tape of a replay) make total 9 > 6 after the third random.int draw.
    const tape = new TapeChoices([3, 1, 3, 1, 3, 1, 0, 1, 0, 1, 0, 1]); // value, then roll, per step
    const collector = new CoverageCollector(() => tape.used.length);
    await runOnce(tiny, { seed: 5n, choices: tape, observeEvents: collector.observe });
    // Step 3's decisions are the 5th (value 3) and 6th (roll); the sometimes comes after both.
    expect(collector.points.get('assert total%20over%206')).toBe(6);
    expect(collector.points.get('pair run.begin world.init')).toBe(0);
  });
});

describe('CoverageCollector across runs', () => {
  it('notes every pair again in a new run: what one run saw does not hide it from the next', () => {
    const bodies = ['a.x k=1', 'b.y', 'a.x', 'b.y'];
    const first = collect(bodies, [0, 1, 2, 3]);
    const second = collect(bodies, [5, 6, 7, 8]);
    expect([...first]).toEqual([['pair run.begin a.x', 0], ['pair a.x b.y', 1], ['pair b.y a.x', 2]]);
    expect([...second]).toEqual([['pair run.begin a.x', 5], ['pair a.x b.y', 6], ['pair b.y a.x', 7]]);
  });

  it('still covers pairs, each at its first occurrence, past the number of names it numbers (2^16)', () => {
    // Last in this file: the numbering is per module instance (vitest isolates files), and this fills it.
    const many = Array.from({ length: (1 << 16) + 10 }, (_, i) => `many.n${i}`);
    const filled = collect(many, many.map((_, i) => i));
    expect(filled.size).toBe(many.length);
    expect(filled.get(`pair many.n${many.length - 2} many.n${many.length - 1}`)).toBe(many.length - 1);
    // New names now take the slower path; numbered and unnumbered names mix.
    const points = collect(['late.a', 'late.b', 'late.a', 'late.b', 'many.n0', 'late.a', 'many.n0', 'many.n1', 'many.n0', 'many.n1'], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...points]).toEqual([
      ['pair run.begin late.a', 0],
      ['pair late.a late.b', 1],
      ['pair late.b late.a', 2],
      ['pair late.b many.n0', 4],
      ['pair many.n0 late.a', 5],
      ['pair late.a many.n0', 6],
      ['pair many.n0 many.n1', 7],
      ['pair many.n1 many.n0', 8],
    ]);
  });
});
