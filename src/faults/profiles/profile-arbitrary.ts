import fc from 'fast-check';
import { normalizeProfile, type FaultProfile, type RateText } from './fault-profile.js';

/** The swarm space in the shape fast-check shrinks: each fault class is absent (`null`) or on with its parameters. */
interface SwarmChoices {
  readonly lossPerMille: number | null;
  readonly minLatencyTicks: number;
  readonly jitterTicks: number | null;
  readonly clogs: { readonly ratePer100k: number; readonly durationTicks: number } | null;
  readonly partitions: {
    readonly ratePer10k: number;
    readonly healPerMille: number;
    readonly partitionMinTicks: number;
    readonly unpartitionMinTicks: number;
  } | null;
  readonly readErrorsPerMille: number | null;
  readonly writeErrorsPerMille: number | null;
  readonly corruptReadsPerMille: number | null;
  readonly lostWritesPercent: number | null;
  readonly tornWritesPercent: number | null;
  readonly hookEnablePercent: number;
  readonly hookSalt: number;
  readonly hostCrashes: { readonly ratePer100k: number; readonly restartDelayTicks: number } | null;
}

const between = (min: number, max: number) => fc.integer({ min, max });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

/**
 * The swarm fault space as a fast-check arbitrary over complete {@link FaultProfile}s. Its ranges
 * are exactly those `expandSwarmProfile` draws from, so every swarm profile (and `none` and
 * `smoke`) lies in it and can be shrunk without generation context. Shrinking moves toward fewer
 * and weaker faults: each fault class (host crashes included) toward off, rates and durations
 * toward their minimum, the share of enabled BUGGIFY hooks toward 0.
 */
export function faultProfileArbitrary(): fc.Arbitrary<FaultProfile> {
  const choices: fc.Arbitrary<SwarmChoices> = fc.record({
    lossPerMille: optional(between(1, 200)),
    minLatencyTicks: between(1, 5),
    jitterTicks: optional(between(1, 20)),
    clogs: optional(fc.record({ ratePer100k: between(1, 100), durationTicks: between(1, 200) })),
    partitions: optional(
      fc.record({
        ratePer10k: between(1, 100),
        healPerMille: between(1, 100),
        partitionMinTicks: between(10, 500),
        unpartitionMinTicks: between(10, 500),
      }),
    ),
    readErrorsPerMille: optional(between(1, 50)),
    writeErrorsPerMille: optional(between(1, 50)),
    corruptReadsPerMille: optional(between(1, 20)),
    lostWritesPercent: optional(between(1, 100)),
    tornWritesPercent: optional(between(1, 100)),
    hookEnablePercent: between(0, 100),
    hookSalt: fc.nat({ max: 0xffffffff }),
    hostCrashes: optional(fc.record({ ratePer100k: between(1, 100), restartDelayTicks: between(1, 200) })),
  });
  return choices.map(toProfile, fromProfile);
}

const rate = (numerator: number | null, denominator: number): RateText =>
  (numerator === null ? '0/1' : `${numerator}/${denominator}`) as RateText;

function toProfile(c: SwarmChoices): FaultProfile {
  return normalizeProfile({
    origin: 'swarm',
    network: {
      dropRate: rate(c.lossPerMille, 1000),
      minLatencyTicks: c.minLatencyTicks,
      latencyJitterTicks: c.jitterTicks ?? 0,
      pathClogRate: rate(c.clogs?.ratePer100k ?? null, 100_000),
      pathClogDurationTicks: c.clogs?.durationTicks ?? 0,
      partitionRate: rate(c.partitions?.ratePer10k ?? null, 10_000),
      unpartitionRate: rate(c.partitions?.healPerMille ?? null, 1000),
      partitionStabilityMinTicks: c.partitions?.partitionMinTicks ?? 0,
      unpartitionStabilityMinTicks: c.partitions?.unpartitionMinTicks ?? 0,
    },
    disk: {
      readErrorRate: rate(c.readErrorsPerMille, 1000),
      writeErrorRate: rate(c.writeErrorsPerMille, 1000),
      corruptReadRate: rate(c.corruptReadsPerMille, 1000),
      crashLostWriteRate: rate(c.lostWritesPercent, 100),
      crashTornWriteRate: rate(c.tornWritesPercent, 100),
    },
    buggify: { hookEnablePercent: c.hookEnablePercent, hookSalt: c.hookSalt, hooks: {} },
    host: { crashRate: rate(c.hostCrashes?.ratePer100k ?? null, 100_000), restartDelayTicks: c.hostCrashes?.restartDelayTicks ?? 0 },
  });
}

/** Inverse of `toProfile`; throws for a profile outside the space (fast-check then cannot shrink it). */
function fromProfile(value: unknown): SwarmChoices {
  const p = normalizeProfile(value as FaultProfile);
  const n = p.network;
  const d = p.disk;
  const part = (text: string, denominator: number, min: number, max: number): number | null => {
    if (text === '0/1') return null;
    const [num, den] = text.split('/').map(Number) as [number, number];
    if (den !== denominator || num < min || num > max) throw new RangeError(`rate ${text} is outside the swarm space`);
    return num;
  };
  const ticks = (value: number, min: number, max: number): number => {
    if (value < min || value > max) throw new RangeError(`${value} ticks is outside the swarm space`);
    return value;
  };
  const clogRate = part(n.pathClogRate, 100_000, 1, 100);
  const partitionRate = part(n.partitionRate, 10_000, 1, 100);
  const hostCrashRate = part(p.host.crashRate, 100_000, 1, 100);
  if (Object.keys(p.buggify.hooks).length > 0) throw new RangeError('named hook decisions are outside the swarm space');
  return {
    lossPerMille: part(n.dropRate, 1000, 1, 200),
    minLatencyTicks: ticks(n.minLatencyTicks, 1, 5),
    jitterTicks: n.latencyJitterTicks === 0 ? null : ticks(n.latencyJitterTicks, 1, 20),
    clogs: clogRate === null ? null : { ratePer100k: clogRate, durationTicks: ticks(n.pathClogDurationTicks, 1, 200) },
    partitions:
      partitionRate === null
        ? null
        : {
            ratePer10k: partitionRate,
            healPerMille: part(n.unpartitionRate, 1000, 1, 100) ?? 0,
            partitionMinTicks: ticks(n.partitionStabilityMinTicks, 10, 500),
            unpartitionMinTicks: ticks(n.unpartitionStabilityMinTicks, 10, 500),
          },
    readErrorsPerMille: part(d.readErrorRate, 1000, 1, 50),
    writeErrorsPerMille: part(d.writeErrorRate, 1000, 1, 50),
    corruptReadsPerMille: part(d.corruptReadRate, 1000, 1, 20),
    lostWritesPercent: part(d.crashLostWriteRate, 100, 1, 100),
    tornWritesPercent: part(d.crashTornWriteRate, 100, 1, 100),
    hookEnablePercent: p.buggify.hookEnablePercent,
    hookSalt: p.buggify.hookSalt,
    hostCrashes:
      hostCrashRate === null ? null : { ratePer100k: hostCrashRate, restartDelayTicks: ticks(p.host.restartDelayTicks, 1, 200) },
  };
}
