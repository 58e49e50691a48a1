import type { DiskFaults } from '../disk/disk-types.js';
import { checkDiskFaults } from '../disk/sim-disk.js';
import type { NetworkFaults } from '../network/network-types.js';
import { parseRate, type FaultProfile } from './fault-profile.js';

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
