import * as mar from 'marionette-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

function lines(report: mar.RunReport, prefix: string): string[] {
  return report.trace
    .split('\n')
    .map((line) => line.replace(/^event=\d+ /, ''))
    .filter((line) => line.startsWith(prefix));
}

class NotYet extends Error {
  override name = 'NotYet';
}

/** Two replicas gossip a counter every 10 ms; under total loss they never agree until calm. */
function gossip(withinNs?: number) {
  return mar.defineCase({
    name: 'gossip',
    init: (world) => ({ sim: world.simulate({ network: { nodes: 2 } }), values: [5, 0] }),
    async scenario(state) {
      for (const id of [0, 1]) {
        state.sim.host(id, async (env) => {
          const endpoint = env.endpoint<number>();
          setInterval(() => endpoint.send(1 - id, state.values[id]!), 10);
          for (;;) {
            const envelope = await endpoint.receive();
            if (envelope === null) await sleep(5);
            else state.values[id] = Math.max(state.values[id]!, envelope.message);
          }
        });
      }
      await sleep(100);
    },
    eventually: [
      {
        name: 'replicas agree',
        ...(withinNs === undefined ? {} : { withinNs }),
        check: ({ values }) => {
          if (values[0] !== values[1]) throw new NotYet(`${values[0]} vs ${values[1]}`);
        },
      },
    ],
  });
}
const totalLoss = { network: { dropRate: '1/1' } } as const;

describe('eventually and calm', () => {
  it('calms every fault after the checks and passes once the replicas agree', async () => {
    const report = await mar.runCase(gossip(), { seed: 1, profile: totalLoss });
    expect(report.passed).toBe(true);
    expect(lines(report, 'liveness.')).toEqual(['liveness.start checks=1 now_ns=100000000', 'liveness.pass name=replicas%20agree at_ns=102000000']);
    const calm = report.trace.indexOf('control.calm');
    expect(calm).toBeGreaterThan(report.trace.indexOf('liveness.start'));
    expect(report.trace.slice(calm)).toMatch(/^control\.calm\n.*network\.calm/);
    // Before calm every packet was dropped; after it none is.
    expect(report.trace.slice(0, calm)).toContain('reason=send_drop');
    expect(report.trace.slice(calm)).not.toContain('reason=send_drop');
  });

  it('fails as liveness_failed with the check\'s last error once withinNs has passed', async () => {
    const stuck = mar.defineCase({
      name: 'stuck',
      init: () => ({ attempts: 0 }),
      scenario() {},
      eventually: [
        {
          name: 'never',
          withinNs: 5_000_000,
          check: (state: { attempts: number }) => {
            throw new NotYet(`attempt ${++state.attempts}`);
          },
        },
      ],
    });
    const report = await mar.runCase(stuck, { seed: 1 });
    expect(report).toMatchObject({
      kind: 'liveness_failed',
      phase: 'eventually',
      checkName: 'never',
      errorName: 'NotYet',
      errorMessage: 'attempt 6',
      signature: 'liveness_failed|never|NotYet',
      finalNs: 5_000_000,
    });
    expect(lines(report, 'liveness.')).toEqual(['liveness.start checks=1 now_ns=0', 'liveness.fail name=never error=NotYet now_ns=5000000']);
    expect(mar.FAILURE_KINDS).toContain('liveness_failed');
  });

  it('gives a check its last look exactly at withinNs (both sides of the boundary)', async () => {
    const passesAt = (ns: number, withinNs: number) =>
      mar.defineCase({
        name: 'boundary',
        init: (world) => world,
        scenario() {},
        eventually: [
          {
            name: 'late',
            withinNs,
            check: (world: mar.World) => {
              if (world.nowNs < ns) throw new NotYet('not yet');
            },
          },
        ],
      });
    expect((await mar.runCase(passesAt(7_000_000, 7_000_000), { seed: 1 })).passed).toBe(true);
    expect((await mar.runCase(passesAt(7_000_000, 6_999_999), { seed: 1 })).kind).toBe('liveness_failed');
  });

  it('fails a check whose deadline passed while another check moved time', async () => {
    const c = mar.defineCase({
      name: 'two deadlines',
      init: () => 0,
      scenario() {},
      eventually: [
        {
          name: 'a',
          withinNs: 2_000_000,
          check: () => {
            throw new NotYet('not yet a');
          },
        },
        {
          name: 'b',
          check: async () => {
            await sleep(5);
            throw new NotYet('not yet b');
          },
        },
      ],
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report).toMatchObject({ kind: 'liveness_failed', checkName: 'a', errorMessage: 'not yet a', finalNs: 5_000_000 });
  });

  it('defaults withinNs to 10 s of simulated time', async () => {
    const report = await mar.runCase(gossip(), { seed: 1, profile: totalLoss });
    expect(report.passed).toBe(true);
    const never = mar.defineCase({
      name: 'never',
      init: () => 0,
      scenario() {},
      eventually: [{ name: 'x', check: () => Promise.reject(new NotYet('x')) }],
    });
    expect((await mar.runCase(never, { seed: 1 })).finalNs).toBe(10_000_000_000);
  });

  it('reports an eventually-check that stalls as stalled, naming it', async () => {
    const c = mar.defineCase({
      name: 'stalls',
      init: () => 0,
      scenario() {},
      eventually: [{ name: 'hangs', check: () => new Promise(() => {}) }],
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('stalled');
    expect(report.checkName).toBe('hangs');
  });

  it('runs no liveness phase (and no calm) for a case without eventually-checks', async () => {
    const c = mar.defineCase({ name: 'plain', init: (world) => world.simulate(), scenario() {} });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.trace).not.toContain('liveness.');
    expect(report.trace).not.toContain('control.calm');
  });

  it('heals partitions, unclogs, enables links and brings nodes up on control.calm', async () => {
    const c = mar.defineCase({
      name: 'calm network',
      init: (world) => world.simulate({ network: { nodes: 3 }, disk: {} }),
      async scenario(sim) {
        await sim.control.network.partition([0], [1, 2]);
        await sim.control.network.clog(1, 2, 1_000_000_000);
        await sim.control.network.setLink(2, 0, false);
        await sim.control.network.setNode(2, false);
        await sim.control.disk.crash();
        await sim.control.calm();
        const got: string[] = [];
        for (const [from, to] of [
          [0, 1],
          [1, 2],
          [2, 0],
        ] as const) {
          sim.endpoint<string>(from).send(to, `${from}->${to}`);
        }
        await sim.control.runFor(2_000_000);
        for (const node of [0, 1, 2]) for (let e = await sim.endpoint<string>(node).receive(); e !== null; e = await sim.endpoint<string>(node).receive()) got.push(e.message);
        sim.env.record('probe.got', { messages: got.sort().join(',') });
        await sim.env.disk.write({ path: 'x', offset: 0, bytes: new Uint8Array(4096) });
      },
    });
    const report = await mar.runCase(c, { seed: 1, profile: { disk: { writeErrorRate: '1/1' } } });
    expect(report.passed).toBe(true);
    expect(lines(report, 'probe.')).toEqual(['probe.got messages=0->1,1->2,2->0']);
    expect(lines(report, 'disk.')).toContain('disk.restart status=ok');
  });
});

describe('eventually: bad definitions', () => {
  const base = { name: 'x', init: () => 0, scenario() {} };
  it.each([
    [[{ check: () => {} }], 'defineCase: every eventually-check needs a non-empty name, got undefined'],
    [[{ name: '', check: () => {} }], 'defineCase: every eventually-check needs a non-empty name, got ""'],
    [[{ name: 'a' }], 'defineCase: eventually-check "a" needs a check function, got undefined'],
    [[{ name: 'a', check: () => {}, withinNs: 0 }], 'defineCase: eventually-check "a": withinNs must be a positive safe integer of ns, got 0'],
    [[{ name: 'a', check: () => {}, withinNs: -5 }], 'defineCase: eventually-check "a": withinNs must be a positive safe integer of ns, got -5'],
    [[{ name: 'a', check: () => {}, withinNs: 1.5 }], 'defineCase: eventually-check "a": withinNs must be a positive safe integer of ns, got 1.5'],
    [
      [
        { name: 'a', check: () => {} },
        { name: 'a', check: () => {} },
      ],
      'defineCase: eventually-check names must be unique, got "a"',
    ],
    ['nope', 'defineCase: eventually must be an array, got "nope"'],
  ])('rejects %j', (eventually, message) => {
    expect(() => mar.defineCase({ ...base, eventually } as never)).toThrow(new mar.InvalidArgument(message));
  });

  it('accepts withinNs of 1 ns, the smallest', () => {
    expect(mar.defineCase({ ...base, eventually: [{ name: 'a', check: () => {}, withinNs: 1 }] }).eventually[0]!.withinNs).toBe(1);
  });
});
