import type { DiskFaults } from '../disk/disk-types.js';
import { checkDiskFaults } from '../disk/sim-disk.js';
import type { NetworkFaults } from '../network/network-types.js';
import type { BuggifyRate } from '../buggify-rate.js';
import { parseRate, type FaultProfile } from './fault-profile.js';

/** Host dynamics in world units: each up host crashes at a tick when `crashRate` fires and restarts after `restartDelayNs` to twice that. */
export interface HostFaults {
  readonly crashRate: BuggifyRate;
  readonly restartDelayNs: number;
}

/** The network faults a profile sets, in ns for a world with `tickNs`. */
export function networkFaultsOf(profile: FaultProfile, tickNs: number): NetworkFaults {
  const n = profile.network;
  const rate = (key: keyof typeof n) => parseRate(n[key], `profile.network.${key}`);
  return {
    dropRate: rate('dropRate'),
    minLatencyNs: n.minLatencyTicks * tickNs,
    latencyJitterNs: n.latencyJitterTicks * tickNs,
    pathClogRate: rate('pathClogRate'),
    pathClogDurationNs: n.pathClogDurationTicks * tickNs,
    partitionRate: rate('partitionRate'),
    unpartitionRate: rate('unpartitionRate'),
    partitionStabilityMinNs: n.partitionStabilityMinTicks * tickNs,
    unpartitionStabilityMinNs: n.unpartitionStabilityMinTicks * tickNs,
  };
}

/** The disk faults a profile sets. */
export function diskFaultsOf(profile: FaultProfile): DiskFaults {
  return checkDiskFaults(profile.disk, 'profile.disk');
}

/** The host dynamics a profile sets, in ns for a world with `tickNs`. */
export function hostFaultsOf(profile: FaultProfile, tickNs: number): HostFaults {
  return {
    crashRate: parseRate(profile.host.crashRate, 'profile.host.crashRate'),
    restartDelayNs: profile.host.restartDelayTicks * tickNs,
  };
}
