import * as mar from 'marionette-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

interface State {
  readonly sim: mar.Simulation;
  readonly history: mar.History<mar.RegisterInput<string>, unknown>;
  value: string | null;
}

/** Two clients on an in-memory register; `stale` makes client 1 read a cached copy. */
function registerCase(stale: boolean) {
  return mar.defineCase<State>({
    name: stale ? 'stale register' : 'register',
    init(world) {
      const sim = world.simulate();
      return { sim, history: mar.createHistory(sim.env), value: null };
    },
    async scenario(state) {
      const { history } = state;
      const cached = state.value;
      const write = history.invoke(0, { op: 'write', value: 'a' });
      await sleep(2);
      state.value = 'a';
      write.ok('ok');
      await sleep(1);
      const read = history.invoke(1, { op: 'read' });
      await sleep(1);
      read.ok(stale ? cached : state.value);
    },
    checks: [mar.linearizable(mar.models.register<string>(), (s: State) => s.history)],
  });
}

describe('createHistory', () => {
  it('records invocations and completions in the trace with simulated times and an order for ties', async () => {
    const c = mar.defineCase({
      name: 'history',
      init: (world) => world.simulate(),
      async scenario(sim) {
        const history = mar.createHistory<{ op: string; key?: string }, unknown>(sim.env);
        const a = history.invoke(0, { op: 'put', key: 'k' });
        const b = history.invoke(1, { op: 'get', key: 'k' });
        await sleep(5);
        a.ok('ok');
        b.info();
        const failed = history.invoke(2, { op: 'get' });
        failed.fail();
        const open = history.invoke(3, { op: 'get' });
        expect(open.id).toBe(3);
        sim.env.record('probe.operations', { json: JSON.stringify(history.operations) });
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    const events = report.trace.split('\n').filter((l) => l.includes(' history.')).map((l) => l.replace(/^event=\d+ /, ''));
    expect(events).toEqual([
      'history.invoke client=0 op=0 input={"op":"put","key":"k"}',
      'history.invoke client=1 op=1 input={"op":"get","key":"k"}',
      'history.ok op=0 output="ok"',
      'history.info op=1',
      'history.invoke client=2 op=2 input={"op":"get"}',
      'history.fail op=2',
      'history.invoke client=3 op=3 input={"op":"get"}',
    ]);
    const probe = mar.parseTrace(report.trace).find((e) => e.name === 'probe.operations')!;
    expect(JSON.parse(mar.decodeTraceText(probe.fields.json!))).toEqual([
      { id: 0, client: 0, input: { op: 'put', key: 'k' }, output: 'ok', call: 0, callNs: 0, return: 2, returnNs: 5_000_000 },
      { id: 1, client: 1, input: { op: 'get', key: 'k' }, call: 1, callNs: 0, return: null, returnNs: null },
      { id: 3, client: 3, input: { op: 'get' }, call: 4, callNs: 5_000_000, return: null, returnNs: null },
    ]);
  });

  it('keeps copies of inputs and outputs, and records an operation completed with nothing as null', () => {
    const sim = new mar.World({ seed: 1 }).simulate();
    const history = mar.createHistory<{ value: string }, { n: number } | null>(sim.env);
    const input = { value: 'original' };
    const output = { n: 1 };
    history.invoke(0, input).ok(output);
    history.invoke(1, { value: 'void' }).ok();
    input.value = 'changed';
    output.n = 2;
    expect(history.operations.map((o) => [o.input, o.output])).toEqual([
      [{ value: 'original' }, { n: 1 }],
      [{ value: 'void' }, null],
    ]);
  });

  it('refuses a second completion, a bad client and inputs that are not JSON data', () => {
    const sim = new mar.World({ seed: 1 }).simulate();
    const history = mar.createHistory(sim.env);
    const op = history.invoke(0, 'x');
    op.ok(1);
    expect(() => op.fail()).toThrow('history: operation 0 was already completed (ok); fail again');
    expect(() => history.invoke(-1, 'x')).toThrow(new mar.InvalidArgument('history.invoke: client must be a non-negative integer, got -1'));
    expect(() => history.invoke(0, undefined)).toThrow(new mar.InvalidArgument('history.invoke: input must be JSON data, got undefined'));
    expect(() => history.invoke(0, 'y').ok(() => 1)).toThrow(/history.ok: output must be JSON data, got function/);
  });
});

describe('linearizable', () => {
  it('passes a linearizable history', async () => {
    expect((await mar.runCase(registerCase(false), { seed: 1 })).passed).toBe(true);
  });

  it('fails a stale read as check_failed with NotLinearizable and the explanation', async () => {
    const report = await mar.runCase(registerCase(true), { seed: 1 });
    expect(report.signature).toBe('check_failed|linearizable (register)|NotLinearizable');
    expect(report.error).toBeInstanceOf(mar.NotLinearizable);
    const error = report.error as mar.NotLinearizable;
    expect(error.result.result).toBe('illegal');
    expect(error.message).toContain('#1 client 1: read() -> null  (the model rejects it in that state)');
    // The report keeps the explanation's lines; its one-line message is the same text flattened.
    expect(report.errorDetail).toBe(error.message);
    expect(report.errorMessage).not.toContain('\n');
    const fuzzed = (await mar.expectFuzz(registerCase(true), { seeds: 1 }).catch((e: unknown) => e)) as mar.ExpectationFailed;
    expect(fuzzed.message).toContain('  detail:\n    not linearizable for register: 2 operations');
  });

  it('leaves errorDetail undefined for a one-line error', async () => {
    const c = mar.defineCase({ name: 'one line', init: () => 0, scenario: () => { throw new Error('short'); } });
    expect((await mar.runCase(c, { seed: 1 })).errorDetail).toBeUndefined();
  });

  it('fails with LinearizabilityUnknown, not NotLinearizable, when its budget runs out', () => {
    const explosive = [
      ...Array.from({ length: 40 }, (_, i) => ({ id: i, client: i, input: { op: 'write' as const, value: i }, output: 'ok', call: 0, return: 100 })),
      { id: 40, client: 40, input: { op: 'read' as const }, output: 'nobody', call: 101, return: 102 },
    ];
    const check = mar.linearizable(mar.models.register(), (ops: mar.Operation<mar.RegisterInput<number>>[]) => ops, { timeoutMs: 20 });
    expect(() => check.check(explosive)).toThrow(mar.LinearizabilityUnknown);
  });

  it('takes a name, and a plain array of operations', () => {
    const check = mar.linearizable(mar.models.register(), (ops: mar.Operation[]) => ops, { name: 'reads see writes' });
    expect(check.name).toBe('reads see writes');
    expect(() => check.check([{ id: 0, client: 0, input: { op: 'read' }, output: 'x', call: 0, return: 1 }])).toThrow(mar.NotLinearizable);
  });
});
