import * as mar from 'marionette-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { InvalidArgument } from '../../src/kernel/errors.js';
import { spaceTimeDiagram } from '../../src/report/space-time-diagram.js';
import { assertWellFormedXml } from './_xml.js';

const HEADER = 'marionette.trace format=text version=0';

/** A trace from event bodies (`network.send id=0 ...`), numbered from 0. */
function trace(bodies: readonly string[]): string {
  return `${HEADER}\n${bodies.map((body, i) => `event=${i} ${body}\n`).join('')}`;
}

/** The trace line of event `index`. */
function lineOf(text: string, index: number): string {
  return text.split('\n')[index + 1]!;
}

/** How many events of one of `names` the trace has. */
function countEvents(text: string, ...names: string[]): number {
  return text.split('\n').filter((line) => names.some((name) => new RegExp(`^event=\\d+ ${name.replace('.', '\\.')}( |$)`).test(line))).length;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

interface Group {
  readonly kind: string;
  readonly event: number;
  readonly lane: string | undefined;
  readonly title: string;
  /** The markup inside the group after its title. */
  readonly body: string;
}

/** Every `<g class="st-KIND" data-event="N">` group, with its decoded title. Groups never nest, so the first `</g>` ends one. */
function groups(svg: string, kind?: string): Group[] {
  const re = /<g class="st-([a-z]+)" data-event="(\d+)"(?: data-lane="([^"]*)")?><title>([^<]*)<\/title>(.*?)<\/g>/g;
  return [...svg.matchAll(re)]
    .map((m) => ({ kind: m[1]!, event: Number(m[2]), lane: m[3] === undefined ? undefined : unescapeXml(m[3]), title: unescapeXml(m[4]!), body: m[5]! }))
    .filter((g) => kind === undefined || g.kind === kind);
}

/** Lanes in order, with the x of their line. */
function lanes(svg: string): { readonly lane: string; readonly host: string | undefined; readonly x: number }[] {
  const re = /<g class="st-lane" data-lane="([^"]*)"(?: data-host="(\d+)")?>.*?<line x1="(\d+)"/g;
  return [...svg.matchAll(re)].map((m) => ({ lane: m[1]!, host: m[2], x: Number(m[3]) }));
}

/** The one line of a deliver group, as numbers. */
function arrow(group: Group): { x1: number; y1: number; x2: number; y2: number } {
  const m = /^<line x1="(-?\d+)" y1="(-?\d+)" x2="(-?\d+)" y2="(-?\d+)"\/>$/.exec(group.body);
  if (m === null) throw new Error(`not one line: ${group.body}`);
  return { x1: Number(m[1]), y1: Number(m[2]), x2: Number(m[3]), y2: Number(m[4]) };
}


/** Runs a built-in case in process and returns its trace. */
async function builtinTrace(name: string, seed: number, profile?: mar.ProfileInput): Promise<string> {
  const c = findBuiltinCase(name);
  if (c === undefined) throw new Error(`no case ${name}`);
  return (await mar.runCase(c, { seed, ...(profile === undefined ? {} : { profile }) })).trace;
}

/** The events drawn as rows (the contract of the diagram): network traffic and faults, hosts, fired BUGGIFY, calm. */
const ROW_EVENT = /^event=\d+ (network\.(send|deliver|drop|partition|auto_partition|heal|auto_heal|heal_links|clog|unclog|unclog_all|node|link)|host\.(start|crash|restart)|control\.calm|buggify .*fired=true)( |$)/;

function expectTitlesAreTheLines(svg: string, text: string): void {
  const all = groups(svg);
  expect(all.length).toBeGreaterThan(0);
  for (const g of all) expect(g.title, `st-${g.kind} of event ${g.event}`).toBe(lineOf(text, g.event));
  // Every group was seen by the pattern above: none has another shape of opening tag.
  expect(all.length).toBe((svg.match(/<g class="st-(?!lane)/g) ?? []).length);
}

describe('spaceTimeDiagram on real traces', () => {
  it('replicated-register-bug: an arrow per delivery, a cross per drop, the partition, a lane per node, the failed check', async () => {
    const text = await builtinTrace('replicated-register-bug', 12648430);
    const svg = spaceTimeDiagram(text);
    assertWellFormedXml(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true);
    const delivers = countEvents(text, 'network.deliver');
    const drops = countEvents(text, 'network.drop');
    expect(delivers).toBeGreaterThan(0);
    expect(drops).toBeGreaterThan(0);
    expect(groups(svg, 'deliver')).toHaveLength(delivers);
    expect(groups(svg, 'drop')).toHaveLength(drops);
    expect(groups(svg, 'partition')).toHaveLength(countEvents(text, 'network.partition', 'network.auto_partition'));
    const nodes = Number(/network\.init nodes=(\d+)/.exec(text)![1]);
    expect(lanes(svg).map((l) => l.lane)).toEqual(Array.from({ length: nodes }, (_, i) => `node ${i}`));
    const fails = groups(svg, 'fail');
    expect(fails).toHaveLength(1);
    expect(fails[0]!.title).toMatch(/^event=\d+ check\.fail name=committed%20replicas%20agree error=InvariantViolation$/);
    expect(fails[0]!.body).toContain('check failed: committed replicas agree: InvariantViolation');
    expectTitlesAreTheLines(svg, text);
    expect(svg.includes('class="st-cut"')).toBe(false);

    // Each arrow runs from the sender's lane to the receiver's, downwards.
    const x = new Map(lanes(svg).map((l) => [l.lane, l.x]));
    for (const g of groups(svg, 'deliver')) {
      const [, from, to] = /from=(\d+) to=(\d+)/.exec(g.title)!;
      const a = arrow(g);
      expect(a.x1).toBe(x.get(`node ${from}`));
      expect(a.x2).toBe(x.get(`node ${to}`));
      expect(a.y2).toBeGreaterThan(a.y1);
    }
    // Each cross is on its sender's lane.
    for (const g of groups(svg, 'drop')) expect(g.lane).toBe(`node ${/from=(\d+)/.exec(g.title)![1]}`);
  });

  it('lease-heartbeat-bug: hosts share their node lanes; a mark per crash and restart on the host lane', async () => {
    const text = await builtinTrace('lease-heartbeat-bug', 5, 'swarm');
    const crashes = countEvents(text, 'host.crash');
    const restarts = countEvents(text, 'host.restart');
    expect(crashes).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
    const svg = spaceTimeDiagram(text);
    assertWellFormedXml(svg);
    expect(groups(svg, 'crash')).toHaveLength(crashes);
    expect(groups(svg, 'restart')).toHaveLength(restarts);
    expect(groups(svg, 'start')).toHaveLength(countEvents(text, 'host.start'));
    expect(groups(svg, 'deliver')).toHaveLength(countEvents(text, 'network.deliver'));
    expect(groups(svg, 'drop')).toHaveLength(countEvents(text, 'network.drop'));
    expect(groups(svg, 'clog')).toHaveLength(countEvents(text, 'network.clog'));
    for (const g of [...groups(svg, 'crash'), ...groups(svg, 'restart')]) expect(g.lane).toBe(`node ${/ id=(\d+)/.exec(g.title)![1]}`);

    const nodes = Number(/network\.init nodes=(\d+)/.exec(text)![1]);
    const hostIds = [...new Set([...text.matchAll(/ host\.start id=(\d+)/g)].map((m) => m[1]!))].sort();
    const drawnLanes = lanes(svg);
    expect(drawnLanes).toHaveLength(nodes); // one lane where a host and a node coincide
    expect(drawnLanes.filter((l) => l.host !== undefined).map((l) => l.host)).toEqual(hostIds);
    expect(groups(svg, 'fail')).toHaveLength(countEvents(text, 'check.fail', 'liveness.fail', 'run.error', 'run.stalled', 'assert.fail'));
    expectTitlesAreTheLines(svg, text);
  });

  it('stops at maxRows, says how many events it left out, and still draws the failure', async () => {
    const text = await builtinTrace('lease-heartbeat-bug', 5, 'swarm');
    const rowLines = text.split('\n').filter((line) => ROW_EVENT.test(line));
    const maxRows = 100;
    expect(rowLines.length).toBeGreaterThan(maxRows);
    const svg = spaceTimeDiagram(text, { maxRows });
    assertWellFormedXml(svg);
    const cut = /<text class="st-cut"[^>]*data-left-out="(\d+)">([^<]*)<\/text>/.exec(svg);
    expect(cut).not.toBeNull();
    const leftOut = rowLines.length - maxRows;
    expect(Number(cut![1])).toBe(leftOut);
    expect(cut![2]).toContain(`${leftOut} more events left out`);
    // Nothing past the last drawn row is drawn, but the failure is.
    const lastDrawn = Number(/^event=(\d+)/.exec(rowLines[maxRows - 1]!)![1]);
    const drawn = groups(svg).filter((g) => g.kind !== 'fail');
    expect(Math.max(...drawn.map((g) => g.event))).toBeLessThanOrEqual(lastDrawn);
    expect(groups(svg, 'deliver')).toHaveLength(rowLines.slice(0, maxRows).filter((l) => / network\.deliver /.test(l)).length);
    expect(groups(svg, 'fail')).toHaveLength(1);
    expectTitlesAreTheLines(svg, text);

    // The default draws all of this trace; a limit of exactly the row count cuts nothing.
    expect(spaceTimeDiagram(text).includes('class="st-cut"')).toBe(false);
    expect(spaceTimeDiagram(text, { maxRows: rowLines.length }).includes('class="st-cut"')).toBe(false);
    expect(spaceTimeDiagram(text, { maxRows: rowLines.length - 1 }).includes('data-left-out="1">1 more event left out')).toBe(true);
    const none = spaceTimeDiagram(text, { maxRows: 0 });
    expect(groups(none).filter((g) => g.kind !== 'fail')).toEqual([]);
    expect(none.includes(`data-left-out="${rowLines.length}"`)).toBe(true);
  });

  it('returns an empty string for a trace with neither network nor hosts', async () => {
    const text = await builtinTrace('idempotency-bug', 1);
    expect(text).not.toMatch(/ (network|host)\./);
    expect(spaceTimeDiagram(text)).toBe('');
    expect(spaceTimeDiagram(`${HEADER}\n`)).toBe('');
    expect(spaceTimeDiagram(trace(['world.init seed=1 start_ns=0 tick_ns=1000000', 'buggify hook=h rate=1/1 roll=0 fired=true', 'check.fail name=x error=Error']))).toBe('');
  });

  it('escapes XML in recorded values, draws fired BUGGIFY, partitions, heals, clogs and calm (a case run in process)', async () => {
    const name = `a<b & "c" 'd'>`;
    const c = mar.defineCase({
      name: 'space-time probe',
      init: (world) => world.simulate({ network: { nodes: 3 } }),
      async scenario(sim) {
        const [a, b] = [sim.endpoint<string>(0), sim.endpoint<string>(1)];
        sim.env.buggify('probe_hook', mar.BuggifyRate.always());
        sim.env.buggify('quiet_hook', mar.BuggifyRate.never());
        a.send(1, 'one');
        await b.receive();
        sim.control.network.partition([0], [1, 2]);
        a.send(1, 'lost');
        sim.control.network.heal();
        sim.control.network.clog(1, 0, 5_000_000);
        b.send(0, 'late');
        sim.control.network.unclog(1, 0);
        await a.receive();
        b.send(2, 'never read');
      },
      checks: [{ name, check: () => { throw new Error('probe'); } }],
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('check_failed');
    const text = report.trace;
    const svg = spaceTimeDiagram(text);
    assertWellFormedXml(svg);
    expectTitlesAreTheLines(svg, text);

    const fail = groups(svg, 'fail');
    expect(fail).toHaveLength(1);
    expect(lineOf(text, fail[0]!.event)).toContain(`name=a<b%20&%20"c"%20'd'>`); // the trace keeps these characters as they are
    expect(svg).toContain('a&lt;b%20&amp;%20&quot;c&quot;%20&apos;d&apos;&gt;'); // the title, escaped
    expect(fail[0]!.body).toContain(`check failed: a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;: Error`); // the label, decoded and escaped

    expect(groups(svg, 'buggify').map((g) => g.title)).toEqual([expect.stringMatching(/ buggify hook=probe_hook .*fired=true$/)]);
    expect(groups(svg, 'partition')).toHaveLength(1);
    expect(groups(svg, 'heal')).toHaveLength(1);
    expect(groups(svg, 'clog')).toHaveLength(1);
    expect(groups(svg, 'unclog')).toHaveLength(1);
    expect(groups(svg, 'deliver')).toHaveLength(2);
    expect(groups(svg, 'drop')).toHaveLength(1);
    expect(groups(svg, 'inflight')).toHaveLength(1); // 'never read' is still in flight at the end
    expect(groups(svg, 'inflight')[0]!.title).toMatch(/network\.send id=\d+ from=1 to=2 /);
    expect(lanes(svg)).toHaveLength(3);
  });

  it('draws hosts without a network as host lanes, their down time from crash to restart', () => {
    const text = trace([
      'host.start id=0 incarnation=0 now_ns=0',
      'host.start id=5 incarnation=0 now_ns=0',
      'host.crash id=5 incarnation=0 abandoned_waits=1 now_ns=1000000 reason=random',
      'host.restart id=5 incarnation=1 now_ns=3000000 reason=random',
      'host.crash id=0 incarnation=0 abandoned_waits=0 now_ns=4000000',
      'run.stalled phase=scenario now_ns=4000000',
    ]);
    const svg = spaceTimeDiagram(text);
    assertWellFormedXml(svg);
    expect(lanes(svg).map((l) => [l.lane, l.host])).toEqual([['host 0', '0'], ['host 5', '5']]);
    expect(groups(svg, 'crash').map((g) => g.lane)).toEqual(['host 5', 'host 0']);
    expect(groups(svg, 'restart').map((g) => g.lane)).toEqual(['host 5']);
    expect(groups(svg, 'fail').map((g) => g.event)).toEqual([5]);
    expectTitlesAreTheLines(svg, text);
    // Host 5 is down from its crash (row 2) to its restart (row 3); host 0 from its crash to the end.
    const down = (g: Group) => {
      const m = /<rect x="\d+" y="(\d+)" width="\d+" height="(\d+)"\/>/.exec(g.body)!;
      return { top: Number(m[1]), bottom: Number(m[1]) + Number(m[2]) };
    };
    const [crash5, crash0] = groups(svg, 'crash');
    const lane0 = /<line x1="\d+" y1="\d+" x2="\d+" y2="(\d+)"\/>/.exec(svg)!;
    expect(2 * (down(crash5!).bottom - down(crash5!).top)).toBe(down(crash0!).top - down(crash5!).top); // one row of the two between the crashes
    expect(down(crash0!).bottom).toBe(Number(lane0[1])); // to the end of the lanes
  });

  it('puts arrows at the rows of their send and delivery, rows evenly spaced in trace order', () => {
    const text = trace([
      'network.init nodes=2 service_nodes=2 path_capacity=64',
      'network.send id=0 from=0 to=1 deliver_at=1000000 latency_ns=1000000',
      'network.send id=1 from=1 to=0 deliver_at=1000000 latency_ns=1000000',
      'clock.sleep duration_ns=1000000 wake_ns=1000000', // not drawn: takes no row
      'network.deliver id=1 from=1 to=0 now_ns=1000000',
      'network.deliver id=0 from=0 to=1 now_ns=1000000',
    ]);
    const svg = spaceTimeDiagram(text);
    const [x0, x1] = lanes(svg).map((l) => l.x);
    const [second, first] = groups(svg, 'deliver').map(arrow);
    expect([first!.x1, first!.x2, second!.x1, second!.x2]).toEqual([x0, x1, x1, x0]);
    const step = second!.y1 - first!.y1;
    expect(step).toBeGreaterThan(0);
    expect([second!.y2 - second!.y1, first!.y2 - first!.y1]).toEqual([step, 3 * step]);
    expect(svg).toContain('>0 ms</text>');
    expect(svg).toContain('>1 ms</text>');
  });

  it('is self-contained: one arrow marker defined in the SVG, no external reference', async () => {
    const text = await builtinTrace('replicated-register-stale-read-bug', 357, 'swarm');
    const svg = spaceTimeDiagram(text);
    expect(svg.match(/<marker /g)).toHaveLength(1);
    const id = /<marker id="([^"]+)"/.exec(svg)![1];
    expect([...svg.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1])).toEqual([`#${id}`]);
    expect(svg.replace('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/href|https?:|@import|@font-face/);
    expect(spaceTimeDiagram(text)).toBe(svg);
  });

  it('refuses a maxRows that is not a non-negative safe integer', () => {
    const text = trace(['network.init nodes=1 service_nodes=1 path_capacity=64']);
    for (const maxRows of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => spaceTimeDiagram(text, { maxRows })).toThrow(InvalidArgument);
  });

  it('draws exactly one arrow per delivery and one cross per drop, whatever the sequence (property)', () => {
    // A small network model: a send queues a packet or is dropped at once; queued packets are
    // delivered or dropped later, in any order; some stay in flight.
    const step = fc.record({ op: fc.constantFrom('send', 'send', 'settle', 'other'), from: fc.nat(3), to: fc.nat(3), pick: fc.nat(), deliver: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (nodes, steps, maxRows) => {
        const bodies = [`network.init nodes=${nodes} service_nodes=${nodes} path_capacity=64`];
        const inFlight: { id: number; from: number; to: number }[] = [];
        const sendPosition = new Map<number, number>(); // packet -> row
        let id = 0;
        for (const s of steps) {
          const from = s.from % nodes;
          const to = s.to % nodes;
          if (s.op === 'send' && s.deliver) {
            inFlight.push({ id, from, to });
            bodies.push(`network.send id=${id++} from=${from} to=${to} deliver_at=2000000 latency_ns=1000000`);
          } else if (s.op === 'send') bodies.push(`network.drop id=${id++} from=${from} to=${to} reason=send_drop`);
          else if (s.op === 'settle' && inFlight.length > 0) {
            const [p] = inFlight.splice(s.pick % inFlight.length, 1);
            bodies.push(s.deliver ? `network.deliver id=${p!.id} from=${p!.from} to=${p!.to} now_ns=2000000` : `network.drop id=${p!.id} from=${p!.from} to=${p!.to} reason=link_disabled`);
          } else bodies.push('clock.sleep duration_ns=1000000 wake_ns=2000000');
        }
        const text = trace(bodies);
        const rowsOf = text.split('\n').filter((l) => ROW_EVENT.test(l));
        const drawnRows = rowsOf.slice(0, maxRows);
        const count = (lines: string[], name: string) => lines.filter((l) => l.includes(` ${name} `)).length;

        const all = spaceTimeDiagram(text);
        assertWellFormedXml(all);
        expect(groups(all, 'deliver')).toHaveLength(count(rowsOf, 'network.deliver'));
        expect(groups(all, 'drop')).toHaveLength(count(rowsOf, 'network.drop'));
        expect(groups(all, 'inflight')).toHaveLength(inFlight.length);
        expectTitlesAreTheLinesOrNone(all, text);

        // Arrows: from the sender's lane to the receiver's, y an affine function of the row.
        const x = lanes(all).map((l) => l.x);
        for (const [row, line] of rowsOf.entries()) {
          const m = / network\.send id=(\d+) /.exec(line);
          if (m !== null) sendPosition.set(Number(m[1]), row);
        }
        const rowOfEvent = new Map(rowsOf.map((line, row) => [Number(/^event=(\d+)/.exec(line)![1]), row]));
        const points: [number, number][] = [];
        for (const g of groups(all, 'deliver')) {
          const [, packet, from, to] = /id=(\d+) from=(\d+) to=(\d+)/.exec(g.title)!;
          const a = arrow(g);
          expect([a.x1, a.x2]).toEqual([x[Number(from)], x[Number(to)]]);
          points.push([sendPosition.get(Number(packet))!, a.y1], [rowOfEvent.get(g.event)!, a.y2]);
        }
        if (points.length > 0) {
          const [r0, y0] = points[0]!;
          const slopes = points.filter(([r]) => r !== r0).map(([r, y]) => (y - y0) / (r - r0));
          for (const slope of slopes) expect(slope).toBe(slopes[0]);
          if (slopes.length > 0) expect(slopes[0]).toBeGreaterThan(0);
        }

        // The cut: only the first maxRows rows are drawn, and the note counts the rest.
        const cut = spaceTimeDiagram(text, { maxRows });
        assertWellFormedXml(cut);
        expect(groups(cut, 'deliver')).toHaveLength(count(drawnRows, 'network.deliver'));
        expect(groups(cut, 'drop')).toHaveLength(count(drawnRows, 'network.drop'));
        const leftOut = /data-left-out="(\d+)"/.exec(cut);
        expect(leftOut === null ? 0 : Number(leftOut[1])).toBe(rowsOf.length - drawnRows.length);
      }),
      { numRuns: 200 },
    );
  });
});

/** As expectTitlesAreTheLines, for a diagram that may have no groups at all. */
function expectTitlesAreTheLinesOrNone(svg: string, text: string): void {
  for (const g of groups(svg)) expect(g.title).toBe(lineOf(text, g.event));
  expect(groups(svg).length).toBe((svg.match(/<g class="st-(?!lane)/g) ?? []).length);
}
