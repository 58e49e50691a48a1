import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

describe('network receive() promises', () => {
  it('are fresh for every call, so nothing a program attaches to one reaches another call or run', async () => {
    const promises: Promise<unknown>[] = [];
    const c = mar.defineCase({
      name: 'fresh-receives',
      init: (world) => world.simulate({ network: { nodes: 2 } }),
      async scenario(sim) {
        for (const node of [0, 0, 1]) {
          const pending = sim.endpoint(node).receive();
          expect((pending as Promise<unknown> & { mark?: string }).mark).toBeUndefined();
          (pending as Promise<unknown> & { mark?: string }).mark = `node ${node}`;
          promises.push(pending);
          expect(await pending).toBeNull();
        }
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.status, report.summary).toBe('passed');
    expect(new Set(promises).size).toBe(promises.length); // six calls over two runs, six promises
  });

  it('settle where an async receive() did when the global Promise is replaced (native promises, one hop)', async () => {
    const Native = Promise;
    class Replaced<T> extends Native<T> {}
    const c = mar.defineCase({
      name: 'global-promise',
      init: (world) => world.simulate({ network: { nodes: 2 } }),
      async scenario(sim) {
        sim.endpoint(1).send(0, 'm');
        await sim.control.runFor(5_000_000);
        const order: string[] = [];
        const received = (async () => {
          await sim.endpoint(0).receive();
          order.push('received');
        })();
        const twoHops = (async () => {
          await null;
          await null;
          order.push('two-hops');
        })();
        await Native.all([received, twoHops]);
        sim.env.record('order.seen', { order: order.join('_') });
      },
    });
    globalThis.Promise = Replaced as PromiseConstructor;
    try {
      const report = await mar.runCase(c, { seed: 1 });
      expect(report.status, report.summary).toBe('passed');
      expect(report.trace).toContain('order.seen order=received_two-hops');
    } finally {
      globalThis.Promise = Native;
    }
  });
});
