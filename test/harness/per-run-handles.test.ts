import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

/**
 * Handles made once per run hold their getters on a prototype. An object literal that defines a
 * getter gets a hidden class of its own in V8's old generation, which keeps the getter, and through
 * it the run's whole world, alive past every young collection: in a campaign worker that cost a
 * third of the time (replicated-register-swarm, GC 31% -> 8% once these became classes).
 */
function ownAccessors(value: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(value))
    .filter(([, descriptor]) => descriptor.get !== undefined || descriptor.set !== undefined)
    .map(([key]) => key);
}

describe('handles a run makes', () => {
  it('createHistory, its pending operations and sim.host handles define no accessors of their own', async () => {
    const seen: object[] = [];
    const c = mar.defineCase({
      name: 'handles',
      init: (world) => world.simulate(),
      async scenario(sim) {
        const history = mar.createHistory(sim.env);
        const op = history.invoke(0, { op: 'read' });
        const host = sim.host(0, () => undefined);
        seen.push(history, op, host);
        op.ok(null);
        expect([history.operations.length, op.id, host.id, host.incarnation, host.up]).toEqual([1, 0, 0, 0, true]);
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.status, report.summary).toBe('passed');
    expect(seen).toHaveLength(6); // runCase runs the case twice
    for (const handle of seen) expect(ownAccessors(handle)).toEqual([]);
  });
});

describe('handles keep what their literals showed', () => {
  it('history methods work detached, and handles serialize to their public fields only', async () => {
    const seen: string[] = [];
    const c = mar.defineCase({
      name: 'detached',
      init: (world) => world.simulate(),
      async scenario(sim) {
        const history = mar.createHistory(sim.env);
        const { invoke } = history;
        const { ok, info } = invoke(0, { op: 'write', value: 'a' });
        const { fail } = history.invoke(1, { op: 'read' });
        await sim.env.clock.sleep(5).then(() => ok());
        fail();
        const read = history.invoke(2, { op: 'read' });
        await sim.env.clock.sleep(1).then(read.ok.bind(undefined, 'a'));
        expect(() => info()).toThrow('history: operation 0 was already completed (ok); info again');
        const host = sim.host(0, () => undefined);
        seen.push(JSON.stringify(host), JSON.stringify(Object.keys(host)), JSON.stringify(read), JSON.stringify(history));
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.status, report.summary).toBe('passed');
    expect(seen.slice(0, 4)).toEqual([
      '{"id":0,"incarnation":0,"up":true}',
      '["id"]',
      '{"id":2}',
      '{"operations":[{"id":0,"client":0,"input":{"op":"write","value":"a"},"output":null,"call":0,"callNs":0,"return":2,"returnNs":5},' +
        '{"id":2,"client":2,"input":{"op":"read"},"output":"a","call":3,"callNs":5,"return":4,"returnNs":6}]}',
    ]);
  });
});
