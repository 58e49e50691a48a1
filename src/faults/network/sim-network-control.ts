import { InvalidArgument } from '../../kernel/errors.js';
import type { ClogFaults, LatencyFaults, LossinessFaults, NetworkControl, NetworkFaults, PartitionDynamics } from './network-types.js';
import { NETWORK_FAULT_KEYS, type SimNetwork } from './sim-network.js';

/** The harness's handle on the simulated network (`control.network`). Every call acts at once. */
export class SimNetworkControl implements NetworkControl {
  constructor(private readonly network: SimNetwork) {}

  async setLossiness(faults: LossinessFaults): Promise<void> {
    this.network.setFaults(pick(faults, ['dropRate'], 'network.setLossiness'), 'network.lossiness', 'network.setLossiness');
  }

  async setLatency(faults: LatencyFaults): Promise<void> {
    const picked = pick(faults, ['minLatencyNs', 'latencyJitterNs'], 'network.setLatency');
    this.network.setFaults(picked, 'network.latency', 'network.setLatency');
  }

  async setClogs(faults: ClogFaults): Promise<void> {
    const picked = pick(faults, ['pathClogRate', 'pathClogDurationNs'], 'network.setClogs');
    this.network.setFaults(picked, 'network.clog_faults', 'network.setClogs');
  }

  async setPartitionDynamics(faults: PartitionDynamics): Promise<void> {
    const keys = ['partitionRate', 'unpartitionRate', 'partitionStabilityMinNs', 'unpartitionStabilityMinNs'] as const;
    this.network.setFaults(pick(faults, keys, 'network.setPartitionDynamics'), 'network.partition_dynamics', 'network.setPartitionDynamics');
  }

  async setFaults(faults: Partial<NetworkFaults>): Promise<void> {
    const keys = Object.keys(faults ?? {}) as (keyof NetworkFaults)[];
    this.network.setFaults(pick(faults, keys, 'network.setFaults'), 'network.faults', 'network.setFaults');
  }

  async partition(left: readonly number[], right: readonly number[]): Promise<void> {
    this.network.partition(left, right);
  }

  async heal(): Promise<void> {
    this.network.heal();
  }

  async healLinks(): Promise<void> {
    this.network.healLinks();
  }

  async setNode(node: number, up: boolean): Promise<void> {
    this.network.setNode(node, up);
  }

  async setLink(from: number, to: number, enabled: boolean): Promise<void> {
    this.network.setLink(from, to, enabled);
  }

  async clog(from: number, to: number, durationNs: number): Promise<void> {
    this.network.clog(from, to, durationNs);
  }

  async unclog(from: number, to: number): Promise<void> {
    this.network.unclog(from, to);
  }

  async unclogAll(): Promise<void> {
    this.network.unclogAll();
  }
}


/** Exactly `keys` of `faults`, each present; anything else is a clear error. */
function pick<K extends keyof NetworkFaults>(faults: Partial<NetworkFaults>, keys: readonly K[], context: string): Pick<NetworkFaults, K> {
  if (typeof faults !== 'object' || faults === null) throw new InvalidArgument(`${context}: expected an options object`);
  const out: Partial<NetworkFaults> = {};
  for (const key of Object.keys(faults)) {
    if (!(NETWORK_FAULT_KEYS as readonly string[]).includes(key) || !(keys as readonly string[]).includes(key)) {
      throw new InvalidArgument(`${context}: unknown option ${key}`);
    }
  }
  for (const key of keys) {
    if (faults[key] === undefined) throw new InvalidArgument(`${context}: ${key} is required`);
    (out as Record<string, unknown>)[key] = faults[key];
  }
  return out as Pick<NetworkFaults, K>;
}
