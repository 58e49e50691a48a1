import * as mar from 'marionette-sim';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { InvalidArgument } from '../../src/kernel/errors.js';
import { historyDiagram } from '../../src/report/history-diagram.js';
import { assertWellFormedXml } from './_xml.js';

const HEADER = 'marionette.trace format=text version=0';

function trace(bodies: readonly string[]): string {
  return `${HEADER}\n${bodies.map((body, i) => `event=${i} ${body}\n`).join('')}`;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

interface Bar {
  readonly classes: string;
  readonly op: number;
  readonly client: number;
  readonly outcome: string;
  readonly title: string;
  /** Left and right edge of the bar. */
  readonly left: number;
  readonly right: number;
  /** Drawn closed (a rectangle) or open-ended (a path without its right edge). */
  readonly shape: 'closed' | 'open';
}

/** Every `<g class="hist-op ...">`, with its decoded title and the extent of its shape. */
function bars(svg: string): Bar[] {
  const re = /<g class="(hist-op(?: hist-fail)?)" data-op="(\d+)" data-client="(\d+)" data-outcome="([a-z]+)"><title>([^<]*)<\/title>(<rect [^>]*\/>|<path [^>]*\/>)/g;
  return [...svg.matchAll(re)].map((m) => {
    const shape = m[6]!;
    const rect = /^<rect x="(\d+)" y="\d+" width="(\d+)"/.exec(shape);
    const path = /^<path d="M(\d+) \d+H(\d+)V\d+H(\d+)"\/>$/.exec(shape);
    if (rect === null && (path === null || path[1] !== path[3])) throw new Error(`unexpected shape ${shape}`);
    return {
      classes: m[1]!,
      op: Number(m[2]),
      client: Number(m[3]),
      outcome: m[4]!,
      title: unescapeXml(m[5]!),
      left: rect !== null ? Number(rect[1]) : Number(path![2]),
      right: rect !== null ? Number(rect[1]) + Number(rect[2]) : Number(path![1]),
      shape: rect !== null ? 'closed' : 'open',
    };
  });
}


describe('historyDiagram', () => {
  it('draws a real failing history: one bar per invocation, the failing operation marked', async () => {
    const report = await mar.runCase(findBuiltinCase('replicated-register-stale-read-bug')!, { seed: 357, profile: 'swarm' });
    expect(report.signature).toBe('check_failed|linearizable (casRegister)|NotLinearizable');
    const text = report.trace;
    const failing = Number(/none of these can come next:\n\s+#(\d+)/.exec(report.errorDetail ?? '')![1]);
    const svg = historyDiagram(text, { failingOp: failing });
    assertWellFormedXml(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true);

    const invokes = [...text.matchAll(/^event=\d+ history\.invoke client=(\d+) op=(\d+) input=(\S+)$/gm)];
    expect(invokes.length).toBeGreaterThan(1);
    const drawn = bars(svg);
    expect(drawn.map((b) => b.op)).toEqual(invokes.map((m) => Number(m[2])));
    expect((svg.match(/<g class="hist-op/g) ?? []).length).toBe(invokes.length);
    expect(drawn.filter((b) => b.classes === 'hist-op hist-fail').map((b) => b.op)).toEqual([failing]);

    for (const [, client, op, input] of invokes) {
      const bar = drawn.find((b) => b.op === Number(op))!;
      const output = new RegExp(`^event=\\d+ history\\.ok op=${op} output=(\\S+)$`, 'm').exec(text)![1]!;
      expect(bar.client).toBe(Number(client));
      expect(bar.outcome).toBe('ok');
      expect(bar.shape).toBe('closed');
      expect(bar.title).toContain(`client ${client}, op ${op}: ${mar.decodeTraceText(input!)} returned ${mar.decodeTraceText(output)}`);
      expect(bar.title).toContain(`history.invoke client=${client} op=${op} `); // the trace lines it comes from
    }
    const rows = [...svg.matchAll(/<g class="hist-client" data-client="(\d+)">/g)].map((m) => m[1]);
    expect(rows).toEqual([...new Set(invokes.map((m) => m[1]))].sort());

    expect(historyDiagram(text).includes('hist-op hist-fail')).toBe(false);
    expect(historyDiagram(text)).toBe(historyDiagram(text));
  });

  it('draws ok and fail closed and info and never-completed operations open-ended, escaping recorded values', async () => {
    const value = `<a & "b" 'c'>`;
    const c = mar.defineCase({
      name: 'history diagram probe',
      init: (world) => world.simulate(),
      async scenario(sim) {
        const history = mar.createHistory<{ op: string; value?: string }, unknown>(sim.env);
        const write = history.invoke(0, { op: 'write', value });
        const read = history.invoke(1, { op: 'read' });
        await sleep(5);
        write.ok('ok');
        read.info();
        const failed = history.invoke(2, { op: 'read' });
        failed.fail();
        history.invoke(1, { op: 'read' }); // never completed
        const last = history.invoke(0, { op: 'read' });
        last.ok(value);
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    const svg = historyDiagram(report.trace, { failingOp: 1 });
    assertWellFormedXml(svg);
    const drawn = bars(svg);
    expect(drawn.map((b) => [b.op, b.client, b.outcome, b.shape])).toEqual([
      [0, 0, 'ok', 'closed'],
      [1, 1, 'info', 'open'],
      [2, 2, 'fail', 'closed'],
      [3, 1, 'open', 'open'],
      [4, 0, 'ok', 'closed'],
    ]);
    expect(drawn[1]!.classes).toBe('hist-op hist-fail');
    // Open operations run to the right edge, past every closed one.
    const end = Math.max(...drawn.map((b) => b.right));
    expect(drawn.filter((b) => b.shape === 'open').map((b) => b.right)).toEqual([end, end]);
    expect(drawn.filter((b) => b.shape === 'closed').every((b) => b.right < end)).toBe(true);
    expect(drawn[1]!.title).toMatch(/^client 1, op 1: \{"op":"read"\} outcome unknown \(info\)/);
    expect(drawn[2]!.title).toMatch(/^client 2, op 2: \{"op":"read"\} failed/);
    expect(drawn[3]!.title).toMatch(/^client 1, op 3: \{"op":"read"\} never returned/);
    // The value keeps its XML characters in the trace and is escaped in the markup.
    expect(report.trace).toContain(`"value":"<a%20&%20%5C"b%5C"%20'c'>"`);
    expect(drawn[0]!.title).toContain(`client 0, op 0: {"op":"write","value":${JSON.stringify(value)}} returned "ok"`);
    expect(drawn[4]!.title).toContain(`returned ${JSON.stringify(value)}`);
    expect(svg).toContain('&lt;a &amp; \\&quot;b\\&quot; &apos;c&apos;&gt;');
  });

  it('returns an empty string for a trace without history', async () => {
    const report = await mar.runCase(findBuiltinCase('replicated-register-bug')!, { seed: 12648430 });
    expect(report.trace).not.toContain(' history.');
    expect(historyDiagram(report.trace)).toBe('');
    expect(historyDiagram(`${HEADER}\n`)).toBe('');
  });

  it('refuses a failingOp that is not a non-negative safe integer', () => {
    const text = trace(['history.invoke client=0 op=0 input={"op":"read"}']);
    for (const failingOp of [-1, 0.5, Number.NaN]) expect(() => historyDiagram(text, { failingOp })).toThrow(InvalidArgument);
    expect(bars(historyDiagram(text, { failingOp: 7 })).map((b) => b.classes)).toEqual(['hist-op']); // an id not in the history marks nothing
  });

  it('shows exactly the real-time order: a bar ends left of another starts iff it returned before the other was called (property)', () => {
    // Generated histories: clients invoke when idle; open operations complete with ok, fail or info, or stay open.
    const action = fc.record({ client: fc.nat(4), complete: fc.boolean(), outcome: fc.constantFrom('ok', 'fail', 'info'), output: fc.constantFrom('null', '"x"', '1') });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 80 }), (actions) => {
        const bodies: string[] = [];
        const busy = new Map<number, number>(); // client -> its open op
        const ops: { id: number; client: number; call: number; ret?: number; outcome: string }[] = [];
        for (const a of actions) {
          const open = busy.get(a.client);
          if (open === undefined) {
            const id = ops.length;
            ops.push({ id, client: a.client, call: bodies.length, outcome: 'open' });
            busy.set(a.client, id);
            bodies.push(`history.invoke client=${a.client} op=${id} input={"op":"read"}`);
          } else if (a.complete) {
            const op = ops[open]!;
            op.ret = bodies.length;
            op.outcome = a.outcome;
            busy.delete(a.client);
            bodies.push(a.outcome === 'ok' ? `history.ok op=${open} output=${a.output}` : `history.${a.outcome} op=${open}`);
          } else bodies.push('clock.sleep duration_ns=1000000 wake_ns=1000000'); // not part of the history
        }
        const svg = historyDiagram(trace(bodies));
        if (ops.length === 0) {
          expect(svg).toBe('');
          return;
        }
        assertWellFormedXml(svg);
        const drawn = bars(svg);
        expect(drawn.map((b) => [b.op, b.client, b.outcome])).toEqual(ops.map((o) => [o.id, o.client, o.outcome]));
        for (const b of drawn) expect(b.shape).toBe(b.outcome === 'ok' || b.outcome === 'fail' ? 'closed' : 'open');
        // Only completions with ok or fail end an operation; info and open ones never return.
        const returns = (o: (typeof ops)[number]) => (o.outcome === 'ok' || o.outcome === 'fail' ? o.ret! : Number.POSITIVE_INFINITY);
        for (const a of ops) {
          for (const b of ops) {
            if (a === b) continue;
            expect(drawn[a.id]!.right <= drawn[b.id]!.left, `op ${a.id} before op ${b.id}`).toBe(returns(a) < b.call);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
