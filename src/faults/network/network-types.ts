import type { BuggifyRate } from '../buggify-rate.js';

/** What arrives at an endpoint: the sender and the message. */
export interface Envelope<Message> {
  readonly from: number;
  readonly message: Message;
}

/**
 * A typed network endpoint of one node. The simulated and the production endpoints share this
 * shape, so replica code runs unchanged on both.
 */
export interface Endpoint<Message> {
  /** This endpoint's node id. */
  readonly node: number;
  /** Sends `message` to node `to`. Loss is silent to the sender (it is traced in simulation). */
  send(to: number, message: Message): void;
  /**
   * The next message for this node: waits while one is in flight and resolves `null` when none is
   * pending. In simulation, waiting advances simulated time to the packet's delivery.
   */
  receive(): Promise<Envelope<Message> | null>;
}

/** Options of the simulated network (`world.simulate({ network })`). */
export interface NetworkOptions {
  /** Number of nodes; ids are `0..nodes-1`. An integer in `[1, 1024]`. */
  readonly nodes: number;
  /**
   * The first `serviceNodes` ids are service nodes (replicas); the rest are clients. Automatic
   * partitions split only service nodes, so clients stay connected. Default: `nodes`.
   */
  readonly serviceNodes?: number;
  /** Most packets one directed path holds in flight; a send to a full path is a traced drop. Default 64. */
  readonly pathCapacity?: number;
}

/** Random packet loss: each send is dropped when `dropRate` fires. */
export interface LossinessFaults {
  readonly dropRate: BuggifyRate;
}

/** Latency of every packet: `minLatencyNs + k * tickNs`, `k` uniform in `[0, latencyJitterNs / tickNs]`. Both tick-aligned. */
export interface LatencyFaults {
  readonly minLatencyNs: number;
  readonly latencyJitterNs: number;
}

/**
 * Random clogs: at every tick each unclogged directed path clogs when `pathClogRate` fires, for a
 * duration uniform in `[1, 2 * pathClogDurationNs / tickNs]` ticks (mean `pathClogDurationNs`). A
 * clogged path holds its packets until the clog ends.
 */
export interface ClogFaults {
  readonly pathClogRate: BuggifyRate;
  readonly pathClogDurationNs: number;
}

/**
 * Automatic partitions of the service nodes. At a tick when the network is whole and has been for
 * `unpartitionStabilityMinNs`, it splits into two random non-empty sides when `partitionRate`
 * fires; when an automatic partition has lasted `partitionStabilityMinNs`, it heals when
 * `unpartitionRate` fires.
 */
export interface PartitionDynamics {
  readonly partitionRate: BuggifyRate;
  readonly unpartitionRate: BuggifyRate;
  readonly partitionStabilityMinNs: number;
  readonly unpartitionStabilityMinNs: number;
}

/** Every network fault setting at once. */
export type NetworkFaults = LossinessFaults & LatencyFaults & ClogFaults & PartitionDynamics;

/** Why a packet was dropped (the `reason` of `network.drop`). */
export type DropReason = 'send_drop' | 'source_down' | 'destination_down' | 'link_disabled' | 'path_full';

/** Harness-only control of the simulated network. Every call acts at once and is traced. */
export interface NetworkControl {
  setLossiness(faults: LossinessFaults): Promise<void>;
  setLatency(faults: LatencyFaults): Promise<void>;
  setClogs(faults: ClogFaults): Promise<void>;
  setPartitionDynamics(faults: PartitionDynamics): Promise<void>;
  setFaults(faults: Partial<NetworkFaults>): Promise<void>;
  /** Cuts every link between `left` and `right` (both directions); other nodes stay connected. Queued packets across the cut are dropped. */
  partition(left: readonly number[], right: readonly number[]): Promise<void>;
  /** Ends any partition, explicit or automatic. */
  heal(): Promise<void>;
  /** Re-enables every link disabled with `setLink`. */
  healLinks(): Promise<void>;
  /** Takes a node down (its queued packets are dropped) or brings it back up. */
  setNode(node: number, up: boolean): Promise<void>;
  /** Enables or disables one directed link. */
  setLink(from: number, to: number, enabled: boolean): Promise<void>;
  /** Holds packets on the directed path `from -> to` for `durationNs`. */
  clog(from: number, to: number, durationNs: number): Promise<void>;
  unclog(from: number, to: number): Promise<void>;
  unclogAll(): Promise<void>;
}
