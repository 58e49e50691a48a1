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
    expect(report.failure).toBeUndefined();
    expect(seen).toHaveLength(6); // runCase runs the case twice
    for (const handle of seen) expect(ownAccessors(handle)).toEqual([]);
  });
});
