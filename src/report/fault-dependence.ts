import type { FaultProfile } from '../faults/profiles/fault-profile.js';
import { profileOfSeed, seedAt, type BugRow, type CampaignRow, type FailureStore } from '../search/store/failure-store.js';

/** A profile setting a swarm campaign switches on for some seeds and off for others. */
export interface Knob {
  readonly name: string;
  readonly on: (profile: FaultProfile) => boolean;
}

/** The swarm profile's switches (docs/fault-profiles.md), as the report names them. */
export const KNOBS: readonly Knob[] = [
  { name: 'message loss', on: (p) => p.network.dropRate !== '0/1' },
  { name: 'latency jitter', on: (p) => p.network.latencyJitterTicks > 0 },
  { name: 'path clogs', on: (p) => p.network.pathClogRate !== '0/1' },
  { name: 'partitions', on: (p) => p.network.partitionRate !== '0/1' },
  { name: 'disk read errors', on: (p) => p.disk.readErrorRate !== '0/1' },
  { name: 'disk write errors', on: (p) => p.disk.writeErrorRate !== '0/1' },
  { name: 'corrupt reads', on: (p) => p.disk.corruptReadRate !== '0/1' },
  { name: 'lost writes on crash', on: (p) => p.disk.crashLostWriteRate !== '0/1' },
  { name: 'torn writes on crash', on: (p) => p.disk.crashTornWriteRate !== '0/1' },
  { name: 'host crashes', on: (p) => p.host.crashRate !== '0/1' },
  { name: 'BUGGIFY hooks on 75% or more', on: (p) => p.buggify.hookEnablePercent >= 75 },
];

/** One knob's row: how often seeds fail with it off and with it on. */
export interface KnobRow {
  readonly knob: string;
  /** Share of the campaign's seeds that ran with the knob on (from the seed sample). */
  readonly seedsOn: number;
  /** Estimated failure rate of seeds with the knob off and on (null when no sampled seed had it so). */
  readonly rateOff: number | null;
  readonly rateOn: number | null;
}

/** The fault dependence of a campaign's failures (all of them, and per bug). */
export interface FaultDependence {
  /** Why there is no table (a campaign with one profile for every seed), or null. */
  readonly none: string | null;
  readonly seedsSampled: number;
  readonly failuresSampled: number;
  readonly overall: readonly KnobRow[];
  readonly byBug: ReadonlyMap<number, readonly KnobRow[]>;
}

/** How many seeds and failures the estimate looks at, at most (a report stays fast on any database). */
export const SAMPLE = 20_000;

/**
 * Which swarm settings a campaign's failures depend on. Seeds' profiles are recomputed from the
 * seeds (a sample evenly spread over the completed ranges); failures' from their stored profile
 * or their seed (a run from a mutated tape that kept no profile is left out). With `P(on | fail)`
 * from the failures and `P(on)` from the seeds, Bayes gives the failure rate with the knob on,
 * `P(fail | on) = P(on | fail) P(fail) / P(on)`, and likewise off. `bugs` are the campaign's
 * (with their counts in it), when the caller has them already.
 */
export function faultDependence(store: FailureStore, campaign: CampaignRow, bugs: readonly BugRow[] = store.listBugs({ campaignId: campaign.id })): FaultDependence {
  if (campaign.guided === 1) {
    return {
      none: 'a guided campaign: most runs reuse the profile of the corpus tape they mutate, so profiles cannot be recomputed from seeds',
      seedsSampled: 0,
      failuresSampled: 0,
      overall: [],
      byBug: new Map(),
    };
  }
  if (campaign.profile !== 'swarm') {
    return { none: `every seed ran under the ${campaign.profile.startsWith('{') ? 'same custom' : campaign.profile} profile: nothing to compare`, seedsSampled: 0, failuresSampled: 0, overall: [], byBug: new Map() };
  }
  const seedsOn = new Array<number>(KNOBS.length).fill(0);
  let seedsSampled = 0;
  const ranges = store.completedRanges(campaign.id);
  const seedsDone = ranges.reduce((sum, r) => sum + r.count, 0);
  const step = Math.max(1, Math.ceil(seedsDone / SAMPLE));
  for (const range of ranges) {
    // The offsets that are multiples of `step`: evenly spread, whatever order the ranges completed in.
    const first = (step - (range.firstOffset % step)) % step; // offsets that are multiples of step
    for (let offset = range.firstOffset + first; offset < range.firstOffset + range.count; offset += step) {
      const profile = profileOfSeed('swarm', seedAt(campaign, offset));
      KNOBS.forEach((knob, k) => (seedsOn[k]! += knob.on(profile) ? 1 : 0));
      seedsSampled++;
    }
  }
  const failures = store.sampleFailures(campaign.id, SAMPLE);
  const counts = new Map<number | 'all', { n: number; on: number[] }>();
  const count = (key: number | 'all') => {
    let c = counts.get(key);
    if (c === undefined) counts.set(key, (c = { n: 0, on: new Array<number>(KNOBS.length).fill(0) }));
    return c;
  };
  let failuresSampled = 0;
  for (const failure of failures) {
    if (failure.mutated && failure.profile === null) continue;
    const seed = seedAt(campaign, failure.seedOffset);
    // A stored profile is replayed as stored (merged over none, as replay does); else the seed's.
    const profile = failure.profile === null ? profileOfSeed('swarm', seed) : profileOfSeed(failure.profile, seed);
    failuresSampled++;
    for (const key of ['all', failure.bugId] as const) {
      const c = count(key);
      c.n++;
      KNOBS.forEach((knob, k) => (c.on[k]! += knob.on(profile) ? 1 : 0));
    }
  }
  const bugFailures = new Map<number, number>(bugs.map((b) => [b.id, b.failuresInCampaign ?? 0]));
  const rows = (c: { n: number; on: number[] } | undefined, failing: number): KnobRow[] =>
    KNOBS.map((knob, k) => {
      const pOn = seedsSampled === 0 ? 0 : seedsOn[k]! / seedsSampled;
      // No sampled failure of it had a profile to look at: nothing to estimate from.
      if (c === undefined || c.n === 0) return { knob: knob.name, seedsOn: pOn, rateOn: null, rateOff: null };
      const pOnGivenFail = c.on[k]! / c.n;
      const pFail = seedsDone === 0 ? 0 : failing / seedsDone;
      return {
        knob: knob.name,
        seedsOn: pOn,
        rateOn: pOn === 0 ? null : Math.min(1, (pOnGivenFail * pFail) / pOn),
        rateOff: pOn === 1 ? null : Math.min(1, ((1 - pOnGivenFail) * pFail) / (1 - pOn)),
      };
    });
  const byBug = new Map<number, KnobRow[]>();
  for (const [bugId, failing] of bugFailures) byBug.set(bugId, rows(counts.get(bugId), failing));
  return { none: null, seedsSampled, failuresSampled, overall: rows(counts.get('all'), campaign.failures), byBug };
}
