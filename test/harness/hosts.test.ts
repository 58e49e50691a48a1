import * as mar from 'marionette-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const nsOf = (line: string): number => Number(/now_ns=(\d+)/.exec(line)![1]);

function events(report: mar.RunReport, prefix: string): string[] {
  return report.trace
    .split('\n')
    .map((line) => line.replace(/^event=\d+ /, ''))
    .filter((line) => line.startsWith(prefix));
}

const SECTOR = 512;
const sector = (fill: number) => new Uint8Array(SECTOR).fill(fill);

interface CounterState {
  readonly sim: mar.Simulation;
  readonly ticks: number[];
  readonly starts: string[];
  readonly reads: number[][];
}

/**
 * Host 1 counts on a setInterval, writes a synced and an unsynced sector, and sleeps; the
 * scenario crashes it, checks the counter stopped, restarts it and reads what survived.
 */
const counter = mar.defineCase<CounterState>({
  name: 'host counter',
  init: (world) => ({ sim: world.simulate({ network: { nodes: 2 }, disk: { sectorSize: SECTOR } }), ticks: [0, 0], starts: [], reads: [] }),
  async scenario(state) {
    const { sim } = state;
    const host = sim.host(1, async (env) => {
      state.starts.push(`id=${env.id} incarnation=${env.incarnation}`);
      const data = await env.disk.read({ path: 'state', offset: 0, length: 2 * SECTOR });
      state.reads.push([data[0]!, data[SECTOR]!]);
      setInterval(() => state.ticks[env.incarnation]!++, 10);
      await env.disk.write({ path: 'state', offset: 0, bytes: sector(7) });
      await env.disk.sync({ path: 'state' });
      await env.disk.write({ path: 'state', offset: SECTOR, bytes: sector(9) });
      await sleep(60_000);
      env.record('host.unreachable');
    });
    await sleep(95);
    sim.env.record('probe.before_crash', { ticks: state.ticks[0]!, up: host.up, incarnation: host.incarnation });
    await sim.control.hosts.crash(1);
    sim.env.record('probe.crashed', { up: host.up, is_up: sim.control.hosts.isUp(1) });
    await sleep(100);
    sim.env.record('probe.after_crash', { ticks: state.ticks[0]! });
    await sim.control.hosts.restart(1);
    await sleep(25);
    sim.env.record('probe.after_restart', { old_ticks: state.ticks[0]!, new_ticks: state.ticks[1]!, up: host.up, incarnation: host.incarnation });
  },
});

describe('hosts: crash and restart', () => {
  const lossy = { disk: { crashLostWriteRate: '1/1' } } as const;

  it('abandons a crashed host\'s intervals and sleeps, restarts main with incarnation 1, and keeps only synced writes', async () => {
    const report = await mar.runCase(counter, { seed: 1, profile: lossy });
    expect(report.passed).toBe(true);
    expect(events(report, 'probe.')).toEqual([
      'probe.before_crash ticks=9 up=true incarnation=0',
      'probe.crashed up=false is_up=false',
      'probe.after_crash ticks=9',
      'probe.after_restart old_ticks=9 new_ticks=2 up=true incarnation=1',
    ]);
    expect(events(report, 'host.')).toEqual([
      'host.start id=1 incarnation=0 now_ns=0',
      'host.crash id=1 incarnation=0 abandoned_waits=2 now_ns=95000000',
      'host.restart id=1 incarnation=1 now_ns=195000000',
    ]);
    expect(events(report, 'disk.crash')).toEqual([
      'disk.crash_write host=1 op=3 path=state offset=512 len=512 result=lost',
      'disk.crash host=1 pending_writes=1 landed=0 lost=1 torn=0',
    ]);
    expect(report.trace).not.toContain('host.unreachable');
  });

  it('shows the restarted incarnation what survived on its private disk', async () => {
    const reads: number[][][] = [];
    const c = mar.defineCase<CounterState>({
      ...counter,
      name: 'host counter reads',
      checks: [{ name: 'collect', check: (s) => void reads.push(s.reads) }],
    });
    await mar.runCase(c, { seed: 1, profile: lossy });
    expect(reads[0]).toEqual([
      [0, 0],
      [7, 0],
    ]);
  });

  it('bounces a host at one instant and takes its endpoint down while it is crashed', async () => {
    const c = mar.defineCase({
      name: 'bounce',
      init: (world) => world.simulate({ network: { nodes: 2 } }),
      async scenario(sim) {
        const starts: number[] = [];
        sim.host(1, (env) => void starts.push(env.incarnation));
        const client = sim.endpoint<string>(0);
        await sim.control.hosts.crash(1);
        client.send(1, 'while down');
        await sim.control.hosts.restart(1);
        client.send(1, 'while up');
        await sim.control.hosts.bounce(1);
        sim.env.record('probe.starts', { incarnations: starts.join(',') });
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(events(report, 'probe.')).toEqual(['probe.starts incarnations=0,1,2']);
    expect(events(report, 'network.drop')).toEqual([
      'network.drop id=0 from=0 to=1 reason=destination_down',
      'network.drop id=1 from=0 to=1 reason=destination_down',
    ]);
    expect(events(report, 'host.')).toEqual([
      'host.start id=1 incarnation=0 now_ns=0',
      'host.crash id=1 incarnation=0 abandoned_waits=0 now_ns=0',
      'host.restart id=1 incarnation=1 now_ns=0',
      'host.crash id=1 incarnation=1 abandoned_waits=0 now_ns=0',
      'host.restart id=1 incarnation=2 now_ns=0',
    ]);
  });

  it('keeps a receive wait owned by its host when another node\'s call moves it, so a crash abandons it', async () => {
    const receiveCase = (crash: boolean) =>
      mar.defineCase({
        name: 'receive ownership',
        init: (world) => world.simulate({ network: { nodes: 2 } }),
        async scenario(sim) {
          const received: number[] = [];
          await sim.control.network.clog(0, 1, 50_000_000);
          sim.endpoint<number>(0).send(1, 1); // held by the clog until 50 ms
          sim.host(1, async (env) => {
            for (;;) {
              if ((await env.endpoint<number>().receive()) !== null) received.push(Date.now() - mar.DEFAULT_EPOCH_MS); // waits for the held packet
              else await sleep(50);
            }
          });
          await sleep(5);
          void sim.control.network.unclog(0, 1); // the scenario's call moves host 1's wait to now
          if (crash) void sim.control.hosts.crash(1);
          await sleep(100);
          sim.env.record('probe.received', { at_ms: received.join(',') || 'never' });
        },
      });
    expect(events(await mar.runCase(receiveCase(false), { seed: 1 }), 'probe.')).toEqual(['probe.received at_ms=5']);
    expect(events(await mar.runCase(receiveCase(true), { seed: 1 }), 'probe.')).toEqual(['probe.received at_ms=never']);
  });
});

describe('hosts: nothing of a crashed incarnation runs again', () => {
  it('does not fire a wait due on the tick at which a random crash strikes', async () => {
    const c = mar.defineCase({
      name: 'crash on the wait tick',
      init: (world) => world.simulate(),
      async scenario(sim) {
        sim.host(0, async (env) => {
          await env.clock.sleep(1_000_000); // due exactly at the first tick boundary, where the crash rolls
          env.record('host.after_sleep', { incarnation: env.incarnation });
        });
        await sim.control.runFor(3_000_000);
      },
    });
    const report = await mar.runCase(c, { seed: 1, profile: { host: { crashRate: '1/1', restartDelayTicks: 5 } } });
    expect(report.passed).toBe(true);
    expect(events(report, 'host.crash')).toEqual(['host.crash id=0 incarnation=0 abandoned_waits=0 now_ns=1000000 reason=random']);
    expect(report.trace).not.toContain('host.after_sleep');
  });

  it('stops code of the crashed incarnation that was already runnable at the crash, at its next call into the world', async () => {
    const c = mar.defineCase({
      name: 'zombie',
      init: (world) => world.simulate({ disk: { sectorSize: 512 } }),
      async scenario(sim) {
        sim.host(0, async (env) => {
          await env.clock.sleep(1_000_000);
          env.record('host.step', { incarnation: env.incarnation, n: 1 });
          await env.disk.write({ path: 'f', offset: 0, bytes: new Uint8Array(512).fill(1) });
          env.record('host.step', { incarnation: env.incarnation, n: 2 });
          await env.disk.write({ path: 'g', offset: 0, bytes: new Uint8Array(512).fill(7) });
        });
        await sim.control.runFor(1_000_000); // wakes at the same instant as the host, after it
        await sim.control.hosts.bounce(0);
        await sim.control.runFor(10);
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed).toBe(true);
    // Incarnation 0 wrote f, then its continuation was already queued when the bounce came: it stops there.
    expect(events(report, 'host.step')).toEqual(['host.step incarnation=0 n=1']);
    expect(report.trace).toContain('disk.write host=0 op=0 path=f');
    expect(report.trace).not.toContain('path=g');
  });

  it('does not resume a crashed host when its abandoned wait is aborted from outside', async () => {
    const c = mar.defineCase({
      name: 'abort after crash',
      init: (world) => ({ sim: world.simulate(), controller: new AbortController() }),
      async scenario({ sim, controller }) {
        sim.host(0, async (env) => {
          try {
            await sleep(100, undefined, { signal: controller.signal });
          } catch {
            env.record('host.resumed_after_crash', { incarnation: env.incarnation });
          }
        });
        await sleep(1);
        await sim.control.hosts.crash(0);
        controller.abort();
        await sleep(1);
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed).toBe(true);
    expect(report.trace).not.toContain('host.resumed_after_crash');
  });

  it('lets a host crash itself', async () => {
    const c = mar.defineCase({
      name: 'self crash',
      init: (world) => world.simulate(),
      async scenario(sim) {
        sim.host(0, async (env) => {
          if (env.incarnation === 0) await sim.control.hosts.crash(0);
          env.record('host.after_self_crash', { incarnation: env.incarnation });
        });
        await sim.control.hosts.restart(0);
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    expect(events(report, 'host.')).toEqual([
      'host.start id=0 incarnation=0 now_ns=0',
      'host.crash id=0 incarnation=0 abandoned_waits=0 now_ns=0',
      'host.restart id=0 incarnation=1 now_ns=0',
      'host.after_self_crash incarnation=1',
    ]);
  });
});

describe('hosts: errors and bad input', () => {
  class HostBoom extends Error {
    override name = 'HostBoom';
  }

  it('fails the run as scenario_error with the host id in the trace when main throws, sync or async', async () => {
    for (const main of [
      () => {
        throw new HostBoom('sync');
      },
      async () => {
        await sleep(3);
        throw new HostBoom('async');
      },
      () => void setTimeout(() => {
        throw new HostBoom('in a timer the host set');
      }, 3),
    ]) {
      const c = mar.defineCase({
        name: 'host error',
        init: (world) => world.simulate(),
        async scenario(sim) {
          sim.host(3, main);
          await sleep(10);
        },
      });
      const report = await mar.runCase(c, { seed: 1 });
      expect(report.kind).toBe('scenario_error');
      expect(report.signature).toBe('scenario_error|-|HostBoom');
      expect(events(report, 'host.error')).toEqual(['host.error id=3 error=HostBoom']);
    }
  });

  it('ignores errors of an incarnation that crashed', async () => {
    const c = mar.defineCase({
      name: 'zombie error',
      init: (world) => world.simulate(),
      async scenario(sim) {
        let fail: (error: Error) => void = () => {};
        sim.host(0, () => new Promise((_, reject) => (fail = reject)));
        await sim.control.hosts.crash(0);
        fail(new HostBoom('after the crash'));
        await sleep(1);
      },
    });
    expect((await mar.runCase(c, { seed: 1 })).passed).toBe(true);
  });

  it('rejects bad ids and bad control calls with InvalidArgument naming the call and the value', async () => {
    const messages: string[] = [];
    const c = mar.defineCase({
      name: 'bad host input',
      init: (world) => ({ withNet: world.simulate({ network: { nodes: 2 } }) }),
      async scenario({ withNet }) {
        const attempt = async (fn: () => unknown) => {
          try {
            await fn();
            messages.push('no error');
          } catch (error) {
            messages.push(`${(error as Error).name}: ${(error as Error).message}`);
          }
        };
        withNet.host(0, () => {});
        await attempt(() => withNet.host(2, () => {}));
        await attempt(() => withNet.host(-1, () => {}));
        await attempt(() => withNet.host(0, () => {}));
        await attempt(() => withNet.host(1, 'main' as never));
        await attempt(() => withNet.control.hosts.crash(1));
        await attempt(() => withNet.control.hosts.restart(0));
        await withNet.control.hosts.crash(0);
        await attempt(() => withNet.control.hosts.crash(0));
        await attempt(() => withNet.control.hosts.isUp(7));
      },
    });
    expect((await mar.runCase(c, { seed: 1 })).passed).toBe(true);
    expect(messages).toHaveLength(16); // runCase runs the case twice
    expect(messages.slice(0, 8)).toEqual([
      'InvalidArgument: sim.host: id must be a network node id in 0..1, got 2',
      'InvalidArgument: sim.host: id must be a network node id in 0..1, got -1',
      'InvalidArgument: sim.host: host 0 is already started',
      'InvalidArgument: sim.host: main must be a function, got "main"',
      'InvalidArgument: hosts.crash: no host 1 was started',
      'InvalidArgument: hosts.restart: host 0 is up; crash it first',
      'InvalidArgument: hosts.crash: host 0 is already crashed',
      'InvalidArgument: hosts.isUp: no host 7 was started',
    ]);
  });

  it('accepts ids in [0, 1024) without a network, and 1024 is out of range', () => {
    const sim = new mar.World({ seed: 1 }).simulate();
    expect(sim.host(1023, () => {}).id).toBe(1023);
    expect(() => sim.host(1024, () => {})).toThrow('sim.host: id must be an integer in [0, 1024), got 1024');
    expect(() => sim.host(0, () => {}).endpoint).not.toThrow();
  });
});

describe('hosts: crash dynamics of a profile', () => {
  const busy = mar.defineCase({
    name: 'busy hosts',
    init: (world) => world.simulate({ network: { nodes: 3 } }),
    async scenario(sim) {
      for (const id of [0, 1, 2]) {
        sim.host(id, async (env) => {
          for (;;) {
            env.record('work.step', { host: env.id, incarnation: env.incarnation });
            await sleep(20);
          }
        });
      }
      await sleep(2000);
    },
  });
  const crashy = { host: { crashRate: '1/200', restartDelayTicks: 30 } } as const;

  it('crashes up hosts at ticks and restarts them after one to two restart delays, the same way on every run', async () => {
    const report = await mar.runCase(busy, { seed: 4, profile: crashy });
    expect(report.passed).toBe(true);
    const crashes = events(report, 'host.crash');
    const restarts = events(report, 'host.restart');
    expect(crashes.length).toBeGreaterThan(3);
    expect(crashes.every((line) => line.endsWith(' reason=random'))).toBe(true);
    // Every random restart comes 30 to 60 ticks (ms) after its host's crash.
    const crashedAt = new Map<string, number>();
    const delaysMs: number[] = [];
    for (const line of [...crashes, ...restarts].sort((x, y) => nsOf(x) - nsOf(y))) {
      const [, kind, id, incarnation] = /host\.(crash|restart) id=(\d) incarnation=(\d+)/.exec(line)!;
      if (kind === 'crash') crashedAt.set(`${id}:${Number(incarnation) + 1}`, nsOf(line));
      else delaysMs.push((nsOf(line) - crashedAt.get(`${id}:${incarnation}`)!) / 1e6);
    }
    expect(delaysMs.length).toBeGreaterThan(3);
    for (const delay of delaysMs) {
      expect(delay).toBeGreaterThanOrEqual(30);
      expect(delay).toBeLessThanOrEqual(60);
    }
    expect(new Set(delaysMs).size).toBeGreaterThan(1);
    expect(report.trace).toContain('run.attribute key=host_crash_rate value=string:1/200');
    expect(report.trace).toContain('run.attribute key=host_restart_delay_ticks value=uint:30');
  });

  it('never crashes a host under none, and writes no host attributes then', async () => {
    const report = await mar.runCase(busy, { seed: 4 });
    expect(events(report, 'host.crash')).toEqual([]);
    expect(report.trace).not.toContain('host_crash_rate');
  });

  it('restarts every crashed host on calm and stops the dynamics', async () => {
    const c = mar.defineCase({
      name: 'calm hosts',
      init: (world) => world.simulate({ network: { nodes: 2 } }),
      async scenario(sim) {
        sim.host(0, () => {});
        sim.host(1, () => {});
        await sim.control.hosts.crash(1);
        await sim.control.calm();
        sim.env.record('probe.up', { h0: sim.control.hosts.isUp(0), h1: sim.control.hosts.isUp(1) });
        await sleep(5000);
      },
    });
    const report = await mar.runCase(c, { seed: 2, profile: { host: { crashRate: '1/10', restartDelayTicks: 1000 } } });
    expect(events(report, 'probe.')).toEqual(['probe.up h0=true h1=true']);
    expect(report.trace.split('disk.restart').length).toBe(1); // no disk: nothing to restart
    const after = report.trace.slice(report.trace.indexOf('control.calm'));
    expect(events({ ...report, trace: after } as mar.RunReport, 'host.')).toEqual(['host.restart id=1 incarnation=1 now_ns=0']);
    expect(after).toContain('network.calm');
  });
});
