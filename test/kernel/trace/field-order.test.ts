import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { InvalidTraceRecord } from '../../../src/kernel/errors.js';
import { Trace } from '../../../src/kernel/trace/trace.js';

/** Fields whose second key is refused, and whose getter records when it runs (it must not). */
function fieldsWithRefusedGetter(onRead: () => void): Record<string, unknown> {
  return {
    ok: 1,
    get BadKey() {
      onRead();
      return 2;
    },
  };
}

describe('a refused field key is refused before its value is read', () => {
  it('in the simulated trace: the getter never runs, nothing is written, the error names the key', () => {
    const trace = new Trace(100);
    let reads = 0;
    expect(() => trace.record('a.b', fieldsWithRefusedGetter(() => reads++) as never, 'record')).toThrow(
      new InvalidTraceRecord('record: invalid field key "BadKey": use lowercase letters, digits and "_"'),
    );
    expect(reads).toBe(0);
    expect(trace.eventCount).toBe(0);
  });

  it('in a world: a getter that would record another event never runs', async () => {
    const c = mar.defineCase({
      name: 'refused-getter',
      init: (world) => world.simulate(),
      scenario(sim) {
        const fields = fieldsWithRefusedGetter(() => sim.env.record('side.effect'));
        expect(() => sim.env.record('a.b', fields as never)).toThrow('record: invalid field key "BadKey"');
      },
    });
    const report = await mar.runCase(c, { seed: 3 });
    expect(report.status, report.summary).toBe('passed');
    expect(report.trace).not.toContain('side.effect');
  });

  it('in the production env: the getter never runs and the error is the key error', () => {
    const lines: string[] = [];
    const env = mar.createProductionEnv({ record: (line) => lines.push(line) });
    let reads = 0;
    expect(() => env.record('a.b', fieldsWithRefusedGetter(() => reads++) as never)).toThrow('record: invalid field key "BadKey"');
    expect(reads).toBe(0);
    expect(lines).toEqual([]);
  });
});
