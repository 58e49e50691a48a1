import type { BuggifyRate } from '../faults/buggify-rate.js';
import type { Disk, DiskControl } from '../faults/disk/disk-types.js';
import { SimDisk } from '../faults/disk/sim-disk.js';
import { SimDiskControl } from '../faults/disk/sim-disk-control.js';
import type { Endpoint, NetworkControl } from '../faults/network/network-types.js';
import { SimEndpoint } from '../faults/network/sim-endpoint.js';
import { SimNetwork } from '../faults/network/sim-network.js';
import { SimNetworkControl } from '../faults/network/sim-network-control.js';
import { diskFaultsOf, networkFaultsOf } from '../faults/profiles/apply-profile.js';
import { InvalidArgument, WorldMisuse, describeValue } from './errors.js';
import type { Clock, Control, Env, Random, SimulateOptions, Simulation } from './simulation-types.js';
import type { TraceFields } from './trace/record-format.js';
import type { World } from './world.js';

/** Validates a duration in ns: a non-negative safe integer. */
export function assertDurationNs(durationNs: number, context: string): void {
  if (!Number.isSafeInteger(durationNs) || durationNs < 0) {
    throw new InvalidArgument(`${context}: duration must be a non-negative safe integer of ns, got ${describeValue(durationNs)}`);
  }
}

class SimClock implements Clock {
  constructor(private readonly world: World) {}

  now(): number {
    return this.world.nowNs;
  }

  sleep(durationNs: number): Promise<void> {
    assertDurationNs(durationNs, 'clock.sleep');
    const wakeNs = this.world.nowNs + durationNs;
    this.world.emit(`clock.sleep duration_ns=${durationNs} wake_ns=${wakeNs}`);
    return this.world.sleepUntil(wakeNs);
  }
}

class SimRandom implements Random {
  constructor(private readonly world: World) {}

  u32(): number {
    return this.world.randomU32();
  }

  u64(): bigint {
    return this.world.randomU64();
  }

  intLessThan(bound: number): number {
    return this.world.randomIntLessThan(bound);
  }

  bool(): boolean {
    return this.world.randomBool();
  }
}

class SimEnv implements Env {
  readonly clock: Clock;
  readonly random: Random;

  constructor(
    private readonly world: World,
    private readonly simDisk: SimDisk | undefined,
  ) {
    this.clock = new SimClock(world);
    this.random = new SimRandom(world);
  }

  get disk(): Disk {
    return this.simDisk ?? notConfigured('env.disk', 'disk');
  }

  buggify(hook: string, rate: BuggifyRate): boolean {
    return this.world.buggify(hook, rate);
  }

  record(nameOrRaw: string, fields?: TraceFields): void {
    this.world.record(nameOrRaw, fields);
  }
}

class SimControl implements Control {
  private readonly networkControl: NetworkControl | undefined;
  private readonly diskControl: DiskControl | undefined;

  constructor(
    private readonly world: World,
    network: SimNetwork | undefined,
    disk: SimDisk | undefined,
  ) {
    this.networkControl = network === undefined ? undefined : new SimNetworkControl(network);
    this.diskControl = disk === undefined ? undefined : new SimDiskControl(disk);
  }

  get network(): NetworkControl {
    return this.networkControl ?? notConfigured('control.network', 'network');
  }

  get disk(): DiskControl {
    return this.diskControl ?? notConfigured('control.disk', 'disk');
  }

  tick(): Promise<void> {
    const untilNs = this.world.nowNs + this.world.tickNs;
    this.world.emit(`control.tick until_ns=${untilNs}`);
    return this.world.sleepUntil(untilNs);
  }

  runFor(durationNs: number): Promise<void> {
    assertDurationNs(durationNs, 'control.runFor');
    const untilNs = this.world.nowNs + durationNs;
    this.world.emit(`control.run_for duration_ns=${durationNs} until_ns=${untilNs}`);
    return this.world.sleepUntil(untilNs);
  }
}

/**
 * Builds the simulation of a world (called once, by `world.simulate`): the network and disk the
 * options ask for, with the faults of the world's profile applied.
 */
export function createSimulation(world: World, options: SimulateOptions): Simulation {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgument(`world.simulate: expected an options object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'network' && key !== 'disk') throw new InvalidArgument(`world.simulate: unknown option ${key}`);
  }
  const network = options.network === undefined ? undefined : new SimNetwork(world, options.network, networkFaultsOf(world.profile, world.tickNs));
  const disk = options.disk === undefined ? undefined : new SimDisk(world, options.disk, diskFaultsOf(world.profile));
  return {
    env: new SimEnv(world, disk),
    control: new SimControl(world, network, disk),
    endpoint<Message>(node: number): Endpoint<Message> {
      const net = network ?? notConfigured('endpoint', 'network');
      net.assertNode(node, 'endpoint');
      return new SimEndpoint<Message>(net, node);
    },
  };
}

function notConfigured(what: string, option: string): never {
  throw new WorldMisuse(`${what}: this simulation has no ${option}; pass { ${option}: { ... } } to world.simulate`);
}
