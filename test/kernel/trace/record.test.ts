import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

function freshWorld(): mar.World {
  return new mar.World({ seed: 1 });
}

function events(world: mar.World): mar.TraceEvent[] {
  return mar.parseTrace(world.trace.text());
}

describe('trace header and indexes', () => {
  it('starts with the header and world.init, and numbers events from 0', () => {
    const world = new mar.World({ seed: 12648430 });
    world.record('comp.first');
    world.record('comp.second');
    expect(world.trace.text()).toBe(
      'marionette.trace format=text version=0\n' +
        'event=0 world.init seed=12648430 start_ns=0 tick_ns=1000000\n' +
        'event=1 comp.first\n' +
        'event=2 comp.second\n',
    );
  });
});

describe('structured records', () => {
  it('writes fields in property order with typed scalars', () => {
    const world = freshWorld();
    world.record('queue.lease', { job: 7, worker: 1, deadline_ns: 5_000_000, big: 2n ** 64n, ok: true, ratio: 0.5 });
    expect(events(world).at(-1)).toEqual({
      index: 1,
      name: 'queue.lease',
      fields: { job: '7', worker: '1', deadline_ns: '5000000', big: '18446744073709551616', ok: 'true', ratio: '0.5' },
    });
  });

  it('percent-encodes ambiguous text and keeps readable ASCII', () => {
    const world = freshWorld();
    world.record('run.note', { label: 'scenario:smoke', message: 'a b=c%d\\e\nf' });
    expect(world.trace.text().split('\n')[2]).toBe('event=1 run.note label=scenario:smoke message=a%20b%3Dc%25d%5Ce%0Af');
  });

  it('round-trips any structured text values through the trace text', () => {
    const key = fc.stringMatching(/^[a-z0-9_]{1,8}$/);
    const value = fc.string({ unit: 'binary', minLength: 1 }).filter((s) => s.isWellFormed());
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (fields) => {
        const world = freshWorld();
        world.record('comp.action', fields);
        const [, event] = events(world);
        const decoded = Object.fromEntries(Object.entries(event!.fields).map(([k, v]) => [k, mar.decodeTraceText(v)]));
        expect(decoded).toEqual(fields);
      }),
    );
  });

  it.each([
    ['an empty text value', { a: '' }, /empty text/],
    ['an undefined value', { a: undefined }, /must be a string, number, bigint or boolean/],
    ['an object value', { a: { nested: 1 } }, /must be a string, number, bigint or boolean/],
    ['a lone surrogate', { a: '\ud800' }, /lone UTF-16 surrogate/],
    ['an uppercase key', { Bad: 1 }, /invalid field key "Bad"/],
    ['a key with a dash', { 'a-b': 1 }, /invalid field key/],
  ])('rejects %s and writes nothing', (_label, fields, message) => {
    const world = freshWorld();
    const before = world.trace.text();
    expect(() => world.record('comp.action', fields as never)).toThrow(mar.InvalidTraceRecord);
    expect(() => world.record('comp.action', fields as never)).toThrow(message);
    expect(world.trace.text()).toBe(before);
  });

  it.each(['Comp.action', 'comp', 'comp.', '.action', 'comp..action', 'comp.Action', 'comp action', 'buggify.', '1comp.a'])(
    'rejects the event name %j',
    (name) => {
      const world = freshWorld();
      expect(() => world.record(name, {})).toThrow(mar.InvalidTraceRecord);
      expect(world.trace.eventCount).toBe(1);
    },
  );

  it('accepts multi-part names and the bare name buggify', () => {
    const world = freshWorld();
    world.record('kv.recover.record', { offset: 16 });
    world.record('buggify', { hook: 'x' });
    expect(events(world).map((e) => e.name)).toEqual(['world.init', 'kv.recover.record', 'buggify']);
  });
});

describe('raw records', () => {
  it('writes a valid raw record unchanged', () => {
    const world = freshWorld();
    world.record('queue.timeout job=7 worker=1');
    world.record('net.note text=a%20b');
    expect(world.trace.text().split('\n').slice(2, 4)).toEqual(['event=1 queue.timeout job=7 worker=1', 'event=2 net.note text=a%20b']);
  });

  it.each([
    [' queue.timeout job=7', /leading, trailing or repeated space/],
    ['queue.timeout job=7 ', /leading, trailing or repeated space/],
    ['queue.timeout  job=7', /leading, trailing or repeated space/],
    ['queue.timeout job', /is not key=value/],
    ['queue.timeout =7', /is not key=value/],
    ['queue.timeout job=', /empty value/],
    ['queue.timeout job=a=b', /holds "="/],
    ['queue.timeout job=a\\b', /holds "="/],
    ['queue.timeout job=a\tb', /holds "="/],
    ['queue.timeout job=a\nb', /holds "="/],
    ['queue.timeout job=a\rb', /holds "="/],
    ['queue.timeout job=50%', /bare "%"/],
    ['queue.timeout job=é', /non-ASCII/],
    ['queue.timeout job=1 job=2', /repeated/],
    ['queue.timeout Job=1', /invalid field key/],
    ['Queue.timeout job=1', /invalid event name/],
  ])('rejects %j before writing anything', (raw, message) => {
    const world = freshWorld();
    const before = world.trace.text();
    expect(() => world.record(raw)).toThrow(mar.InvalidTraceRecord);
    expect(() => world.record(raw)).toThrow(message);
    expect(world.trace.text()).toBe(before);
  });
});

describe('typed run attributes', () => {
  it('writes the scalar type with the value and reads it back', () => {
    const cases: Array<[mar.AttributeValue, string]> = [
      [5, 'uint:5'],
      [-3, 'int:-3'],
      [2n ** 64n - 1n, 'uint:18446744073709551615'],
      [-(2n ** 63n), 'int:-9223372036854775808'],
      [1.5, 'float:1.5'],
      [true, 'bool:true'],
      ['smoke test', 'string:smoke%20test'],
      ['', 'string:'],
    ];
    for (const [value, text] of cases) {
      expect(mar.formatAttributeValue(value, 'test')).toBe(text);
      expect(mar.parseAttributeValue(text)).toEqual(value);
    }
  });

  it('round-trips any attribute value', () => {
    const value = fc.oneof(
      fc.string().filter((s) => s.isWellFormed()),
      fc.boolean(),
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
    );
    fc.assert(fc.property(value, (v) => Object.is(mar.parseAttributeValue(mar.formatAttributeValue(v, 'test')), v)));
  });

  it('rejects untyped text', () => {
    expect(() => mar.parseAttributeValue('5')).toThrow(mar.InvalidTrace);
    expect(() => mar.parseAttributeValue('uint:x')).toThrow(mar.InvalidTrace);
    expect(() => mar.parseAttributeValue('bool:yes')).toThrow(mar.InvalidTrace);
  });
});

describe('parseTrace', () => {
  it('rejects a missing header, a skipped index and a malformed field', () => {
    expect(() => mar.parseTrace('event=0 world.init seed=1\n')).toThrow(/first line/);
    expect(() => mar.parseTrace(`${mar.TRACE_HEADER}\nevent=1 comp.a\n`)).toThrow(/line 2 is not event=0/);
    expect(() => mar.parseTrace(`${mar.TRACE_HEADER}\nevent=0 comp.a k\n`)).toThrow(mar.InvalidTrace);
  });
});

describe('review regressions', () => {
  it('writes integer attributes past 2^53 in plain digits', () => {
    expect(mar.formatAttributeValue(1e21, 'test')).toBe('uint:1000000000000000000000');
    expect(mar.parseAttributeValue('uint:1000000000000000000000')).toBe(10n ** 21n);
  });

  it('rejects fields that are not a plain object', () => {
    const world = new mar.World({ seed: 1 });
    expect(() => world.record('a.b', 'xyz' as never)).toThrow(/fields must be a plain object/);
    expect(() => world.record('a.b', [1] as never)).toThrow(mar.InvalidTraceRecord);
  });

  it('rejects a named profile given straight to World', () => {
    expect(() => new mar.World({ seed: 1, profile: 'swarm' as never })).toThrow(/profile must be a profile object/);
    const world = new mar.World({ seed: 1, profile: { network: { dropRate: '1/2' } } as never });
    expect(world.profile.network.dropRate).toBe('1/2');
  });
});
