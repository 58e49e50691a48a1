import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import type { ScheduledTimer, TimerOwner, WorldCore } from '../../kernel/world.js';
import { BuggifyRate } from '../buggify-rate.js';
import { InvalidNode, Livelock } from '../errors.js';
import type { DropReason, Envelope, NetworkFaults, NetworkOptions } from './network-types.js';
import { eventFormat } from '../../kernel/trace/event-format.js';

const SEND = eventFormat`network.send id=${'id'} from=${'from'} to=${'to'} deliver_at=${'deliverAtNs'} latency_ns=${'latencyNs'}`;
const DELIVER = eventFormat`network.deliver id=${'id'} from=${'from'} to=${'to'} now_ns=${'nowNs'}`;
const DROP = eventFormat`network.drop id=${'id'} from=${'from'} to=${'to'} reason=${'reason'}`;
const RANDOM_CLOG = eventFormat`network.clog from=${'from'} to=${'to'} until_ns=${'untilNs'} reason=random`;

/** Most `receive()` calls finding nothing at one simulated instant before the run is stopped as a livelock. */
const MAX_EMPTY_RECEIVES_PER_INSTANT = 100_000;

/**
 * The native promise statics, as the module found them: `receive` settles its promises exactly when
 * the `async` function it replaces would, and that holds for native promises only (a program that
 * swaps the global `Promise` must not move the world's continuations).
 */
const NativePromise = Promise;

/** Default capacity of one directed path. */
export const DEFAULT_PATH_CAPACITY = 64;
const MAX_NODES = 1024;

interface Packet {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly deliverAtNs: number;
  readonly message: unknown;
}

/** One directed path `from -> to`: its packets ordered by `(deliverAtNs, id)` and its clog. */
interface Path {
  readonly packets: Packet[];
  clogUntilNs: number;
  /** Disabled with `setLink(from, to, false)`. */
  disabled: boolean;
}

/** A receiver waiting for the next packet of its node, woken by a timer or a poke. */
interface Waiter {
  wakeAtNs: number;
  timer: ScheduledTimer;
  /** Whose wait this is (a host): its timer stays theirs when another node's send moves it. */
  readonly owner: TimerOwner | undefined;
  readonly resolve: () => void;
}

/**
 * The simulated packet network: a fixed topology of `nodes` with one bounded queue per directed
 * path, packets delivered in `(deliver_at, packet_id)` order, and every fault a traced decision of
 * the world. Time-evolved faults (random clogs, automatic partitions) evolve only at ticks;
 * explicit control calls act at once.
 */
export class SimNetwork {
  readonly nodes: number;
  readonly serviceNodes: number;
  readonly pathCapacity: number;
  private readonly paths: Path[];
  private readonly up: boolean[];
  private readonly waiters: Waiter[][];
  /** Side of each node in the current partition (0 or 1), or -1 when it is on neither side. */
  private side: Int8Array | undefined;
  private partitionIsAutomatic = false;
  private lastPartitionChangeNs = 0;
  private nextPacketId = 0;
  /** Consecutive `receive()` calls that found nothing, all at `emptyReceivesAtNs`. */
  private emptyReceives = 0;
  private emptyReceivesAtNs = -1;
  private faults: NetworkFaults;

  constructor(
    private readonly world: WorldCore,
    options: NetworkOptions,
    faults: NetworkFaults,
  ) {
    const fail = (what: string, value: unknown): never => {
      throw new InvalidArgument(`world.simulate: network.${what}, got ${describeValue(value)}`);
    };
    const { nodes, serviceNodes = nodes, pathCapacity = DEFAULT_PATH_CAPACITY } = options;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) fail(`nodes must be an integer in [1, ${MAX_NODES}]`, nodes);
    if (!Number.isInteger(serviceNodes) || serviceNodes < 1 || serviceNodes > nodes) {
      fail(`serviceNodes must be an integer in [1, nodes]`, serviceNodes);
    }
    if (!Number.isSafeInteger(pathCapacity) || pathCapacity < 1) fail('pathCapacity must be a positive integer', pathCapacity);
    this.nodes = nodes;
    this.serviceNodes = serviceNodes;
    this.pathCapacity = pathCapacity;
    this.paths = Array.from({ length: nodes * nodes }, () => ({ packets: [], clogUntilNs: 0, disabled: false }));
    this.up = new Array<boolean>(nodes).fill(true);
    this.waiters = Array.from({ length: nodes }, () => []);
    this.faults = checkFaults(faults, world.tickNs, 'world.simulate');
    world.emit(`network.init nodes=${nodes} service_nodes=${serviceNodes} path_capacity=${pathCapacity}`);
    this.emitFaults('network.faults');
    world.onTick(this);
  }

  /** Whether a time-evolved fault is configured (otherwise time jumps over ticks). */
  get wantsTicks(): boolean {
    const f = this.faults;
    return !f.pathClogRate.isNever || !f.partitionRate.isNever || (this.partitionIsAutomatic && !f.unpartitionRate.isNever);
  }

  // ---- app-facing: send and receive ----

  /** Sends a packet; every send consumes a packet id, whether it is queued or dropped. */
  send(from: number, to: number, message: unknown): void {
    this.world.assertOwnerAlive();
    this.assertNode(from, 'send');
    this.assertNode(to, 'send');
    const id = this.nextPacketId++;
    if (!this.up[from]) return this.drop(id, from, to, 'source_down');
    if (!this.up[to]) return this.drop(id, from, to, 'destination_down');
    if (!this.linkOpen(from, to)) return this.drop(id, from, to, 'link_disabled');
    const dropRate = this.faults.dropRate;
    if (!dropRate.isNever && dropRate.fires(this.world.choices.intLessThan(dropRate.denominator))) {
      return this.drop(id, from, to, 'send_drop');
    }
    const path = this.paths[from * this.nodes + to]!;
    if (path.packets.length >= this.pathCapacity) return this.drop(id, from, to, 'path_full');
    const { minLatencyNs, latencyJitterNs } = this.faults;
    const tickNs = this.world.tickNs;
    const latencyNs = minLatencyNs + (latencyJitterNs === 0 ? 0 : this.world.choices.intLessThan(latencyJitterNs / tickNs + 1) * tickNs);
    const deliverAtNs = this.world.nowNs + latencyNs;
    insertOrdered(path.packets, { id, from, to, deliverAtNs, message });
    this.world.emitEvent(SEND, id, from, to, deliverAtNs, latencyNs);
    this.poke(to, Math.max(deliverAtNs, path.clogUntilNs));
  }

  /**
   * The next packet for `node`: delivers the earliest deliverable one, waiting (in simulated time)
   * while the earliest is still in flight; `null` when nothing is in flight to `node`.
   *
   * Not an `async` function: most calls find their answer at once (a poll that finds nothing, or
   * a packet already due), and a settled native promise, fresh for each call, is all those need. It
   * settles exactly when the `async` version's promise would, so every continuation runs where it
   * always ran.
   */
  receive(node: number): Promise<Envelope<unknown> | null> {
    let polled: Envelope<unknown> | null | number;
    try {
      this.world.assertOwnerAlive();
      this.assertNode(node, 'receive');
      polled = this.poll(node);
    } catch (error) {
      return NativePromise.reject(error);
    }
    if (typeof polled === 'number') return this.receiveAt(node, polled);
    return NativePromise.resolve(polled);
  }

  /** `receive` once the earliest packet for `node` is due at `atNs`, later than now. */
  private async receiveAt(node: number, atNs: number): Promise<Envelope<unknown> | null> {
    for (;;) {
      await this.waitUntil(node, atNs);
      const polled = this.poll(node);
      if (typeof polled !== 'number') return polled;
      atNs = polled;
    }
  }

  /**
   * Delivers the earliest deliverable packet for `node`; else returns when the earliest in flight
   * is due (a time after now), or `null` when nothing is in flight.
   */
  private poll(node: number): Envelope<unknown> | null | number {
    let best: Path | undefined;
    let bestAt = 0;
    let bestId = 0;
    for (let from = 0; from < this.nodes; from++) {
      const path = this.paths[from * this.nodes + node]!;
      const head = path.packets[0];
      if (head === undefined) continue;
      const at = Math.max(head.deliverAtNs, path.clogUntilNs);
      if (best === undefined || at < bestAt || (at === bestAt && head.id < bestId)) {
        best = path;
        bestAt = at;
        bestId = head.id;
      }
    }
    if (best === undefined) return this.nothingPending(node);
    if (bestAt > this.world.nowNs) return bestAt;
    this.emptyReceives = 0;
    const packet = best.packets.shift()!;
    this.world.emitEvent(DELIVER, packet.id, packet.from, packet.to, this.world.nowNs);
    return { from: packet.from, message: packet.message };
  }

  /**
   * `receive()` found nothing in flight. A loop that polls without ever letting simulated time
   * pass would spin forever without recording an event, so it is stopped as a livelock.
   */
  private nothingPending(node: number): null {
    const nowNs = this.world.nowNs;
    if (nowNs !== this.emptyReceivesAtNs) {
      this.emptyReceivesAtNs = nowNs;
      this.emptyReceives = 0;
    }
    if (++this.emptyReceives > MAX_EMPTY_RECEIVES_PER_INSTANT) {
      const error = new Livelock(
        `network.receive: node ${node} polled ${MAX_EMPTY_RECEIVES_PER_INSTANT} times at ${nowNs} ns with nothing in flight; ` +
          'sleep between polls (env.clock.sleep) so simulated time can pass',
      );
      this.world.fail(error);
      throw error;
    }
    return null;
  }

  // ---- control ----

  /** Replaces some fault settings and traces the change under `eventName`. */
  setFaults(changes: Partial<NetworkFaults>, eventName: string, context: string): void {
    if (Object.keys(changes).length === 0) throw new InvalidArgument(`${context}: give at least one fault setting`);
    const next = checkFaults({ ...this.faults, ...changes }, this.world.tickNs, context);
    this.faults = next;
    this.emitFaults(eventName, Object.keys(changes) as (keyof NetworkFaults)[]);
  }

  partition(left: readonly number[], right: readonly number[]): void {
    const side = new Int8Array(this.nodes).fill(-1);
    for (const [list, value, name] of [[left, 0, 'left'], [right, 1, 'right']] as const) {
      if (!Array.isArray(list) || list.length === 0) {
        throw new InvalidArgument(`network.partition: ${name} must be a non-empty array of node ids, got ${describeValue(list)}`);
      }
      for (const node of list) {
        this.assertNode(node, 'partition');
        if (side[node] !== -1) throw new InvalidArgument(`network.partition: node ${node} is on both sides`);
        side[node] = value;
      }
    }
    this.world.emit(`network.partition left=${left.join(',')} right=${right.join(',')}`);
    this.applyPartition(side, false);
  }

  heal(): void {
    this.world.emit('network.heal');
    this.clearPartition();
  }

  healLinks(): void {
    this.world.emit('network.heal_links');
    for (const path of this.paths) path.disabled = false;
  }

  setNode(node: number, up: boolean): void {
    this.assertNode(node, 'setNode');
    this.world.emit(`network.node id=${node} up=${up === true}`);
    this.up[node] = up === true;
    if (!up) this.dropClosedPaths();
  }

  setLink(from: number, to: number, enabled: boolean): void {
    this.assertNode(from, 'setLink');
    this.assertNode(to, 'setLink');
    this.world.emit(`network.link from=${from} to=${to} enabled=${enabled === true}`);
    this.paths[from * this.nodes + to]!.disabled = enabled !== true;
    if (!enabled) this.dropClosedPaths();
  }

  clog(from: number, to: number, durationNs: number): void {
    this.assertNode(from, 'clog');
    this.assertNode(to, 'clog');
    if (!Number.isSafeInteger(durationNs) || durationNs < 0) {
      throw new InvalidArgument(`network.clog: durationNs must be a non-negative safe integer, got ${describeValue(durationNs)}`);
    }
    const untilNs = this.world.nowNs + durationNs;
    this.paths[from * this.nodes + to]!.clogUntilNs = untilNs;
    this.world.emit(`network.clog from=${from} to=${to} until_ns=${untilNs}`);
    this.poke(to, untilNs); // a shorter clog than before lets packets out earlier
  }

  unclog(from: number, to: number): void {
    this.assertNode(from, 'unclog');
    this.assertNode(to, 'unclog');
    this.paths[from * this.nodes + to]!.clogUntilNs = 0;
    this.world.emit(`network.unclog from=${from} to=${to}`);
    this.poke(to, this.world.nowNs);
  }

  unclogAll(): void {
    for (const path of this.paths) path.clogUntilNs = 0;
    this.world.emit('network.unclog_all');
    for (let node = 0; node < this.nodes; node++) this.poke(node, this.world.nowNs);
  }

  /**
   * Ends every network fault (`control.calm()`): loss, random clogs and partition dynamics stop,
   * any partition heals, every clog ends, every link is enabled, and every node comes up except
   * those `keepDown` names (crashed hosts, which come up when they restart). Latency stays as it
   * is. Traced as one `network.calm` event.
   */
  calm(keepDown: (node: number) => boolean): void {
    const never = BuggifyRate.never();
    this.faults = { ...this.faults, dropRate: never, pathClogRate: never, partitionRate: never, unpartitionRate: never };
    this.clearPartition();
    for (const path of this.paths) {
      path.clogUntilNs = 0;
      path.disabled = false;
    }
    for (let node = 0; node < this.nodes; node++) if (!this.up[node] && !keepDown(node)) this.up[node] = true;
    this.world.emit('network.calm');
    for (let node = 0; node < this.nodes; node++) this.poke(node, this.world.nowNs);
  }

  // ---- time-evolved faults ----

  /** @internal Rolls the dice of time-evolved faults at a tick boundary. */
  tick(nowNs: number): void {
    const { pathClogRate, pathClogDurationNs } = this.faults;
    const choices = this.world.choices;
    if (!pathClogRate.isNever) {
      const maxTicks = Math.max(1, Math.round((2 * pathClogDurationNs) / this.world.tickNs));
      for (let from = 0; from < this.nodes; from++) {
        for (let to = 0; to < this.nodes; to++) {
          if (from === to) continue;
          const path = this.paths[from * this.nodes + to]!;
          if (path.clogUntilNs > nowNs) continue;
          if (!pathClogRate.fires(choices.intLessThan(pathClogRate.denominator))) continue;
          path.clogUntilNs = nowNs + (1 + choices.intLessThan(maxTicks)) * this.world.tickNs;
          this.world.emitEvent(RANDOM_CLOG, from, to, path.clogUntilNs);
        }
      }
    }
    const { partitionRate, unpartitionRate, partitionStabilityMinNs, unpartitionStabilityMinNs } = this.faults;
    const sinceChangeNs = nowNs - this.lastPartitionChangeNs;
    if (this.side === undefined) {
      if (partitionRate.isNever || sinceChangeNs < unpartitionStabilityMinNs || this.serviceNodes < 2) return;
      if (!partitionRate.fires(choices.intLessThan(partitionRate.denominator))) return;
      const side = new Int8Array(this.nodes).fill(-1);
      for (let node = 0; node < this.serviceNodes; node++) side[node] = choices.intLessThan(2);
      if (side.subarray(0, this.serviceNodes).every((s) => s === side[0])) {
        const flip = choices.intLessThan(this.serviceNodes);
        side[flip] = 1 - side[flip]!;
      }
      const members = (value: number) => [...side.keys()].filter((node) => side[node] === value).join(',');
      this.world.emit(`network.auto_partition left=${members(0)} right=${members(1)} now_ns=${nowNs}`);
      this.applyPartition(side, true);
    } else if (this.partitionIsAutomatic && !unpartitionRate.isNever && sinceChangeNs >= partitionStabilityMinNs) {
      if (!unpartitionRate.fires(choices.intLessThan(unpartitionRate.denominator))) return;
      this.world.emit(`network.auto_heal now_ns=${nowNs}`);
      this.clearPartition();
    }
  }

  // ---- internals ----

  private applyPartition(side: Int8Array, automatic: boolean): void {
    this.side = side;
    this.partitionIsAutomatic = automatic;
    this.lastPartitionChangeNs = this.world.nowNs;
    this.dropClosedPaths();
  }

  private clearPartition(): void {
    this.side = undefined;
    this.partitionIsAutomatic = false;
    this.lastPartitionChangeNs = this.world.nowNs;
  }

  private linkOpen(from: number, to: number): boolean {
    if (this.paths[from * this.nodes + to]!.disabled) return false;
    const side = this.side;
    if (side === undefined) return true;
    const a = side[from]!;
    const b = side[to]!;
    return a === -1 || b === -1 || a === b;
  }

  /** Drops, in path order, every queued packet whose path is now closed. */
  private dropClosedPaths(): void {
    for (let from = 0; from < this.nodes; from++) {
      for (let to = 0; to < this.nodes; to++) {
        const path = this.paths[from * this.nodes + to]!;
        if (path.packets.length === 0) continue;
        const reason: DropReason | undefined = !this.up[from]
          ? 'source_down'
          : !this.up[to]
            ? 'destination_down'
            : !this.linkOpen(from, to)
              ? 'link_disabled'
              : undefined;
        if (reason === undefined) continue;
        for (const packet of path.packets.splice(0)) this.drop(packet.id, from, to, reason);
        this.poke(to, this.world.nowNs); // a receiver waiting for a dropped packet must look again now
      }
    }
  }

  private drop(id: number, from: number, to: number, reason: DropReason): void {
    this.world.emitEvent(DROP, id, from, to, reason);
  }

  private waitUntil(node: number, atNs: number): Promise<void> {
    return new Promise((resolve) => {
      const owner = this.world.currentOwner;
      const waiter: Waiter = { wakeAtNs: atNs, timer: this.world.setTimer(atNs, () => this.wake(node, waiter), owner ?? null), owner, resolve };
      this.waiters[node]!.push(waiter);
    });
  }

  /** Moves receivers of `node` sleeping past `atNs` to `atNs` (a packet can now arrive earlier). */
  private poke(node: number, atNs: number): void {
    const waiters = this.waiters[node]!;
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i]!;
      if (waiter.owner !== undefined && !waiter.owner.alive) {
        waiters.splice(i--, 1); // its host crashed: the wait is abandoned for good
        continue;
      }
      if (waiter.wakeAtNs <= atNs) continue;
      waiter.timer.cancel();
      waiter.wakeAtNs = atNs;
      waiter.timer = this.world.setTimer(atNs, () => this.wake(node, waiter), waiter.owner ?? null);
    }
  }

  private wake(node: number, waiter: Waiter): void {
    const list = this.waiters[node]!;
    const index = list.indexOf(waiter);
    if (index >= 0) list.splice(index, 1);
    waiter.resolve();
  }

  private emitFaults(eventName: string, keys: readonly (keyof NetworkFaults)[] = NETWORK_FAULT_KEYS): void {
    const f = this.faults;
    const text: Record<keyof NetworkFaults, string> = {
      dropRate: `drop_rate=${f.dropRate}`,
      minLatencyNs: `min_latency_ns=${f.minLatencyNs}`,
      latencyJitterNs: `latency_jitter_ns=${f.latencyJitterNs}`,
      pathClogRate: `path_clog_rate=${f.pathClogRate}`,
      pathClogDurationNs: `path_clog_duration_ns=${f.pathClogDurationNs}`,
      partitionRate: `partition_rate=${f.partitionRate}`,
      unpartitionRate: `unpartition_rate=${f.unpartitionRate}`,
      partitionStabilityMinNs: `partition_stability_min_ns=${f.partitionStabilityMinNs}`,
      unpartitionStabilityMinNs: `unpartition_stability_min_ns=${f.unpartitionStabilityMinNs}`,
    };
    this.world.emit(`${eventName} ${NETWORK_FAULT_KEYS.filter((k) => keys.includes(k)).map((k) => text[k]).join(' ')}`);
  }

  /** Throws {@link InvalidNode} unless `node` is in `0..nodes-1`. */
  assertNode(node: number, operation: string): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.nodes) {
      throw new InvalidNode(`network.${operation}: node ${describeValue(node)} is not in 0..${this.nodes - 1}`);
    }
  }
}

/** Every network fault setting, in the order traces list them. */
export const NETWORK_FAULT_KEYS: readonly (keyof NetworkFaults)[] = [
  'dropRate',
  'minLatencyNs',
  'latencyJitterNs',
  'pathClogRate',
  'pathClogDurationNs',
  'partitionRate',
  'unpartitionRate',
  'partitionStabilityMinNs',
  'unpartitionStabilityMinNs',
];

/** Validates network faults: rates are rates, durations non-negative, latencies tick-aligned. */
export function checkFaults(faults: NetworkFaults, tickNs: number, context: string): NetworkFaults {
  const rate = (key: keyof NetworkFaults) => BuggifyRate.from(faults[key], `${context}: ${key}`);
  const duration = (key: keyof NetworkFaults, tickAligned: boolean): number => {
    const value = faults[key] as number;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgument(`${context}: ${key} must be a non-negative safe integer of ns, got ${describeValue(value)}`);
    }
    if (tickAligned && value % tickNs !== 0) {
      throw new InvalidArgument(`${context}: ${key} must be a multiple of tickNs (${tickNs}), got ${value}`);
    }
    return value;
  };
  return {
    dropRate: rate('dropRate'),
    minLatencyNs: duration('minLatencyNs', true),
    latencyJitterNs: duration('latencyJitterNs', true),
    pathClogRate: rate('pathClogRate'),
    pathClogDurationNs: duration('pathClogDurationNs', false),
    partitionRate: rate('partitionRate'),
    unpartitionRate: rate('unpartitionRate'),
    partitionStabilityMinNs: duration('partitionStabilityMinNs', false),
    unpartitionStabilityMinNs: duration('unpartitionStabilityMinNs', false),
  };
}

function insertOrdered(packets: Packet[], packet: Packet): void {
  let i = packets.length;
  while (i > 0) {
    const before = packets[i - 1]!;
    if (before.deliverAtNs < packet.deliverAtNs || (before.deliverAtNs === packet.deliverAtNs && before.id < packet.id)) break;
    i--;
  }
  packets.splice(i, 0, packet);
}
