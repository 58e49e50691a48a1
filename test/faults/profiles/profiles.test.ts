import fc from 'fast-check';
import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../../src/examples/registry.js';

describe('resolveProfile', () => {
  it('gives none for undefined and "none", and the fixed smoke profile', () => {
    expect(mar.resolveProfile(undefined, 1n)).toBe(mar.NONE_PROFILE);
    expect(mar.resolveProfile('none', 1n)).toBe(mar.NONE_PROFILE);
    expect(mar.resolveProfile('smoke', 1n)).toBe(mar.SMOKE_PROFILE);
    expect(mar.NONE_PROFILE.network).toMatchObject({ dropRate: '0/1', minLatencyTicks: 1, latencyJitterTicks: 0 });
    expect(mar.NONE_PROFILE.disk.crashLostWriteRate).toBe('0/1');
  });

  it('expands swarm deterministically per seed, differently across seeds', () => {
    expect(mar.resolveProfile('swarm', 42n)).toEqual(mar.resolveProfile('swarm', 42n));
    const distinct = new Set(Array.from({ length: 50 }, (_, i) => JSON.stringify(mar.expandSwarmProfile(BigInt(i)))));
    expect(distinct.size).toBe(50);
  });

  it('switches each swarm fault class on for about half of the seeds, so seeds range from calm to stormy', () => {
    const seeds = 2000;
    const on: Record<string, number> = {};
    const faultyClasses: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const p = mar.expandSwarmProfile(BigInt(seed));
      const classes = {
        loss: p.network.dropRate !== '0/1',
        jitter: p.network.latencyJitterTicks > 0,
        clogs: p.network.pathClogRate !== '0/1',
        partitions: p.network.partitionRate !== '0/1',
        readErrors: p.disk.readErrorRate !== '0/1',
        writeErrors: p.disk.writeErrorRate !== '0/1',
        corruptReads: p.disk.corruptReadRate !== '0/1',
        lostWrites: p.disk.crashLostWriteRate !== '0/1',
        tornWrites: p.disk.crashTornWriteRate !== '0/1',
        hostCrashes: p.host.crashRate !== '0/1',
      };
      for (const [name, value] of Object.entries(classes)) on[name] = (on[name] ?? 0) + (value ? 1 : 0);
      faultyClasses.push(Object.values(classes).filter(Boolean).length);
    }
    for (const count of Object.values(on)) {
      expect(count / seeds).toBeGreaterThan(0.45);
      expect(count / seeds).toBeLessThan(0.55);
    }
    expect(Math.min(...faultyClasses)).toBe(0);
    expect(Math.max(...faultyClasses)).toBeGreaterThanOrEqual(9);
  });

  it('draws host crashes in their documented ranges, last, so the other fields of a seed are unchanged', () => {
    for (let seed = 0n; seed < 500n; seed++) {
      const { host, ...rest } = mar.expandSwarmProfile(seed);
      if (host.crashRate === '0/1') {
        expect(host.restartDelayTicks).toBe(0);
      } else {
        const [k, d] = host.crashRate.split('/').map(Number) as [number, number];
        expect(d).toBe(100_000);
        expect(k).toBeGreaterThanOrEqual(1);
        expect(k).toBeLessThanOrEqual(100);
        expect(host.restartDelayTicks).toBeGreaterThanOrEqual(1);
        expect(host.restartDelayTicks).toBeLessThanOrEqual(200);
      }
      expect(Object.keys(rest)).toEqual(['origin', 'network', 'disk', 'buggify']);
    }
    // Seed 7's swarm profile as the version before hosts drew it, plus the host draws after it.
    expect(JSON.stringify(mar.expandSwarmProfile(7n))).toBe(
      '{"origin":"swarm","network":{"dropRate":"29/1000","minLatencyTicks":5,"latencyJitterTicks":15,"pathClogRate":"29/100000",' +
        '"pathClogDurationTicks":85,"partitionRate":"22/10000","unpartitionRate":"17/1000","partitionStabilityMinTicks":395,' +
        '"unpartitionStabilityMinTicks":476},"disk":{"readErrorRate":"0/1","writeErrorRate":"0/1","corruptReadRate":"0/1",' +
        '"crashLostWriteRate":"87/100","crashTornWriteRate":"0/1"},"buggify":{"hookEnablePercent":100,"hookSalt":3766077219,"hooks":{}},' +
        '"host":{"crashRate":"32/100000","restartDelayTicks":200}}',
    );
    expect(mar.NONE_PROFILE.host).toEqual({ crashRate: '0/1', restartDelayTicks: 0 });
    expect(mar.SMOKE_PROFILE.host).toEqual({ crashRate: '0/1', restartDelayTicks: 0 });
  });

  it('merges a partial object over none and names the first bad field', () => {
    const p = mar.resolveProfile({ network: { dropRate: '1/10' } }, 1n);
    expect(p.origin).toBe('custom');
    expect(p.network.dropRate).toBe('1/10');
    expect(p.disk).toEqual(mar.NONE_PROFILE.disk);
    expect(() => mar.resolveProfile({ network: { dropRate: '2/1' } }, 1n)).toThrow(/network.dropRate/);
    expect(() => mar.resolveProfile({ network: { bogus: 1 } } as never, 1n)).toThrow(/unknown field network.bogus/);
    expect(() => mar.resolveProfile({ network: { minLatencyTicks: 0 } }, 1n)).toThrow(/minLatencyTicks must be at least 1/);
    expect(() => mar.resolveProfile({ buggify: { hookEnablePercent: 101 } }, 1n)).toThrow(/hookEnablePercent/);
    expect(() => mar.resolveProfile({ host: { crashRate: '3/2' } }, 1n)).toThrow(/profile: host.crashRate/);
    expect(() => mar.resolveProfile({ host: { restartDelayTicks: -1 } }, 1n)).toThrow(
      'profile: host.restartDelayTicks must be an integer number of ticks in [0, 1000000000], got -1',
    );
    expect(() => mar.resolveProfile({ host: { bogus: 1 } } as never, 1n)).toThrow(/unknown field host.bogus/);
    expect(mar.resolveProfile({ host: { crashRate: '1/100' } }, 1n).host).toEqual({ crashRate: '1/100', restartDelayTicks: 0 });
    expect(() => mar.resolveProfile('stormy' as never, 1n)).toThrow(/unknown profile "stormy"/);
    expect(() => mar.resolveProfile('replay', 1n)).toThrow(/exact stored profile/);
  });

  it('round-trips every swarm profile through JSON unchanged', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: mar.SEED_MAX }), (seed) => {
        const profile = mar.expandSwarmProfile(seed);
        expect(mar.normalizeProfile(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
      }),
    );
  });
});

describe('faultProfileArbitrary', () => {
  const arbitrary = mar.faultProfileArbitrary();

  it('generates valid profiles only', () => {
    fc.assert(
      fc.property(arbitrary, (profile) => {
        expect(mar.normalizeProfile(profile)).toEqual(profile);
      }),
    );
  });

  it('contains none, smoke and every swarm expansion, so stored profiles can be shrunk', () => {
    expect(arbitrary.canShrinkWithoutContext(mar.NONE_PROFILE)).toBe(true);
    expect(arbitrary.canShrinkWithoutContext(mar.SMOKE_PROFILE)).toBe(true);
    for (let seed = 0n; seed < 300n; seed++) expect(arbitrary.canShrinkWithoutContext(mar.expandSwarmProfile(seed))).toBe(true);
    expect(arbitrary.canShrinkWithoutContext(mar.normalizeProfile({ network: { dropRate: '1/3' } }))).toBe(false);
  });

  it('shrinks toward no faults at all', () => {
    const result = fc.check(fc.property(arbitrary, () => false), { examples: [[mar.expandSwarmProfile(7n)]], seed: 1, numRuns: 1 });
    const [minimal] = result.counterexample as [mar.FaultProfile];
    expect(minimal.network).toEqual({ ...mar.NONE_PROFILE.network });
    expect(minimal.disk).toEqual({ ...mar.NONE_PROFILE.disk });
    expect(minimal.buggify.hookEnablePercent).toBe(0);
    expect(minimal.host).toEqual({ ...mar.NONE_PROFILE.host });
  });

  it('contains host crash profiles and shrinks one toward fewer, rarer crashes', () => {
    const crashy = mar.normalizeProfile({ origin: 'swarm', host: { crashRate: '80/100000', restartDelayTicks: 150 } });
    expect(arbitrary.canShrinkWithoutContext(crashy)).toBe(true);
    // A property that needs host crashes: the minimal counterexample keeps them, at the lowest rate and delay.
    const result = fc.check(fc.property(arbitrary, (p) => p.host.crashRate === '0/1'), { examples: [[crashy]], seed: 1, numRuns: 1 });
    const [minimal] = result.counterexample as [mar.FaultProfile];
    expect(minimal.host).toEqual({ crashRate: '1/100000', restartDelayTicks: 1 });
  });
});

describe('profiles in runs', () => {
  it('replays profiles stored before hosts existed to the trace that version wrote (hashes pinned from it)', async () => {
    const stored: Array<[string, bigint, string, string]> = [
      [
        'kv-store-swarm-bug',
        16n,
        '{"origin":"swarm","network":{"dropRate":"0/1","minLatencyTicks":3,"latencyJitterTicks":0,"pathClogRate":"26/100000","pathClogDurationTicks":159,"partitionRate":"0/1","unpartitionRate":"0/1","partitionStabilityMinTicks":0,"unpartitionStabilityMinTicks":0},"disk":{"readErrorRate":"39/1000","writeErrorRate":"0/1","corruptReadRate":"6/1000","crashLostWriteRate":"0/1","crashTornWriteRate":"71/100"},"buggify":{"hookEnablePercent":25,"hookSalt":2945338048,"hooks":{}}}',
        'aaddef4667428959ba55899ba8baabc9979d7d622512c99dd654c15241ceac4e',
      ],
      [
        'replicated-register-swarm',
        7n,
        '{"origin":"swarm","network":{"dropRate":"29/1000","minLatencyTicks":5,"latencyJitterTicks":15,"pathClogRate":"29/100000","pathClogDurationTicks":85,"partitionRate":"22/10000","unpartitionRate":"17/1000","partitionStabilityMinTicks":395,"unpartitionStabilityMinTicks":476},"disk":{"readErrorRate":"0/1","writeErrorRate":"0/1","corruptReadRate":"0/1","crashLostWriteRate":"87/100","crashTornWriteRate":"0/1"},"buggify":{"hookEnablePercent":100,"hookSalt":3766077219,"hooks":{}}}',
        'c7a6a792fdc15621058d190c7d53b46c8bbcdfd0aa5d8fe07ebf4966ddb62b6d',
      ],
    ];
    for (const [name, seed, profile, hash] of stored) {
      const report = await mar.runCase(findBuiltinCase(name)!, { seed, profile: JSON.parse(profile) });
      expect(report.traceHash, name).toBe(hash);
    }
  });

  const register = findBuiltinCase('replicated-register-swarm-bug')!;

  it('writes the expanded profile at the start of the trace and on the report', async () => {
    const report = await mar.runCase(register, { seed: 3, profile: 'swarm' });
    const expected = mar.expandSwarmProfile(3n);
    expect(report.profile).toEqual(expected);
    expect(report.trace).toContain('run.attribute key=profile_origin value=string:swarm\n');
    expect(report.trace).toContain(`run.attribute key=net_drop_rate value=string:${expected.network.dropRate.replace('/', '/')}\n`);
    expect(report.trace).toContain(`run.attribute key=buggify_hook_salt value=uint:${expected.buggify.hookSalt}\n`);
    expect(report.replayCommand).toContain('--profile swarm');
  });

  it('replays a run exactly from its stored profile (replay = original)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), async (seed) => {
        const original = await mar.runCase(register, { seed, profile: 'swarm' });
        const stored = JSON.parse(JSON.stringify(original.profile));
        const replayed = await mar.runCase(register, { seed, profile: stored });
        expect(replayed.trace).toBe(original.trace);
        expect(replayed.kind).toBe(original.kind);
      }),
      { numRuns: 25 },
    );
  });

  it('applies the profile network faults when the simulation is built', async () => {
    const world = new mar.World({ seed: 1, profile: mar.normalizeProfile({ network: { dropRate: '1/1', minLatencyTicks: 3 } }) });
    const sim = world.simulate({ network: { nodes: 2 } });
    sim.endpoint(0).send(1, 'x');
    expect(world.trace.text()).toContain('network.faults drop_rate=1/1 min_latency_ns=3000000 ');
    expect(world.trace.text()).toContain('network.drop id=0 from=0 to=1 reason=send_drop');
  });

  it('enables BUGGIFY hooks per run by the profile: named decisions first, else the salted hash', () => {
    const run = (buggify: mar.PartialProfile['buggify']) => {
      const world = new mar.World({ seed: 9, profile: mar.normalizeProfile({ buggify }) });
      const { env } = world.simulate();
      const fired = ['alpha', 'beta', 'alpha'].map((hook) => env.buggify(hook, mar.BuggifyRate.always()));
      return { fired, trace: world.trace.text() };
    };
    const off = run({ hookEnablePercent: 0 });
    expect(off.fired).toEqual([false, false, false]);
    expect(off.trace).toContain('buggify.hook hook=alpha enabled=false\n');
    expect(off.trace).toContain('buggify hook=alpha rate=1/1 roll=disabled fired=false\n');
    expect(off.trace.match(/buggify.hook hook=alpha/g)).toHaveLength(1);
    expect(run({ hookEnablePercent: 0, hooks: { beta: true } }).fired).toEqual([false, true, false]);
    const half = (salt: number) =>
      Array.from({ length: 40 }, (_, i) => `hook_${i}`).filter((hook) => {
        const world = new mar.World({ seed: 1, profile: mar.normalizeProfile({ buggify: { hookEnablePercent: 50, hookSalt: salt } }) });
        return world.simulate().env.buggify(hook, mar.BuggifyRate.always());
      });
    expect(half(1)).toEqual(half(1));
    expect(half(1)).not.toEqual(half(2));
    expect(half(1).length).toBeGreaterThan(10);
    expect(half(1).length).toBeLessThan(30);
  });
});
