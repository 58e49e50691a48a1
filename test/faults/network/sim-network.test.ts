import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

const MS = 1_000_000;

function network(nodes = 3, options: Partial<mar.NetworkOptions> = {}, worldOptions: Partial<mar.WorldOptions> = {}) {
  const world = new mar.World({ seed: 1, ...worldOptions });
  const sim = world.simulate({ network: { nodes, ...options } });
  const lines = () => world.trace.text().trimEnd().split('\n').slice(1).map((line) => line.replace(/^event=\d+ /, ''));
  const events = (prefix: string) => lines().filter((line) => line.startsWith(prefix));
  return { world, sim, lines, events };
}

describe('simulated network: delivery', () => {
  it('delivers with the fixed one-tick latency of the none profile and traces send and deliver', async () => {
    const { sim, events } = network();
    const a = sim.endpoint<string>(0);
    const b = sim.endpoint<string>(1);
    a.send(1, 'hello');
    expect(await b.receive()).toEqual({ from: 0, message: 'hello' });
    expect(sim.env.clock.now()).toBe(MS);
    expect(events('network.')).toEqual([
      'network.init nodes=3 service_nodes=3 path_capacity=64',
      'network.faults drop_rate=0/1 min_latency_ns=1000000 latency_jitter_ns=0 path_clog_rate=0/1 path_clog_duration_ns=0 ' +
        'partition_rate=0/1 unpartition_rate=0/1 partition_stability_min_ns=0 unpartition_stability_min_ns=0',
      'network.send id=0 from=0 to=1 deliver_at=1000000 latency_ns=1000000',
      'network.deliver id=0 from=0 to=1 now_ns=1000000',
    ]);
  });

  it('resolves null when nothing is in flight for the node', async () => {
    const { sim } = network();
    sim.endpoint(0).send(1, 'x');
    expect(await sim.endpoint(2).receive()).toBeNull();
    expect(sim.env.clock.now()).toBe(0);
  });

  it('delivers every node its packets in (deliver_at, packet_id) order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 32 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 40 }),
        async (seed, sends) => {
          const world = new mar.World({ seed });
          const sim = world.simulate({ network: { nodes: 4, pathCapacity: 64 } });
          await sim.control.network.setLatency({ minLatencyNs: MS, latencyJitterNs: 5 * MS });
          sends.forEach(([from, to]) => sim.endpoint(from).send(to, null));
          const sent = new Map<number, number>();
          for (const line of world.trace.text().split('\n')) {
            const m = /network.send id=(\d+) from=\d+ to=\d+ deliver_at=(\d+)/.exec(line);
            if (m) sent.set(Number(m[1]), Number(m[2]));
          }
          for (let node = 0; node < 4; node++) {
            const before = world.trace.eventCount;
            while ((await sim.endpoint(node).receive()) !== null);
            const delivered = world.trace
              .text()
              .split('\n')
              .slice(before + 1)
              .map((line) => /network.deliver id=(\d+)/.exec(line))
              .filter((m): m is RegExpExecArray => m !== null)
              .map((m) => Number(m[1]));
            const keys = delivered.map((id) => [sent.get(id)!, id] as const);
            const sorted = [...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
            expect(keys).toEqual(sorted);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('consumes a packet id for every send, dropped or not', async () => {
    const { sim, events } = network();
    await sim.control.network.setNode(2, false);
    sim.endpoint(0).send(2, 'dropped');
    sim.endpoint(0).send(1, 'kept');
    expect(events('network.drop')).toEqual(['network.drop id=0 from=0 to=2 reason=destination_down']);
    expect(events('network.send')).toEqual(['network.send id=1 from=0 to=1 deliver_at=1000000 latency_ns=1000000']);
  });

  it('wakes a waiting receiver when an earlier packet is sent while it waits', async () => {
    const { sim } = network();
    await sim.control.network.setLatency({ minLatencyNs: 10 * MS, latencyJitterNs: 0 });
    sim.endpoint(0).send(1, 'slow');
    const received = sim.endpoint(1).receive();
    await sim.control.network.setLatency({ minLatencyNs: MS, latencyJitterNs: 0 });
    sim.endpoint(2).send(1, 'fast');
    expect(await received).toEqual({ from: 2, message: 'fast' });
    expect(sim.env.clock.now()).toBe(MS);
  });

  it('rejects node ids outside 0..nodes-1 with InvalidNode', () => {
    const { sim } = network(3);
    expect(() => sim.endpoint(3)).toThrow(mar.InvalidNode);
    expect(() => sim.endpoint(-1)).toThrow(/node -1 is not in 0..2/);
    expect(() => sim.endpoint(0).send(7, 'x')).toThrow(mar.InvalidNode);
    expect(() => sim.endpoint(1.5 as number)).toThrow(mar.InvalidNode);
  });

  it('validates its options', () => {
    const world = () => new mar.World({ seed: 1 });
    expect(() => world().simulate({ network: { nodes: 0 } })).toThrow(/network.nodes must be an integer/);
    expect(() => world().simulate({ network: { nodes: 3, serviceNodes: 4 } })).toThrow(/serviceNodes/);
    expect(() => world().simulate({ network: { nodes: 3, pathCapacity: 0 } })).toThrow(/pathCapacity/);
    expect(() => world().simulate({ bogus: 1 } as never)).toThrow(/unknown option bogus/);
    expect(() => world().simulate({}).endpoint(0)).toThrow(/has no network/);
    expect(() => world().simulate({}).control.network).toThrow(mar.WorldMisuse);
  });

  it('drops a send to a full path as a traced drop, not a crash', async () => {
    const { sim, events } = network(2, { pathCapacity: 2 });
    for (let i = 0; i < 3; i++) sim.endpoint(0).send(1, i);
    expect(events('network.drop')).toEqual(['network.drop id=2 from=0 to=1 reason=path_full']);
    expect((await sim.endpoint(1).receive())?.message).toBe(0);
    expect((await sim.endpoint(1).receive())?.message).toBe(1);
    expect(await sim.endpoint(1).receive()).toBeNull();
  });
});

describe('simulated network: control', () => {
  it('drops sends when lossiness fires', async () => {
    const { sim, events } = network();
    await sim.control.network.setLossiness({ dropRate: mar.BuggifyRate.always() });
    sim.endpoint(0).send(1, 'x');
    expect(events('network.lossiness')).toEqual(['network.lossiness drop_rate=1/1']);
    expect(events('network.drop')).toEqual(['network.drop id=0 from=0 to=1 reason=send_drop']);
    expect(await sim.endpoint(1).receive()).toBeNull();
  });

  it('draws latency within [min, min + jitter] in whole ticks', async () => {
    const { sim, events } = network();
    await sim.control.network.setLatency({ minLatencyNs: 2 * MS, latencyJitterNs: 3 * MS });
    for (let i = 0; i < 200; i++) sim.endpoint(0).send(1, i);
    const latencies = new Set(events('network.send').map((line) => Number(/latency_ns=(\d+)/.exec(line)![1])));
    expect(latencies).toEqual(new Set([2 * MS, 3 * MS, 4 * MS, 5 * MS]));
  });

  it('requires tick-aligned latency', async () => {
    const { sim } = network();
    await expect(sim.control.network.setLatency({ minLatencyNs: 1_500_000, latencyJitterNs: 0 })).rejects.toThrow(
      /minLatencyNs must be a multiple of tickNs \(1000000\), got 1500000/,
    );
    await expect(sim.control.network.setLatency({ minLatencyNs: MS } as never)).rejects.toThrow(/latencyJitterNs is required/);
  });

  it('partition cuts both directions, drops queued packets across the cut, and heal restores', async () => {
    const { sim, events } = network(3);
    sim.endpoint(0).send(2, 'queued');
    await sim.control.network.partition([0], [1, 2]);
    expect(events('network.drop')).toEqual(['network.drop id=0 from=0 to=2 reason=link_disabled']);
    sim.endpoint(0).send(1, 'cut');
    sim.endpoint(1).send(0, 'cut back');
    sim.endpoint(1).send(2, 'same side');
    expect(events('network.drop')).toHaveLength(3);
    expect((await sim.endpoint(2).receive())?.message).toBe('same side');
    await sim.control.network.heal();
    sim.endpoint(0).send(1, 'healed');
    expect((await sim.endpoint(1).receive())?.message).toBe('healed');
    expect(events('network.partition')).toEqual(['network.partition left=0 right=1,2']);
    expect(events('network.heal')).toEqual(['network.heal']);
  });

  it('keeps nodes that are on neither side of a partition connected', async () => {
    const { sim } = network(3);
    await sim.control.network.partition([0], [1]);
    sim.endpoint(2).send(0, 'a');
    sim.endpoint(2).send(1, 'b');
    expect((await sim.endpoint(0).receive())?.message).toBe('a');
    expect((await sim.endpoint(1).receive())?.message).toBe('b');
  });

  it('rejects a malformed partition', async () => {
    const { sim } = network(3);
    await expect(sim.control.network.partition([], [1])).rejects.toThrow(/left must be a non-empty array/);
    await expect(sim.control.network.partition([0], [0])).rejects.toThrow(/node 0 is on both sides/);
    await expect(sim.control.network.partition([0], [9])).rejects.toThrow(mar.InvalidNode);
  });

  it('takes nodes down and up, dropping their queued packets', async () => {
    const { sim, events } = network(3);
    sim.endpoint(0).send(1, 'queued');
    await sim.control.network.setNode(1, false);
    sim.endpoint(1).send(0, 'from down node');
    expect(events('network.drop')).toEqual([
      'network.drop id=0 from=0 to=1 reason=destination_down',
      'network.drop id=1 from=1 to=0 reason=source_down',
    ]);
    await sim.control.network.setNode(1, true);
    sim.endpoint(0).send(1, 'back');
    expect((await sim.endpoint(1).receive())?.message).toBe('back');
    expect(events('network.node')).toEqual(['network.node id=1 up=false', 'network.node id=1 up=true']);
  });

  it('disables one directed link and heals links', async () => {
    const { sim, events } = network(2);
    await sim.control.network.setLink(0, 1, false);
    sim.endpoint(0).send(1, 'blocked');
    sim.endpoint(1).send(0, 'other direction');
    expect(events('network.drop')).toEqual(['network.drop id=0 from=0 to=1 reason=link_disabled']);
    expect((await sim.endpoint(0).receive())?.message).toBe('other direction');
    await sim.control.network.healLinks();
    sim.endpoint(0).send(1, 'open');
    expect((await sim.endpoint(1).receive())?.message).toBe('open');
  });

  it('holds packets on a clogged path until the clog ends, or until unclog', async () => {
    const { sim, events } = network(3);
    await sim.control.network.clog(0, 1, 10 * MS);
    sim.endpoint(0).send(1, 'held');
    expect(await sim.endpoint(1).receive()).toEqual({ from: 0, message: 'held' });
    expect(sim.env.clock.now()).toBe(10 * MS);
    await sim.control.network.clog(0, 2, 50 * MS);
    sim.endpoint(0).send(2, 'released');
    const received = sim.endpoint(2).receive();
    await sim.control.runFor(3 * MS);
    await sim.control.network.unclog(0, 2);
    await received;
    expect(sim.env.clock.now()).toBe(13 * MS);
    await sim.control.network.clog(1, 2, MS);
    await sim.control.network.unclogAll();
    expect(events('network.clog')[0]).toBe('network.clog from=0 to=1 until_ns=10000000');
    expect(events('network.unclog')).toEqual(['network.unclog from=0 to=2', 'network.unclog_all']);
  });

  it('evolves random clogs and automatic partitions only as ticks pass, honouring stability floors', async () => {
    const { sim, events } = network(3);
    await sim.control.network.setPartitionDynamics({
      partitionRate: mar.BuggifyRate.always(),
      unpartitionRate: mar.BuggifyRate.always(),
      partitionStabilityMinNs: 5 * MS,
      unpartitionStabilityMinNs: 3 * MS,
    });
    await sim.control.network.setClogs({ pathClogRate: mar.BuggifyRate.always(), pathClogDurationNs: 2 * MS });
    expect(events('network.auto_')).toEqual([]);
    expect(events('network.clog ')).toEqual([]);
    await sim.control.runFor(20 * MS);
    const dynamics = events('network.auto_');
    // Whole for the 3 ms unpartition floor, split for the 5 ms partition floor, and so on.
    expect(dynamics.map((line) => [line.split(' ')[0], Number(/now_ns=(\d+)/.exec(line)![1]) / MS])).toEqual([
      ['network.auto_partition', 3],
      ['network.auto_heal', 8],
      ['network.auto_partition', 11],
      ['network.auto_heal', 16],
      ['network.auto_partition', 19],
    ]);
    expect(dynamics[0]).toMatch(/^network.auto_partition left=[\d,]+ right=[\d,]+ now_ns=3000000$/);
    expect(events('network.partition_dynamics')).toHaveLength(1);
    expect(events('network.clog_faults')).toEqual(['network.clog_faults path_clog_rate=1/1 path_clog_duration_ns=2000000']);
    expect(events('network.clog ').length).toBeGreaterThan(0);
  });

  it('applies every setting at once with setFaults', async () => {
    const { sim, events } = network(2);
    await sim.control.network.setFaults({ dropRate: mar.BuggifyRate.percent(5), minLatencyNs: 2 * MS });
    expect(events('network.faults').at(-1)).toBe('network.faults drop_rate=5/100 min_latency_ns=2000000');
    await expect(sim.control.network.setFaults({ bogus: 1 } as never)).rejects.toThrow(/unknown option bogus/);
  });
});

describe('simulated network: edge cases found in review', () => {
  it('lets packets out early when a clog is shortened', async () => {
    const { sim } = network(2);
    await sim.control.network.clog(0, 1, 100 * MS);
    sim.endpoint(0).send(1, 'x');
    const received = sim.endpoint(1).receive();
    await sim.control.runFor(10 * MS);
    await sim.control.network.clog(0, 1, 5 * MS);
    await received;
    expect(sim.env.clock.now()).toBe(15 * MS);
  });

  it('wakes a receiver at once when the packet it waits for is dropped', async () => {
    const { sim } = network(2);
    await sim.control.network.setLatency({ minLatencyNs: 50 * MS, latencyJitterNs: 0 });
    sim.endpoint(0).send(1, 'x');
    const received = sim.endpoint(1).receive();
    await sim.control.runFor(MS);
    await sim.control.network.partition([0], [1]);
    expect(await received).toBeNull();
    expect(sim.env.clock.now()).toBe(MS);
  });

  it('rejects an empty setFaults', async () => {
    const { sim } = network(2);
    await expect(sim.control.network.setFaults({})).rejects.toThrow(/give at least one fault setting/);
  });

  it('stops a busy polling loop that never lets time pass as a Livelock', async () => {
    const c = mar.defineCase({
      name: 'spin',
      init: (world: mar.World) => world.simulate({ network: { nodes: 2 } }),
      async scenario(sim: mar.Simulation) {
        for (;;) if (await sim.endpoint(1).receive()) break;
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.kind).toBe('scenario_error');
    expect(report.errorName).toBe('Livelock');
    expect(report.errorMessage).toMatch(/polled 100000 times at 0 ns with nothing in flight/);
  });
});
