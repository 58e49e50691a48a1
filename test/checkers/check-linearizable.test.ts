import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

type Op<I> = mar.Operation<I, unknown>;
const op = <I>(id: number, client: number, input: I, output: unknown, call: number, ret: number): Op<I> => ({ id, client, input, output, call, return: ret });
const w = (value: unknown) => ({ op: 'write' as const, value });
const r = { op: 'read' as const };

describe('checkLinearizable: register', () => {
  const model = mar.models.register();

  it('accepts overlapping writes read in either order while they overlap', () => {
    const history = [op(0, 0, w(1), 'ok', 0, 10), op(1, 1, w(2), 'ok', 0, 10), op(2, 2, r, 2, 1, 2), op(3, 2, r, 1, 3, 4)];
    const result = mar.checkLinearizable(model, history);
    expect(result.result).toBe('ok');
    expect(result.linearization).toEqual([1, 2, 0, 3]);
  });

  it('rejects a stale read: the value read was overwritten before the read began', () => {
    const history = [op(0, 0, w('a'), 'ok', 0, 1), op(1, 0, w('b'), 'ok', 2, 3), op(2, 1, r, 'a', 4, 5)];
    const result = mar.checkLinearizable(model, history);
    expect(result.result).toBe('illegal');
    expect(result.illegal).toEqual({ partition: 0, partitions: 1, operations: [0, 1, 2], prefix: [0, 1], next: [{ id: 2, rejected: true }], state: '"b"' });
    expect(result.explanation).toBe(
      [
        'not linearizable for register: 3 operations, the longest linearizable prefix has 2',
        '  1. #0 client 0: write("a")',
        '  2. #1 client 0: write("b")',
        '  state after it: "b"',
        'none of these can come next:',
        '  #2 client 1: read() -> "a"  (the model rejects it in that state)',
      ].join('\n'),
    );
  });

  it('lets an operation with an unknown outcome take effect at any point after its call, or never', () => {
    const pending = op(1, 1, w('b'), undefined, 2, Number.POSITIVE_INFINITY);
    const before = [op(0, 0, w('a'), 'ok', 0, 1), pending, op(2, 2, r, 'a', 3, 4), op(3, 2, r, 'b', 5, 6)];
    expect(mar.checkLinearizable(model, before).result).toBe('ok');
    const never = [op(0, 0, w('a'), 'ok', 0, 1), pending, op(2, 2, r, 'a', 3, 4)];
    expect(mar.checkLinearizable(model, never).result).toBe('ok');
    // ...but once it is seen to take effect, it cannot be undone.
    const undone = [...before, op(4, 2, r, 'a', 7, 8)];
    expect(mar.checkLinearizable(model, undone).result).toBe('illegal');
  });

  it('treats operations that touch (return time = call time) as overlapping', () => {
    const history = [op(0, 0, w('a'), 'ok', 0, 5), op(1, 1, r, null, 5, 6)];
    expect(mar.checkLinearizable(model, history).result).toBe('ok');
    expect(mar.checkLinearizable(model, [op(0, 0, w('a'), 'ok', 0, 5), op(1, 1, r, null, 6, 7)]).result).toBe('illegal');
  });

  it('says ok for an empty history', () => {
    expect(mar.checkLinearizable(model, [])).toEqual({ result: 'ok', linearization: [], steps: 0 });
  });
});

describe('checkLinearizable: casRegister', () => {
  const model = mar.models.casRegister();
  const cas = (from: unknown, to: unknown) => ({ op: 'cas' as const, from, to });

  it('reads null before any write, and follows successful and failed cas', () => {
    const history = [
      op(0, 0, r, null, 0, 1),
      op(1, 0, w(1), 'ok', 2, 3),
      op(2, 1, cas(1, 2), true, 4, 5),
      op(3, 1, cas(1, 3), false, 6, 7),
      op(4, 0, r, 2, 8, 9),
    ];
    expect(mar.checkLinearizable(model, history).result).toBe('ok');
  });

  it('rejects a cas that claims success on a value the register never held at that time', () => {
    const history = [op(0, 0, w(1), 'ok', 0, 1), op(1, 1, cas(2, 3), true, 2, 3)];
    const result = mar.checkLinearizable(model, history);
    expect(result.result).toBe('illegal');
    expect(result.explanation).toContain('#1 client 1: cas(2, 3) -> true  (the model rejects it in that state)');
  });

  it('accepts two concurrent cas from the same value only if one of them failed', () => {
    const both = [op(0, 0, w(0), 'ok', 0, 1), op(1, 1, cas(0, 1), true, 2, 5), op(2, 2, cas(0, 2), true, 3, 6)];
    expect(mar.checkLinearizable(model, both).result).toBe('illegal');
    const one = [op(0, 0, w(0), 'ok', 0, 1), op(1, 1, cas(0, 1), true, 2, 5), op(2, 2, cas(0, 2), false, 3, 6)];
    expect(mar.checkLinearizable(model, one).result).toBe('ok');
  });

  it('explains a dead end: an operation the model accepts next after which nothing linearizes', () => {
    const history = [op(0, 0, w(1), 'ok', 0, 10), op(1, 1, r, 1, 1, 2), op(2, 1, r, 0, 3, 4)];
    const result = mar.checkLinearizable(model, history);
    expect(result.result).toBe('illegal');
    expect(result.illegal!.prefix).toEqual([0, 1]);
    expect(result.illegal!.next).toEqual([{ id: 2, rejected: true }]);
  });
});

describe('checkLinearizable: kv', () => {
  const model = mar.models.kv();
  const put = (key: string, value: string) => ({ op: 'put' as const, key, value });
  const append = (key: string, value: string) => ({ op: 'append' as const, key, value });
  const get = (key: string) => ({ op: 'get' as const, key });

  it('checks each key on its own and names the partition that fails', () => {
    const history = [
      op(0, 0, put('x', '1'), 'ok', 0, 1),
      op(1, 1, append('y', 'a'), 'ok', 0, 1),
      op(2, 0, get('x'), '1', 2, 3),
      op(3, 1, append('y', 'b'), 'ok', 2, 3),
      op(4, 2, get('y'), 'ba', 4, 5),
    ];
    const result = mar.checkLinearizable(model, history);
    expect(result.result).toBe('illegal');
    expect(result.illegal).toMatchObject({ partition: 1, partitions: 2, operations: [1, 3, 4], prefix: [1, 3], state: '{"y":"ab"}' });
    expect(result.explanation).toMatch(/^not linearizable for kv \(partition 2 of 2\)/);
  });

  it('reads null for a key nobody wrote and returns a linearization of every key', () => {
    const history = [op(0, 0, get('x'), null, 0, 1), op(1, 0, put('x', 'v'), 'ok', 2, 3), op(2, 1, get('x'), 'v', 4, 5), op(3, 1, get('z'), null, 0, 9)];
    const result = mar.checkLinearizable(model, history);
    expect(result.result).toBe('ok');
    expect([...result.linearization!].sort()).toEqual([0, 1, 2, 3]);
  });
});

// ---- generated histories ----

interface Generated {
  readonly history: Op<mar.KvInput>[];
  readonly keys: readonly string[];
}

/**
 * A kv history that is linearizable by construction: each operation takes effect at a distinct
 * point inside its [call, return] interval, and outputs are computed by applying the operations
 * to a sequential store in that order. Some operations never complete (unknown outcome).
 */
const linearizableKv = fc
  .record({
    keys: fc.integer({ min: 1, max: 3 }),
    ops: fc.array(
      fc.record({
        kind: fc.constantFrom('get', 'put', 'append'),
        key: fc.nat(),
        value: fc.integer({ min: 0, max: 9 }),
        call: fc.nat({ max: 60 }),
        point: fc.integer({ min: 1, max: 10 }),
        after: fc.integer({ min: 1, max: 10 }),
        unknown: fc.integer({ min: 0, max: 9 }),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  })
  .map(({ keys, ops }): Generated => {
    const names = ['a', 'b', 'c'].slice(0, keys);
    const planned = ops.map((o, id) => ({ ...o, id, key: names[o.key % keys]!, at: o.call * 100 + o.point * 10 + (id % 10) }));
    const store = new Map<string, string>();
    const outputs = new Map<number, unknown>();
    for (const p of [...planned].sort((x, y) => x.at - y.at)) {
      if (p.kind === 'get') outputs.set(p.id, store.get(p.key) ?? null);
      else if (p.kind === 'put') store.set(p.key, String(p.value));
      else store.set(p.key, (store.get(p.key) ?? '') + String(p.value));
    }
    const history = planned.map((p): Op<mar.KvInput> => {
      const input: mar.KvInput = p.kind === 'get' ? { op: 'get', key: p.key } : { op: p.kind, key: p.key, value: String(p.value) };
      const open = p.unknown === 0 && p.kind !== 'get';
      const output = outputs.has(p.id) ? outputs.get(p.id) : 'ok';
      return op(p.id, p.id, input, open ? undefined : output, p.call * 100, open ? Number.POSITIVE_INFINITY : p.at + p.after * 10);
    });
    return { history, keys: names };
  });

/** The kv model checked whole: no partition. */
const wholeKv: mar.Model<mar.KvState, mar.KvInput, unknown> = (() => {
  const { partition: _unused, ...rest } = mar.models.kv();
  return { ...rest, name: 'kv (whole)' };
})();

describe('checkLinearizable: laws', () => {
  it('says ok for every history a sequential execution produced, with a linearization that replays through the model', () => {
    fc.assert(
      fc.property(linearizableKv, ({ history }) => {
        const result = mar.checkLinearizable(mar.models.kv(), history);
        expect(result.result).toBe('ok');
        const byId = new Map(history.map((o) => [o.id, o]));
        expect([...result.linearization!].sort((a, b) => a - b)).toEqual(history.map((o) => o.id));
        let state = mar.models.kv().init();
        for (const id of result.linearization!) {
          const o = byId.get(id)!;
          const [ok, next] = mar.models.kv().step(state, o.input, o.output);
          expect(ok).toBe(true);
          state = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('says illegal once one read returns a value nobody ever wrote', () => {
    fc.assert(
      fc.property(
        linearizableKv.filter(({ history }) => history.some((o) => o.input.op === 'get' && o.output !== undefined)),
        fc.nat(),
        ({ history }, pick) => {
          const reads = history.filter((o) => o.input.op === 'get');
          const target = reads[pick % reads.length]!;
          const mutated = history.map((o) => (o === target ? { ...o, output: 'never-written' } : o));
          const result = mar.checkLinearizable(mar.models.kv(), mutated);
          expect(result.result).toBe('illegal');
          // The longest prefix it reports is itself linearizable: it replays through the model.
          const byId = new Map(mutated.map((o) => [o.id, o]));
          let state = mar.models.kv().init();
          for (const id of result.illegal!.prefix) {
            const o = byId.get(id)!;
            const [ok, next] = mar.models.kv().step(state, o.input, o.output);
            expect(ok).toBe(true);
            state = next;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same verdict with per-key partitions as checking the whole history', () => {
    fc.assert(
      fc.property(linearizableKv, fc.nat(), fc.boolean(), ({ history }, pick, mutate) => {
        const reads = history.filter((o) => o.input.op === 'get');
        const target = mutate && reads.length > 0 ? reads[pick % reads.length] : undefined;
        const checked = history.map((o) => (o === target ? { ...o, output: `${String(o.output)}x` } : o));
        expect(mar.checkLinearizable(mar.models.kv(), checked).result).toBe(mar.checkLinearizable(wholeKv, checked).result);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkLinearizable: budget and bad input', () => {
  /** 40 concurrent writes and a read of a value none wrote: illegal, but only after 2^40 pairs. */
  const explosive = [
    ...Array.from({ length: 40 }, (_, i) => op(i, i, w(i), 'ok', 0, 100)),
    op(40, 40, r, 'nobody', 101, 102),
  ];

  it('returns unknown when the time budget runs out, and stops', () => {
    const started = performance.now();
    const result = mar.checkLinearizable(mar.models.register(), explosive, { timeoutMs: 50 });
    expect(result.result).toBe('unknown');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.steps).toBeGreaterThan(0);
  });

  it('does not let an exploding partition hide another that is quickly illegal', () => {
    const key = (id: number, k: string, o: mar.KvInput, out: unknown, call: number, ret: number) => op(id, id, o, out, call, ret);
    const history: Op<mar.KvInput>[] = [
      ...Array.from({ length: 40 }, (_, i) => key(i, i, { op: 'put', key: 'slow', value: String(i) }, 'ok', 0, 100)),
      key(40, 40, { op: 'get', key: 'slow' }, 'nobody', 101, 102),
      key(41, 41, { op: 'put', key: 'fast', value: '1' }, 'ok', 0, 1),
      key(42, 42, { op: 'get', key: 'fast' }, '2', 2, 3),
    ];
    const result = mar.checkLinearizable(mar.models.kv(), history, { timeoutMs: 10_000 });
    expect(result.result).toBe('illegal');
    expect(result.illegal!.partition).toBe(1);
  });

  it('keeps to its budget with many exploding partitions and with one huge partition', () => {
    const exploding: Op<mar.KvInput>[] = [];
    for (let k = 0; k < 300; k++) {
      const key = `k${k}`;
      for (let i = 0; i < 14; i++) exploding.push(op(exploding.length, i, { op: 'append', key, value: String(i) }, 'ok', 0, 100));
      exploding.push(op(exploding.length, 99, { op: 'get', key }, 'impossible', 101, 102));
    }
    let started = performance.now();
    expect(mar.checkLinearizable(mar.models.kv(), exploding, { timeoutMs: 100 }).result).toBe('unknown');
    expect(performance.now() - started).toBeLessThan(1000);
    const huge = Array.from({ length: 60_000 }, (_, i) => op(i, 0, w(i), 'ok', 2 * i, 2 * i + 1));
    started = performance.now();
    expect(mar.checkLinearizable(mar.models.register(), huge, { timeoutMs: 20 }).result).toBe('unknown');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('explains an illegal history of many operations in linear time', () => {
    // The read is illegal at once; working out what could follow it looks at 20,000 operations.
    const writes = Array.from({ length: 20_000 }, (_, i) => op(i, i, w(i), 'ok', 2, 10));
    const history = [...writes, op(20_000, 20_000, r, 'never', 0, 1)];
    const started = performance.now();
    const result = mar.checkLinearizable(mar.models.register(), history);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.illegal).toMatchObject({ prefix: [], next: [{ id: 20_000, rejected: true }] });
  });

  it('keeps the explanation of a long prefix to its last 20 operations', () => {
    const history = [...Array.from({ length: 100 }, (_, i) => op(i, 0, w(i), 'ok', 2 * i, 2 * i + 1)), op(100, 1, r, 'never', 300, 301)];
    const result = mar.checkLinearizable(mar.models.register(), history);
    expect(result.illegal!.prefix).toHaveLength(100);
    const lines = result.explanation!.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'not linearizable for register: 101 operations, the longest linearizable prefix has 100',
      '  ... 80 earlier operations',
      '  81. #80 client 0: write(80)',
    ]);
    expect(lines).toHaveLength(25); // header, elision, 20 operations, the state, "none of these…", the read
  });

  it('tells a number from the same text in kv values (1 and "1")', () => {
    const history = [
      op(0, 0, { op: 'put', key: 'k', value: 1 as unknown as string }, 'ok', 0, 5),
      op(1, 1, { op: 'put', key: 'k', value: '1' }, 'ok', 0, 5),
      op(2, 2, { op: 'get', key: 'k' }, 1, 6, 7),
    ];
    expect(mar.checkLinearizable(mar.models.kv(), history).result).toBe('ok');
  });

  it('refuses a model whose states JSON cannot tell apart (a Set) unless it gives hash or equal', () => {
    const setModel: mar.Model<Set<string>, { op: 'add' | 'clear' | 'has'; item?: string }, unknown> = {
      name: 'set',
      init: () => new Set(),
      step(state, input, output) {
        if (input.op === 'add') return [true, new Set([...state, input.item!])];
        if (input.op === 'clear') return [true, new Set()];
        return [output === state.has(input.item!), state];
      },
    };
    const history = [op(0, 0, { op: 'add' as const, item: 'a' }, 'ok', 0, 5), op(1, 1, { op: 'clear' as const }, 'ok', 0, 5), op(2, 2, { op: 'has' as const, item: 'a' }, true, 6, 7)];
    expect(() => mar.checkLinearizable(setModel, history)).toThrow(/checkLinearizable: model set threw in hash: its state is a Set, which JSON cannot tell apart: give the model hash\(state\)/);
    const hashed = { ...setModel, hash: (state: Set<string>) => JSON.stringify([...state].sort()) };
    expect(mar.checkLinearizable(hashed, history).result).toBe('ok');
  });

  it('turns a hash that throws into a ModelError naming the operation', () => {
    const model = { ...mar.models.register(), hash: (state: unknown) => { if (state === 'bad') throw new Error('no'); return String(state); } };
    expect(() => mar.checkLinearizable(model, [op(4, 0, w('bad'), 'ok', 0, 1)])).toThrow(new mar.ModelError('checkLinearizable: model register threw in hash on operation 4 (#4 client 0: write("bad")): no'));
  });

  it.each([
    [[op(1, 0, r, null, 5, 4)], 'checkLinearizable: operation 1 returns before it is called (return 4 < call 5)'],
    [[op(1, 0, r, null, 0, 1), op(1, 1, r, null, 2, 3)], 'checkLinearizable: operation id 1 is used twice'],
    [[op(2, 0, r, null, Number.NaN, 1)], 'checkLinearizable: operation 2: call must be a finite number, got NaN'],
    [[op(3, 0, r, null, 0, Number.NaN)], 'checkLinearizable: operation 3: return must be a number (Infinity when it never completed), got NaN'],
  ])('rejects %j with InvalidArgument', (history, message) => {
    expect(() => mar.checkLinearizable(mar.models.register(), history)).toThrow(new mar.InvalidArgument(message));
  });

  it('refuses a history over 1,000,000 operations without a time budget', () => {
    const huge = new Array<Op<unknown>>(1_000_001);
    expect(() => mar.checkLinearizable(mar.models.register(), huge as never)).toThrow(
      new mar.InvalidArgument('checkLinearizable: 1000001 operations is over 1000000 without a time budget; pass { timeoutMs }'),
    );
    expect(mar.MAX_OPERATIONS_WITHOUT_BUDGET).toBe(1_000_000);
  });

  it('turns a model that throws into a ModelError naming the operation', () => {
    const broken: mar.Model<number, string, unknown> = {
      name: 'broken',
      init: () => 0,
      step(state, input) {
        if (input === 'boom') throw new Error('cannot');
        return [true, state];
      },
    };
    const history = [op(0, 0, 'fine', 'ok', 0, 1), op(7, 1, 'boom', 'ok', 2, 3)];
    expect(() => mar.checkLinearizable(broken, history)).toThrow(new mar.ModelError('checkLinearizable: model broken threw in step on operation 7 (#7 client 1: "boom" -> "ok"): cannot'));
  });

  it('rejects a partition that loses or duplicates operations', () => {
    const lossy = { ...mar.models.kv(), partition: (ops: readonly Op<mar.KvInput>[]) => [ops.slice(1)] };
    const history = [op(0, 0, { op: 'get' as const, key: 'k' }, null, 0, 1), op(1, 0, { op: 'get' as const, key: 'k' }, null, 2, 3)];
    expect(() => mar.checkLinearizable(lossy, history)).toThrow(new mar.ModelError("checkLinearizable: model kv's partition left out 1 operation(s)"));
  });
});
