import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

const lines = (report: mar.RunReport, prefix: string) =>
  report.trace
    .split('\n')
    .map((line) => line.replace(/^event=\d+ /, ''))
    .filter((line) => line.startsWith(prefix));

/** A counter whose scenario exercises every kind of assertion; `limit` is where `always` breaks. */
function counterCase(limit: number, options: { readonly catchIt?: boolean; readonly sometimes?: readonly string[] } = {}) {
  return mar.defineCase({
    name: 'assertions',
    sometimes: options.sometimes ?? [],
    init: (world) => world.simulate(),
    scenario(sim) {
      let n = 0;
      for (let i = 0; i < 5; i++) {
        n += 1 + sim.env.random.intLessThan(3);
        sim.env.sometimes('passed six', n > 6, { n });
        sim.env.reachable('loop body');
        try {
          sim.env.always('under the limit', n <= limit, { n });
        } catch (error) {
          if (!options.catchIt) throw error;
        }
      }
      sim.env.record('scenario.done', { n });
    },
  });
}

describe('env.always / sometimes / reachable / unreachable', () => {
  it('traces each sometimes and reachable name once per run, when first hit', async () => {
    const report = await mar.runCase(counterCase(100), { seed: 1 });
    expect(report.passed).toBe(true);
    const events = lines(report, 'assert.');
    expect(events.filter((e) => e.startsWith('assert.reachable'))).toEqual(['assert.reachable name=loop%20body']);
    expect(events.filter((e) => e.startsWith('assert.sometimes'))).toHaveLength(1);
    expect(events.find((e) => e.startsWith('assert.sometimes'))).toMatch(/^assert\.sometimes name=passed%20six n=\d+$/);
  });

  it('fails a run at once on a false always, as assertion_failed with its own signature, even when the code catches it', async () => {
    for (const catchIt of [false, true]) {
      const report = await mar.runCase(counterCase(4, { catchIt }), { seed: 1 });
      expect(report).toMatchObject({ kind: 'assertion_failed', checkName: 'under the limit', errorName: 'AssertionFailed', signature: 'assertion_failed|under the limit|AssertionFailed' });
      expect(report.errorMessage).toMatch(/^always "under the limit" was false \(\{"n":\d+\}\)$/);
      expect(lines(report, 'assert.fail')).toEqual([expect.stringMatching(/^assert\.fail name=under%20the%20limit kind=always n=\d+$/)]);
      expect(report.trace).not.toContain('scenario.done');
    }
  });

  it('fails on reaching unreachable', async () => {
    const c = mar.defineCase({
      name: 'unreachable',
      init: (world) => world.simulate(),
      scenario: (sim) => sim.env.unreachable('the impossible branch', { why: 'test' }),
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.signature).toBe('assertion_failed|the impossible branch|AssertionFailed');
    expect(lines(report, 'assert.fail')).toEqual(['assert.fail name=the%20impossible%20branch kind=unreachable why=test']);
    expect(mar.FAILURE_KINDS).toContain('assertion_failed');
  });

  it('rejects empty or non-text names and details that use name or kind', () => {
    const { env } = new mar.World({ seed: 1 }).simulate();
    expect(() => env.always('', true)).toThrow(new mar.InvalidArgument('env.always: name must be non-empty text, got ""'));
    expect(() => env.sometimes(7 as never, true)).toThrow(new mar.InvalidArgument('env.sometimes: name must be non-empty text, got 7'));
    expect(() => env.reachable(undefined as never)).toThrow(new mar.InvalidArgument('env.reachable: name must be non-empty text, got undefined'));
    expect(() => env.unreachable('\ud800')).toThrow(/env.unreachable: name must be non-empty text/);
    expect(() => env.always('x', true, { kind: 'mine' })).toThrow(new mar.InvalidArgument('env.always: details may not use the key kind (the event has its own)'));
  });

  it('works in production too: always and unreachable throw, sometimes and reachable cost nothing', () => {
    const recorded: string[] = [];
    const env = mar.createProductionEnv({ seed: 1, record: (line) => recorded.push(line) });
    expect(() => env.always('holds', true)).not.toThrow();
    expect(() => env.always('holds', false)).toThrow(new mar.AssertionFailed('holds', 'always "holds" was false'));
    expect(() => env.unreachable('never here')).toThrow(mar.AssertionFailed);
    env.sometimes('seen', true);
    env.reachable('here');
    expect(recorded).toEqual([]);
    expect(() => env.sometimes('', true)).toThrow(mar.InvalidArgument);
  });
});

describe('assertion failures in search', () => {
  it('are minimized, and the minimized choices replay to the same failure', async () => {
    const { minimizeFailure } = await import('../../src/search/minimize/minimize-failure.js');
    const { runOnce } = await import('../../src/harness/run-once.js');
    const { TapeChoices } = await import('../../src/kernel/choice-tape.js');
    const c = counterCase(4);
    const result = await minimizeFailure(c, 1n, mar.NONE_PROFILE, { maxRuns: 300 });
    expect(result.signature).toBe('assertion_failed|under the limit|AssertionFailed');
    const replayed = await runOnce(c, { seed: 1n, profile: result.artifact.profile, choices: new TapeChoices(result.artifact.choices) });
    expect(replayed.trace).toBe(result.trace);
    expect(replayed.failure?.kind).toBe('assertion_failed');
  });
});

describe('declared sometimes', () => {
  it('makes expectFuzz fail, naming them, when no seed hit a declared name', async () => {
    await mar.expectFuzz(counterCase(100, { sometimes: ['passed six', 'loop body'] }), { seeds: 20 });
    const error = (await mar.expectFuzz(counterCase(100, { sometimes: ['passed six', 'never hit', 'also never'] }), { seeds: 20 }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('expectFuzz: assertions never hit the declared sometimes "never hit", "also never" in 20 seeds from 0 under none: the test exercised nothing there');
  });

  it('validates the declaration', () => {
    const base = { name: 'x', init: () => 0, scenario() {} };
    expect(() => mar.defineCase({ ...base, sometimes: [''] })).toThrow(/defineCase: sometimes must be an array of non-empty names/);
    expect(() => mar.defineCase({ ...base, sometimes: ['a', 'a'] })).toThrow(/defineCase: sometimes names must be unique/);
  });
});
