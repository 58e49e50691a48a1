import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import { Prng } from '../../kernel/prng.js';
import { markNormalized, NONE_PROFILE, normalizeProfile, type FaultProfile, type ProfileInput, type RateText } from './fault-profile.js';

/** The PRNG stream (of the run's seed) that swarm expansion draws from: "PROF". */
export const PROFILE_STREAM = 0x50524f46;

/** Low faults for every run in CI: light loss and jitter, rare disk errors, occasional lost writes on crash. */
export const SMOKE_PROFILE: FaultProfile = normalizeProfile({
  origin: 'smoke',
  network: { dropRate: '10/1000', minLatencyTicks: 1, latencyJitterTicks: 2 },
  disk: { readErrorRate: '1/1000', writeErrorRate: '1/1000', crashLostWriteRate: '10/100', crashTornWriteRate: '5/100' },
});

/**
 * Turns a profile input into the concrete profile of one run.
 *
 * - `none`, `smoke`: fixed profiles.
 * - `swarm`: swarm testing. From the seed's own profile stream (independent of the world's
 *   decisions), each fault class is switched on or off with probability 1/2 and, when on, its
 *   rates are drawn from the ranges in `docs/fault-profiles.md`; some seeds therefore run with
 *   no faults, some with many.
 * - an object: validated and merged over `none` (this is how a stored profile is replayed).
 * @throws {InvalidArgument} for an unknown name, `replay` without a stored profile, or a bad object.
 */
export function resolveProfile(input: ProfileInput | undefined, seed: bigint): FaultProfile {
  if (input === undefined || input === 'none') return NONE_PROFILE;
  if (input === 'smoke') return SMOKE_PROFILE;
  if (input === 'swarm') return expandSwarmProfile(seed);
  if (input === 'replay') {
    throw new InvalidArgument('profile: "replay" means the exact stored profile; pass that profile object (mar replay does this for you)');
  }
  if (typeof input === 'string') {
    throw new InvalidArgument(`profile: unknown profile ${describeValue(input)}; expected none, smoke, swarm or a profile object`);
  }
  return normalizeProfile(input);
}

/** The swarm profile of one seed (see {@link resolveProfile}). */
export function expandSwarmProfile(seed: bigint): FaultProfile {
  const rng = Prng.fromSeed(seed, PROFILE_STREAM);
  const on = (): boolean => rng.intLessThan(2) === 1;
  const between = (min: number, max: number): number => min + rng.intLessThan(max - min + 1);
  const rate = (min: number, max: number, denominator: number): RateText => `${between(min, max)}/${denominator}` as RateText;
  const never: RateText = '0/1';

  const loss = on();
  const dropRate = loss ? rate(1, 200, 1000) : never;
  const minLatencyTicks = between(1, 5);
  const jitter = on();
  const latencyJitterTicks = jitter ? between(1, 20) : 0;
  const clogs = on();
  const pathClogRate = clogs ? rate(1, 100, 100_000) : never;
  const pathClogDurationTicks = clogs ? between(1, 200) : 0;
  const partitions = on();
  const partitionRate = partitions ? rate(1, 100, 10_000) : never;
  const unpartitionRate = partitions ? rate(1, 100, 1000) : never;
  const partitionStabilityMinTicks = partitions ? between(10, 500) : 0;
  const unpartitionStabilityMinTicks = partitions ? between(10, 500) : 0;
  const readErrors = on();
  const readErrorRate = readErrors ? rate(1, 50, 1000) : never;
  const writeErrors = on();
  const writeErrorRate = writeErrors ? rate(1, 50, 1000) : never;
  const corruptReads = on();
  const corruptReadRate = corruptReads ? rate(1, 20, 1000) : never;
  const lostWrites = on();
  const crashLostWriteRate = lostWrites ? rate(1, 100, 100) : never;
  const tornWrites = on();
  const crashTornWriteRate = tornWrites ? rate(1, 100, 100) : never;
  const hookEnablePercent = [25, 50, 75, 100][rng.intLessThan(4)]!;
  const hookSalt = rng.nextU32();
  // Drawn last, so every other field of a seed's swarm profile is what it was before hosts existed.
  const hostCrashes = on();
  const crashRate = hostCrashes ? rate(1, 100, 100_000) : never;
  const restartDelayTicks = hostCrashes ? between(1, 200) : 0;

  // Built in normalized form directly (key order as normalizeProfile writes it): every value is
  // valid by construction, and this runs once per seed of a campaign.
  return markNormalized(Object.freeze({
    origin: 'swarm',
    network: Object.freeze({
      dropRate,
      minLatencyTicks,
      latencyJitterTicks,
      pathClogRate,
      pathClogDurationTicks,
      partitionRate,
      unpartitionRate,
      partitionStabilityMinTicks,
      unpartitionStabilityMinTicks,
    }),
    disk: Object.freeze({ readErrorRate, writeErrorRate, corruptReadRate, crashLostWriteRate, crashTornWriteRate }),
    buggify: Object.freeze({ hookEnablePercent, hookSalt, hooks: Object.freeze({}) }),
    host: Object.freeze({ crashRate, restartDelayTicks }),
  }));
}
