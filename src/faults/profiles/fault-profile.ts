import { InvalidArgument, InvalidRate, describeValue } from '../../kernel/errors.js';
import { isHookName } from '../buggify-hook.js';
import { BuggifyRate } from '../buggify-rate.js';

/** A rate in plain data: `"numerator/denominator"`, e.g. `"1/100"`. */
export type RateText = `${number}/${number}`;

/** Network faults of a profile. Durations are in ticks of the case, so they are always tick-aligned. */
export interface NetworkFaultProfile {
  readonly dropRate: RateText;
  readonly minLatencyTicks: number;
  readonly latencyJitterTicks: number;
  readonly pathClogRate: RateText;
  readonly pathClogDurationTicks: number;
  readonly partitionRate: RateText;
  readonly unpartitionRate: RateText;
  readonly partitionStabilityMinTicks: number;
  readonly unpartitionStabilityMinTicks: number;
}

/** Disk faults of a profile. */
export interface DiskFaultProfile {
  readonly readErrorRate: RateText;
  readonly writeErrorRate: RateText;
  readonly corruptReadRate: RateText;
  readonly crashLostWriteRate: RateText;
  readonly crashTornWriteRate: RateText;
}

/**
 * Host dynamics of a profile: at every tick each up host crashes when `crashRate` fires, and a
 * crashed host restarts after `restartDelayTicks` to twice that (uniform, at least one tick).
 */
export interface HostFaultProfile {
  readonly crashRate: RateText;
  readonly restartDelayTicks: number;
}

/**
 * BUGGIFY enablement of a profile: each hook is on or off for the whole run, decided the first time
 * it is evaluated. `hooks` decides named hooks; any other hook is on when
 * `fmix32(fnv1a(hook) ^ hookSalt) % 100 < hookEnablePercent`.
 */
export interface BuggifyProfile {
  readonly hookEnablePercent: number;
  readonly hookSalt: number;
  readonly hooks: Readonly<Record<string, boolean>>;
}

/**
 * A fault profile: plain JSON data that decides, for one run, the network faults, the disk faults
 * and which BUGGIFY hooks may fire. Applied when `world.simulate` builds the simulation (a scenario
 * may still set faults explicitly). `origin` says where it came from (`none`, `smoke`, `swarm`,
 * `custom`); it is part of the profile so a stored profile replays to the identical trace.
 */
export interface FaultProfile {
  readonly origin: string;
  readonly network: NetworkFaultProfile;
  readonly disk: DiskFaultProfile;
  readonly buggify: BuggifyProfile;
  readonly host: HostFaultProfile;
}

/** A named profile, or a (possibly partial) profile object merged over `none`. */
export type ProfileInput = 'none' | 'smoke' | 'swarm' | 'replay' | PartialProfile;

/** A profile object where every part may be left out (it is merged over `none`). */
export interface PartialProfile {
  readonly origin?: string;
  readonly network?: Partial<NetworkFaultProfile>;
  readonly disk?: Partial<DiskFaultProfile>;
  readonly buggify?: Partial<BuggifyProfile>;
  readonly host?: Partial<HostFaultProfile>;
}

/** The calm profile: fixed one-tick latency, no loss, no clogs or partitions, a crash lands every pending write, every hook enabled, no host crashes. */
export const NONE_PROFILE: FaultProfile = Object.freeze({
  origin: 'none',
  network: Object.freeze({
    dropRate: '0/1',
    minLatencyTicks: 1,
    latencyJitterTicks: 0,
    pathClogRate: '0/1',
    pathClogDurationTicks: 0,
    partitionRate: '0/1',
    unpartitionRate: '0/1',
    partitionStabilityMinTicks: 0,
    unpartitionStabilityMinTicks: 0,
  }),
  disk: Object.freeze({
    readErrorRate: '0/1',
    writeErrorRate: '0/1',
    corruptReadRate: '0/1',
    crashLostWriteRate: '0/1',
    crashTornWriteRate: '0/1',
  }),
  buggify: Object.freeze({ hookEnablePercent: 100, hookSalt: 0, hooks: Object.freeze({}) }),
  host: Object.freeze({ crashRate: '0/1', restartDelayTicks: 0 }),
}) as FaultProfile;

const NETWORK_RATES = ['dropRate', 'pathClogRate', 'partitionRate', 'unpartitionRate'] as const;
const NETWORK_TICKS = [
  'minLatencyTicks',
  'latencyJitterTicks',
  'pathClogDurationTicks',
  'partitionStabilityMinTicks',
  'unpartitionStabilityMinTicks',
] as const;
/** Network fields in their documented order (the order profiles are written in). */
const NETWORK_KEYS: readonly (keyof NetworkFaultProfile)[] = [
  'dropRate',
  'minLatencyTicks',
  'latencyJitterTicks',
  'pathClogRate',
  'pathClogDurationTicks',
  'partitionRate',
  'unpartitionRate',
  'partitionStabilityMinTicks',
  'unpartitionStabilityMinTicks',
];
const DISK_RATES = ['readErrorRate', 'writeErrorRate', 'corruptReadRate', 'crashLostWriteRate', 'crashTornWriteRate'] as const;
const MAX_TICKS = 1_000_000_000;

/**
 * Validates a profile object, fills what it leaves out from `none`, and returns a complete,
 * frozen profile with rates in `"n/d"` form.
 * @throws {InvalidArgument} naming the first bad field and value.
 */
export function normalizeProfile(input: PartialProfile, context = 'profile'): FaultProfile {
  if (normalized.has(input as FaultProfile)) return input as FaultProfile;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidArgument(`${context}: expected a profile object, got ${describeValue(input)}`);
  }
  const section = <T extends object>(name: string, value: unknown, allowed: readonly string[]): Partial<T> => {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidArgument(`${context}: ${name} must be an object, got ${describeValue(value)}`);
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) throw new InvalidArgument(`${context}: unknown field ${name}.${key}`);
    }
    return value as Partial<T>;
  };
  for (const key of Object.keys(input)) {
    if (!['origin', 'network', 'disk', 'buggify', 'host'].includes(key)) throw new InvalidArgument(`${context}: unknown field ${key}`);
  }
  const network = section<NetworkFaultProfile>('network', input.network, [...NETWORK_RATES, ...NETWORK_TICKS]);
  const disk = section<DiskFaultProfile>('disk', input.disk, DISK_RATES);
  const buggify = section<BuggifyProfile>('buggify', input.buggify, ['hookEnablePercent', 'hookSalt', 'hooks']);
  const host = section<HostFaultProfile>('host', input.host, ['crashRate', 'restartDelayTicks']);
  const origin = input.origin ?? 'custom';
  if (typeof origin !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(origin)) {
    throw new InvalidArgument(`${context}: origin must be a lowercase word, got ${describeValue(origin)}`);
  }
  const rate = (name: string, value: unknown): RateText => {
    const parsed = parseRate(value, `${context}: ${name}`);
    return `${parsed.numerator}/${parsed.denominator}` as RateText;
  };
  const ticks = (name: string, value: unknown): number => {
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_TICKS) {
      throw new InvalidArgument(`${context}: ${name} must be an integer number of ticks in [0, ${MAX_TICKS}], got ${describeValue(value)}`);
    }
    return value as number;
  };
  const outNetwork: Record<string, unknown> = {};
  for (const key of NETWORK_KEYS) {
    const value = network[key] ?? NONE_PROFILE.network[key];
    outNetwork[key] = (NETWORK_RATES as readonly string[]).includes(key) ? rate(`network.${key}`, value) : ticks(`network.${key}`, value);
  }
  if ((outNetwork.minLatencyTicks as number) < 1) {
    throw new InvalidArgument(`${context}: network.minLatencyTicks must be at least 1, got ${describeValue(outNetwork.minLatencyTicks)}`);
  }
  const outDisk: Record<string, unknown> = {};
  for (const key of DISK_RATES) outDisk[key] = rate(`disk.${key}`, disk[key] ?? NONE_PROFILE.disk[key]);
  const percent = buggify.hookEnablePercent ?? 100;
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new InvalidArgument(`${context}: buggify.hookEnablePercent must be an integer in [0, 100], got ${describeValue(percent)}`);
  }
  const salt = buggify.hookSalt ?? 0;
  if (!Number.isInteger(salt) || salt < 0 || salt > 0xffffffff) {
    throw new InvalidArgument(`${context}: buggify.hookSalt must be a u32, got ${describeValue(salt)}`);
  }
  const hooks = buggify.hooks ?? {};
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) {
    throw new InvalidArgument(`${context}: buggify.hooks must be an object of hook: boolean, got ${describeValue(hooks)}`);
  }
  for (const [hook, enabled] of Object.entries(hooks)) {
    if (!isHookName(hook) || typeof enabled !== 'boolean') {
      throw new InvalidArgument(`${context}: buggify.hooks.${hook} must be a boolean for a valid hook name, got ${describeValue(enabled)}`);
    }
  }
  const sortedHooks = Object.fromEntries(Object.entries(hooks).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return markNormalized(
    Object.freeze({
      origin,
      network: Object.freeze(outNetwork) as unknown as NetworkFaultProfile,
      disk: Object.freeze(outDisk) as unknown as DiskFaultProfile,
      buggify: Object.freeze({ hookEnablePercent: percent, hookSalt: salt, hooks: Object.freeze(sortedHooks) }),
      host: Object.freeze({
        crashRate: rate('host.crashRate', host.crashRate ?? NONE_PROFILE.host.crashRate),
        restartDelayTicks: ticks('host.restartDelayTicks', host.restartDelayTicks ?? NONE_PROFILE.host.restartDelayTicks),
      }),
    }),
  );
}

/** Profiles known to be complete, valid and frozen (normalizing one again returns it as is). */
const normalized = new WeakSet<FaultProfile>([NONE_PROFILE]);

/** @internal Records that `profile` was built in normalized form (swarm expansion builds it directly). */
export function markNormalized(profile: FaultProfile): FaultProfile {
  normalized.add(profile);
  return profile;
}

/**
 * Rates read from text, by text: every seed of a swarm campaign reads its profile's rates, and
 * they come from a few thousand texts. Bounded; the rates are frozen, so sharing one is safe.
 */
const ratesByText = new Map<string, BuggifyRate>();
const RATES_BY_TEXT_LIMIT = 16_384;

/** Reads a rate given as `"n/d"` text, `{ numerator, denominator }` data or a `BuggifyRate`. */
export function parseRate(value: unknown, context: string): BuggifyRate {
  if (typeof value === 'string') {
    const known = ratesByText.get(value);
    if (known !== undefined) return known;
    const match = /^(\d+)\/(\d+)$/.exec(value);
    if (match === null) throw new InvalidRate(`${context}: expected a rate "n/d", got ${describeValue(value)}`);
    const rate = Object.freeze(BuggifyRate.from({ numerator: Number(match[1]), denominator: Number(match[2]) }, context));
    if (ratesByText.size < RATES_BY_TEXT_LIMIT) ratesByText.set(value, rate);
    return rate;
  }
  return BuggifyRate.from(value, context);
}
