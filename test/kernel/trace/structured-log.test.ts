import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { EventLimitExceeded, InvalidTraceRecord } from '../../../src/kernel/errors.js';
import { encodeTraceText } from '../../../src/kernel/trace/escape.js';
import { EventFormat, MAX_EVENT_VALUES, eventFormat } from '../../../src/kernel/trace/event-format.js';
import { formatStructuredFields, type TraceFields } from '../../../src/kernel/trace/record-format.js';
import { TRACE_HEADER, Trace } from '../../../src/kernel/trace/trace.js';

const HEADER = 'marionette.trace format=text version=0\n';
const SLEEP = eventFormat`clock.sleep duration_ns=${'d'} wake_ns=${'w'}`;

/** Calls `f` and returns what it throws (fails the test when it returns). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The lines of `text()` after the header. */
function eventLines(trace: Trace): string {
  const text = trace.text();
  expect(text.startsWith(HEADER)).toBe(true);
  return text.slice(HEADER.length);
}

describe('eventFormat', () => {
  it('has one slot per template value and writes the values in place', () => {
    expect(SLEEP).toBeInstanceOf(EventFormat);
    expect(SLEEP.arity).toBe(2);
    expect(SLEEP.parts).toEqual(['clock.sleep duration_ns=', ' wake_ns=', '']);
    expect(SLEEP.write([5, 10], 0)).toBe('clock.sleep duration_ns=5 wake_ns=10');
    // `start` is where the values begin: the log keeps the format itself just before them.
    expect(SLEEP.write([SLEEP, 5, 10], 1)).toBe('clock.sleep duration_ns=5 wake_ns=10');
    expect(SLEEP.write(['x', 'y', 'z', 7, 8, 'w'], 3)).toBe('clock.sleep duration_ns=7 wake_ns=8');
  });

  it('keeps the fixed text between and after the slots', () => {
    const fault = eventFormat`disk.fault op=${'op'} rate=${'n'}/${'d'} fired=${'f'} status=ok`;
    expect(fault.arity).toBe(4);
    expect(fault.write([3, 1, 8, true], 0)).toBe('disk.fault op=3 rate=1/8 fired=true status=ok');
  });

  it('writes a format with no slots as its fixed text', () => {
    const plain = eventFormat`host.stop`;
    expect(plain.arity).toBe(0);
    expect(plain.write([], 0)).toBe('host.stop');
    expect(plain.write([plain, 'ignored'], 1)).toBe('host.stop');
    const fixed = eventFormat`buggify hook=fixed fired=false`;
    expect(fixed.arity).toBe(0);
    expect(fixed.write([], 0)).toBe('buggify hook=fixed fired=false');
  });

  it.each<[string, unknown, string]>([
    ['a small number', 5, '5'],
    ['zero', 0, '0'],
    ['a negative number', -7, '-7'],
    ['2^31', 2 ** 31, '2147483648'],
    ['a number above 2^32', 2 ** 40 + 3, '1099511627779'],
    ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['a fraction', 0.5, '0.5'],
    ['a bigint above 2^64', 2n ** 64n, '18446744073709551616'],
    ['a negative bigint', -3n, '-3'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['a string', 'scenario:smoke', 'scenario:smoke'],
    ['an already encoded string', 'a%20b', 'a%20b'],
    ['a string with spaces, verbatim (write does not encode)', ' a b ', ' a b '],
  ])('writes %s as String() writes it', (_label, value, text) => {
    const format = eventFormat`comp.value v=${'v'} end=${'e'}`;
    expect(format.write([value, 1], 0)).toBe(`comp.value v=${text} end=1`);
    expect(String(value)).toBe(text);
  });

  it('rejects a format whose event name is invalid, naming the name', () => {
    const error = thrown(() => eventFormat`Bad.Name x=${'x'}`);
    expect(error).toBeInstanceOf(InvalidTraceRecord);
    expect((error as Error).name).toBe('InvalidTraceRecord');
    expect((error as Error).message).toBe(
      'eventFormat: invalid event name "Bad.Name": expected component.action in lowercase words joined by "_"',
    );
  });

  it.each([
    ['a name without a component', () => eventFormat`sleep x=${'x'}`, '"sleep"'],
    ['a name with a dash', () => eventFormat`clock.sl-eep`, '"clock.sl-eep"'],
    ['a leading space', () => eventFormat` clock.sleep x=${'x'}`, '""'],
    ['a slot in place of the name', () => eventFormat`${'name'} x=1`, '""'],
  ])('rejects %s', (_label, make, described) => {
    const error = thrown(make);
    expect(error).toBeInstanceOf(InvalidTraceRecord);
    expect((error as Error).message).toBe(
      `eventFormat: invalid event name ${described}: expected component.action in lowercase words joined by "_"`,
    );
  });

  it(`accepts exactly MAX_EVENT_VALUES (${MAX_EVENT_VALUES}) slots and rejects one more`, () => {
    expect(MAX_EVENT_VALUES).toBe(8);
    const eight = eventFormat`comp.many a=${'a'} b=${'b'} c=${'c'} d=${'d'} e=${'e'} f=${'f'} g=${'g'} h=${'h'}`;
    expect(eight.arity).toBe(8);
    expect(eight.write([1, 2, 3, 4, 5, 6, 7, 8], 0)).toBe('comp.many a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8');

    const error = thrown(() => eventFormat`comp.many a=${'a'} b=${'b'} c=${'c'} d=${'d'} e=${'e'} f=${'f'} g=${'g'} h=${'h'} i=${'i'}`);
    expect((error as Error).name).toBe('InvalidArgument');
    expect((error as Error).message).toBe('eventFormat: comp.many a= has 9 values; the most is 8');
  });

  it('withFixedFields inserts the fields right after the event name of a head with fields', () => {
    const tagged = SLEEP.withFixedFields(' host=2');
    expect(tagged).not.toBe(SLEEP);
    expect(tagged.arity).toBe(2);
    expect(tagged.write([5, 10], 0)).toBe('clock.sleep host=2 duration_ns=5 wake_ns=10');
    // The original is unchanged.
    expect(SLEEP.write([5, 10], 0)).toBe('clock.sleep duration_ns=5 wake_ns=10');
  });

  it('withFixedFields appends the fields to a head without a space', () => {
    const plain = eventFormat`disk.crash`;
    const tagged = plain.withFixedFields(' host=2');
    expect(tagged.arity).toBe(0);
    expect(tagged.write([], 0)).toBe('disk.crash host=2');
    expect(plain.write([], 0)).toBe('disk.crash');

    // A head that is only the name, followed at once by a slot.
    const glued = eventFormat`disk.op${'x'} end=${'y'}`;
    expect(glued.withFixedFields(' host=2').write(['!', 3], 0)).toBe('disk.op host=2! end=3');
  });

  it('withFixedFields keeps later parts, and composes', () => {
    const fault = eventFormat`disk.fault op=${'op'} rate=${'n'}/${'d'}`;
    const twice = fault.withFixedFields(' host=2').withFixedFields(' lane=a');
    expect(twice.write([1, 3, 4], 0)).toBe('disk.fault lane=a host=2 op=1 rate=3/4');
  });

  it("withFixedFields('') returns the same format", () => {
    expect(SLEEP.withFixedFields('')).toBe(SLEEP);
    const plain = eventFormat`disk.crash`;
    expect(plain.withFixedFields('')).toBe(plain);
  });
});

describe('Trace: library events', () => {
  it('appendEvent writes the same text as append of the hand-formatted body', () => {
    const byEvent = new Trace(100);
    const byText = new Trace(100);
    const fault = eventFormat`disk.fault op=${'op'} path=${'path'} rate=${'n'}/${'d'} roll=${'roll'} fired=${'fired'}`;
    const stop = eventFormat`host.stop`;
    const tagged = fault.withFixedFields(' host=3');

    byEvent.appendEvent(SLEEP, 5, 10);
    byEvent.appendEvent(stop);
    byEvent.appendEvent(fault, 0, '/data/a', 1, 8, 2 ** 40, false);
    byEvent.appendEvent(tagged, 7n, 'wal', 3, 4, -1, true);
    byEvent.appendEvent(SLEEP, 0, 2 ** 53 - 1);

    byText.append('clock.sleep duration_ns=5 wake_ns=10');
    byText.append('host.stop');
    byText.append('disk.fault op=0 path=/data/a rate=1/8 roll=1099511627776 fired=false');
    byText.append('disk.fault host=3 op=7 path=wal rate=3/4 roll=-1 fired=true');
    byText.append('clock.sleep duration_ns=0 wake_ns=9007199254740991');

    const expected =
      HEADER +
      'event=0 clock.sleep duration_ns=5 wake_ns=10\n' +
      'event=1 host.stop\n' +
      'event=2 disk.fault op=0 path=/data/a rate=1/8 roll=1099511627776 fired=false\n' +
      'event=3 disk.fault host=3 op=7 path=wal rate=3/4 roll=-1 fired=true\n' +
      'event=4 clock.sleep duration_ns=0 wake_ns=9007199254740991\n';
    expect(byEvent.text()).toBe(expected);
    expect(byText.text()).toBe(expected);
    expect(byEvent.eventCount).toBe(5);
  });

  it('appendEvent carries all MAX_EVENT_VALUES values', () => {
    const eight = eventFormat`comp.many a=${'a'} b=${'b'} c=${'c'} d=${'d'} e=${'e'} f=${'f'} g=${'g'} h=${'h'}`;
    const trace = new Trace(10);
    trace.appendEvent(eight, 1, 2n, true, 'x', -5, 6, 7, 8);
    trace.appendEvent(SLEEP, 9, 10);
    expect(trace.text()).toBe(HEADER + 'event=0 comp.many a=1 b=2 c=true d=x e=-5 f=6 g=7 h=8\nevent=1 clock.sleep duration_ns=9 wake_ns=10\n');
  });

  it('appendEvent stores only the values the format has slots for', () => {
    const trace = new Trace(10);
    const one = eventFormat`random.u32 value=${'value'}`;
    // Extra values past the arity must not be taken for the next event.
    trace.appendEvent(one, 1, 2, 3);
    trace.appendEvent(eventFormat`host.stop`, 'extra' as never);
    trace.append('comp.after');
    expect(trace.text()).toBe(HEADER + 'event=0 random.u32 value=1\nevent=1 host.stop\nevent=2 comp.after\n');
  });

  it('writes no body for appendEvent until the text is read, when there is no observer', () => {
    const format = eventFormat`random.int bound=${'bound'} value=${'value'}`;
    const write = vi.spyOn(format, 'write');
    const trace = new Trace(10);
    trace.appendEvent(format, 10, 3);
    expect(write).not.toHaveBeenCalled();
    expect(trace.text()).toBe(HEADER + 'event=0 random.int bound=10 value=3\n');
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('counts every kind of event and numbers them from 0 after the header', () => {
    const trace = new Trace(100);
    expect(trace.eventCount).toBe(0);
    expect(trace.text()).toBe(`${TRACE_HEADER}\n`);
    expect(TRACE_HEADER).toBe('marionette.trace format=text version=0');

    trace.append('comp.first a=1');
    expect(trace.eventCount).toBe(1);
    trace.appendEvent(SLEEP, 1, 2);
    expect(trace.eventCount).toBe(2);
    trace.appendEvent(eventFormat`host.stop`);
    expect(trace.eventCount).toBe(3);
    trace.record('comp.note', { s: 'x y' }, 'ctx');
    expect(trace.eventCount).toBe(4);
    trace.record('comp.bare', undefined, 'ctx');
    expect(trace.eventCount).toBe(5);
    trace.record('comp.empty', {}, 'ctx');
    expect(trace.eventCount).toBe(6);
    trace.recordRaw('comp.raw k=v%20w', 'ctx');
    expect(trace.eventCount).toBe(7);

    const text = trace.text();
    expect(text.startsWith(`${TRACE_HEADER}\n`)).toBe(true);
    expect(text).toBe(
      HEADER +
        'event=0 comp.first a=1\n' +
        'event=1 clock.sleep duration_ns=1 wake_ns=2\n' +
        'event=2 host.stop\n' +
        'event=3 comp.note s=x%20y\n' +
        'event=4 comp.bare\n' +
        'event=5 comp.empty\n' +
        'event=6 comp.raw k=v%20w\n',
    );
    // Reading the text twice gives the same text, and events can follow.
    expect(trace.text()).toBe(text);
    trace.append('comp.last');
    expect(trace.text()).toBe(text + 'event=7 comp.last\n');
  });
});

describe('Trace.record: structured fields', () => {
  it.each([
    ['a space', 'a b', 'a%20b'],
    ['an equals sign', 'k=v', 'k%3Dv'],
    ['a percent sign', '100%', '100%25'],
    ['a backslash', 'a\\b', 'a%5Cb'],
    ['a newline', 'a\nb', 'a%0Ab'],
    ['a non-ASCII letter', 'é', '%C3%A9'],
    ['an emoji', '😀', '%F0%9F%98%80'],
    ['plain ASCII', 'scenario:smoke', 'scenario:smoke'],
  ])('percent-encodes text with %s in the text', (_label, value, encoded) => {
    expect(encodeTraceText(value)).toBe(encoded);
    const trace = new Trace(10);
    trace.record('comp.note', { v: value }, 'ctx');
    expect(trace.text()).toBe(`${HEADER}event=0 comp.note v=${encoded}\n`);
  });

  it('writes numbers, bigints and booleans as String, in property order', () => {
    const trace = new Trace(10);
    trace.record('queue.lease', { job: 7, neg: -3, big: 2n ** 64n, large: 2 ** 40, ok: true, no: false, ratio: 0.5, s: 'a=b c' }, 'ctx');
    expect(trace.text()).toBe(
      `${HEADER}event=0 queue.lease job=7 neg=-3 big=18446744073709551616 large=1099511627776 ok=true no=false ratio=0.5 s=a%3Db%20c\n`,
    );
  });

  it('is not changed by mutating the fields object after the record', () => {
    const trace = new Trace(10);
    const fields: Record<string, string | number> = { a: 'one two', b: 2 };
    trace.record('comp.note', fields, 'ctx');
    fields.a = 'changed';
    fields.b = 99;
    fields.c = 'added';
    delete fields.a;
    expect(trace.text()).toBe(`${HEADER}event=0 comp.note a=one%20two b=2\n`);
  });

  it.each([
    ['without an observer', undefined],
    ['with an observer', () => {}],
  ])('reads a getter on the fields exactly once per record, %s', (_label, observer) => {
    const trace = new Trace(10, observer);
    let reads = 0;
    const fields = {
      get n(): number {
        reads++;
        return reads;
      },
      s: 'x',
    };
    trace.record('comp.note', fields, 'ctx');
    expect(reads).toBe(1);
    trace.record('comp.note', fields, 'ctx');
    expect(reads).toBe(2);
    // The text is made from the values read at the record, not by reading again.
    expect(trace.text()).toBe(`${HEADER}event=0 comp.note n=1 s=x\nevent=1 comp.note n=2 s=x\n`);
    expect(trace.text()).toBe(`${HEADER}event=0 comp.note n=1 s=x\nevent=1 comp.note n=2 s=x\n`);
    expect(reads).toBe(2);
  });

  it.each<[string, unknown, string]>([
    ['an empty text value', { a: 1, s: '' }, 'ctx: field s is empty text; trace values are non-empty'],
    ['a lone high surrogate', { a: 1, s: '\uD800' }, 'ctx: field s holds a lone UTF-16 surrogate'],
    ['a lone low surrogate inside text', { s: 'ab\uDC00c' }, 'ctx: field s holds a lone UTF-16 surrogate'],
    ['a function value', { a: 1, f: () => 1 }, 'ctx: field f must be a string, number, bigint or boolean, got function'],
    ['an undefined value', { a: 1, u: undefined }, 'ctx: field u must be a string, number, bigint or boolean, got undefined'],
    ['a null value', { a: 1, n: null }, 'ctx: field n must be a string, number, bigint or boolean, got null'],
    ['an object value', { a: 1, o: { x: 1 } }, 'ctx: field o must be a string, number, bigint or boolean, got {"x":1}'],
    ['a bad key', { a: 1, 'Bad-Key': 1 }, 'ctx: invalid field key "Bad-Key": use lowercase letters, digits and "_"'],
    ['an empty key', { a: 1, '': 1 }, 'ctx: invalid field key "": use lowercase letters, digits and "_"'],
    ['fields that are a number', 5, 'ctx: fields must be a plain object of key: value, got 5'],
    ['fields that are a string', 'a=1', 'ctx: fields must be a plain object of key: value, got "a=1"'],
    ['fields that are null', null, 'ctx: fields must be a plain object of key: value, got null'],
    ['fields that are an array', [1, 2], 'ctx: fields must be a plain object of key: value, got array(2)'],
  ])('rejects %s with InvalidTraceRecord and writes nothing', (_label, fields, message) => {
    const bodies: string[] = [];
    const trace = new Trace(10, (body) => bodies.push(body));
    trace.record('comp.before', { v: 'ok' }, 'ctx');
    const before = trace.text();

    const error = thrown(() => trace.record('comp.note', fields as TraceFields, 'ctx'));
    expect(error).toBeInstanceOf(InvalidTraceRecord);
    expect((error as Error).name).toBe('InvalidTraceRecord');
    expect((error as Error).message).toBe(message);

    expect(trace.eventCount).toBe(1);
    expect(trace.text()).toBe(before);
    expect(bodies).toEqual(['comp.before v=ok']);
    // The trace goes on normally: the next event is number 1.
    trace.record('comp.after', { n: 1 }, 'ctx');
    expect(trace.text()).toBe(`${HEADER}event=0 comp.before v=ok\nevent=1 comp.after n=1\n`);
  });

  it('rejects an invalid event name, with or without fields, and writes nothing', () => {
    const trace = new Trace(10);
    for (const fields of [undefined, { a: 1 }]) {
      const error = thrown(() => trace.record('Bad.Name', fields, 'world.record'));
      expect(error).toBeInstanceOf(InvalidTraceRecord);
      expect((error as Error).message).toBe(
        'world.record: invalid event name "Bad.Name": expected component.action in lowercase words joined by "_"',
      );
    }
    expect(trace.eventCount).toBe(0);
    expect(trace.text()).toBe(HEADER);
  });

  it('rejects an invalid raw record and writes nothing', () => {
    const trace = new Trace(10);
    const error = thrown(() => trace.recordRaw('comp.raw k=a b', 'ctx'));
    expect(error).toBeInstanceOf(InvalidTraceRecord);
    expect((error as Error).message).toBe('ctx: invalid raw record "comp.raw k=a b": field "b" is not key=value');
    expect(trace.eventCount).toBe(0);
    expect(trace.text()).toBe(HEADER);
  });
});

describe('Trace: maxEvents', () => {
  const LIMIT_MESSAGE = 'trace: the run recorded more than maxEvents=2 events';

  it.each<[string, (trace: Trace) => void]>([
    ['append', (trace) => trace.append('comp.third')],
    ['appendEvent', (trace) => trace.appendEvent(SLEEP, 3, 4)],
    ['appendEvent of a format with no slots', (trace) => trace.appendEvent(eventFormat`host.stop`)],
    ['record with fields', (trace) => trace.record('comp.third', { s: 'a b' }, 'ctx')],
    ['record without fields', (trace) => trace.record('comp.third', undefined, 'ctx')],
    ['recordRaw', (trace) => trace.recordRaw('comp.third k=v', 'ctx')],
  ])('the third event by %s throws EventLimitExceeded and the first two stay', (_label, third) => {
    const bodies: string[] = [];
    const trace = new Trace(2, (body) => bodies.push(body));
    expect(trace.maxEvents).toBe(2);
    trace.append('comp.first');
    trace.record('comp.second', { s: 'x=y' }, 'ctx');
    const expected = `${HEADER}event=0 comp.first\nevent=1 comp.second s=x%3Dy\n`;

    for (let attempt = 0; attempt < 2; attempt++) {
      const error = thrown(() => third(trace));
      expect(error).toBeInstanceOf(EventLimitExceeded);
      expect((error as Error).name).toBe('EventLimitExceeded');
      expect((error as Error).message).toBe(LIMIT_MESSAGE);
      expect(trace.eventCount).toBe(2);
      expect(trace.text()).toBe(expected);
    }
    expect(bodies).toEqual(['comp.first', 'comp.second s=x%3Dy']);
  });

  it('accepts exactly maxEvents events of mixed kinds', () => {
    const trace = new Trace(3);
    trace.appendEvent(SLEEP, 1, 2);
    trace.record('comp.two', { n: 2 }, 'ctx');
    trace.append('comp.three');
    expect(trace.eventCount).toBe(3);
    expect(() => trace.appendEvent(SLEEP, 3, 4)).toThrow(EventLimitExceeded);
    expect(trace.text()).toBe(`${HEADER}event=0 clock.sleep duration_ns=1 wake_ns=2\nevent=1 comp.two n=2\nevent=2 comp.three\n`);
  });

  it('maxEvents=0 accepts no event', () => {
    const trace = new Trace(0);
    expect(() => trace.appendEvent(SLEEP, 1, 2)).toThrow('trace: the run recorded more than maxEvents=0 events');
    expect(() => trace.record('comp.x', { a: 1 }, 'ctx')).toThrow(EventLimitExceeded);
    expect(trace.eventCount).toBe(0);
    expect(trace.text()).toBe(HEADER);
  });
});

describe('Trace: observer', () => {
  it('sees every body as text() writes it, in order', () => {
    const bodies: string[] = [];
    const trace = new Trace(100, (body) => bodies.push(body));
    const tagged = SLEEP.withFixedFields(' host=1');

    trace.append('comp.start a=1');
    trace.appendEvent(SLEEP, 5, 10);
    trace.record('comp.note', { msg: 'héllo wörld', n: -1, big: 12n, ok: true }, 'ctx');
    trace.appendEvent(eventFormat`host.stop`);
    trace.recordRaw('comp.raw k=v%3D', 'ctx');
    trace.record('comp.bare', undefined, 'ctx');
    trace.appendEvent(tagged, 2 ** 33, 0);
    trace.record('comp.empty', {}, 'ctx');

    expect(bodies).toEqual([
      'comp.start a=1',
      'clock.sleep duration_ns=5 wake_ns=10',
      'comp.note msg=h%C3%A9llo%20w%C3%B6rld n=-1 big=12 ok=true',
      'host.stop',
      'comp.raw k=v%3D',
      'comp.bare',
      'clock.sleep host=1 duration_ns=8589934592 wake_ns=0',
      'comp.empty',
    ]);
    expect(bodies.map((body, i) => `event=${i} ${body}\n`).join('')).toBe(eventLines(trace));
  });

  it('is called once per event, right after it is written', () => {
    const seen: number[] = [];
    const trace: Trace = new Trace(10, () => seen.push(trace.eventCount));
    trace.append('comp.a');
    trace.appendEvent(SLEEP, 1, 2);
    trace.record('comp.b', { a: 1 }, 'ctx');
    trace.recordRaw('comp.c', 'ctx');
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});

describe('Trace: the structured log writes what eager formatting wrote', () => {
  const FIXED_BODY = 'comp.fixed a=1 b=x%20y';
  const PAIR = eventFormat`net.pair a=${'a'} b=${'b'}`;
  const slotValue = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.boolean());
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((s) => s.isWellFormed()),
  );
  const operation = fc.oneof(
    fc.constant({ kind: 'append' as const }),
    fc.record({ kind: fc.constant('event' as const), a: slotValue, b: slotValue }),
    fc.record({ kind: fc.constant('record' as const), s: text, n: fc.integer() }),
  );

  it('text() equals the header and eagerly formatted bodies, for any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 30 }), (operations) => {
        const observed: string[] = [];
        const trace = new Trace(1000, (body) => observed.push(body));
        const plain = new Trace(1000);
        const bodies: string[] = [];
        for (const op of operations) {
          switch (op.kind) {
            case 'append':
              trace.append(FIXED_BODY);
              plain.append(FIXED_BODY);
              bodies.push(FIXED_BODY);
              break;
            case 'event':
              trace.appendEvent(PAIR, op.a, op.b);
              plain.appendEvent(PAIR, op.a, op.b);
              bodies.push(`net.pair a=${op.a} b=${op.b}`);
              break;
            case 'record': {
              const fields = { s: op.s, n: op.n };
              trace.record('comp.note', fields, 'ctx');
              plain.record('comp.note', fields, 'ctx');
              bodies.push('comp.note' + formatStructuredFields(fields, 'ctx'));
              break;
            }
          }
        }
        let expected = `${TRACE_HEADER}\n`;
        for (let i = 0; i < bodies.length; i++) expected += `event=${i} ${bodies[i]}\n`;
        expect(trace.text()).toBe(expected);
        expect(plain.text()).toBe(expected);
        expect(trace.eventCount).toBe(operations.length);
        expect(observed).toEqual(bodies);
      }),
    );
  });
});
