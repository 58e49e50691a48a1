import { InvalidArgument, describeValue } from '../kernel/errors.js';
import type { DiskControl } from '../faults/disk/disk-types.js';
import { SimDisk } from '../faults/disk/sim-disk.js';
import { SimDiskControl } from '../faults/disk/sim-disk-control.js';
import type { Endpoint, NetworkControl } from '../faults/network/network-types.js';
import { SimEndpoint } from '../faults/network/sim-endpoint.js';
import { SimNetwork } from '../faults/network/sim-network.js';
import { SimNetworkControl } from '../faults/network/sim-network-control.js';
import { diskFaultsOf, hostFaultsOf, networkFaultsOf } from '../faults/profiles/apply-profile.js';
import { HostManager } from './hosts/host-manager.js';
import { SimEnv, assertDurationNs, notConfigured } from './sim-env.js';
import type { Control, HostControl, SimulateOptions, Simulation } from './simulation-types.js';
import type { World } from './world.js';
import { eventFormat } from '../kernel/trace/event-format.js';

const CONTROL_TICK = eventFormat`control.tick until_ns=${'untilNs'}`;
const CONTROL_RUN_FOR = eventFormat`control.run_for duration_ns=${'durationNs'} until_ns=${'untilNs'}`;

/** What a world keeps of the simulation it built: the user's handles and the calm switch. */
export interface SimulationParts {
  readonly simulation: Simulation;
  /** Ends every fault at once (see `control.calm`). */
  calm(): void;
}

class SimControl implements Control {
  private readonly networkControl: NetworkControl | undefined;
  private readonly diskControl: DiskControl | undefined;

  constructor(
    private readonly world: World,
    network: SimNetwork | undefined,
    disk: SimDisk | undefined,
    private readonly hostControl: () => HostControl,
    private readonly calmAll: () => void,
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

  get hosts(): HostControl {
    return this.hostControl();
  }

  tick(): Promise<void> {
    const untilNs = this.world.nowNs + this.world.tickNs;
    this.world.emitEvent(CONTROL_TICK, untilNs);
    return this.world.sleepUntil(untilNs);
  }

  runFor(durationNs: number): Promise<void> {
    assertDurationNs(durationNs, 'control.runFor');
    const untilNs = this.world.nowNs + durationNs;
    this.world.emitEvent(CONTROL_RUN_FOR, durationNs, untilNs);
    return this.world.sleepUntil(untilNs);
  }

  async calm(): Promise<void> {
    this.calmAll();
  }
}

/**
 * Builds the simulation of a world (called once, by `world.simulate`): the network and disk the
 * options ask for and the hosts the scenario starts, with the faults of the world's profile applied.
 */
export function createSimulation(world: World, options: SimulateOptions): SimulationParts {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgument(`world.simulate: expected an options object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'network' && key !== 'disk') throw new InvalidArgument(`world.simulate: unknown option ${key}`);
  }
  const network = options.network === undefined ? undefined : new SimNetwork(world, options.network, networkFaultsOf(world.profile, world.tickNs));
  const disk = options.disk === undefined ? undefined : new SimDisk(world, options.disk, diskFaultsOf(world.profile));
  // Made on first use: most simulations start no host, and the fuzz path builds one per seed.
  let hosts: HostManager | undefined;
  const hostManager = (): HostManager => (hosts ??= new HostManager(world, network, options.disk, hostFaultsOf(world.profile, world.tickNs)));
  const calm = (): void =>
    world.runUnowned(() => {
      world.emit('control.calm');
      network?.calm((node) => hosts?.isCrashed(node) ?? false);
      disk?.calm();
      hosts?.calm();
    });
  const simulation: Simulation = {
    env: new SimEnv(world, disk),
    control: new SimControl(world, network, disk, hostManager, calm),
    endpoint<Message>(node: number): Endpoint<Message> {
      const net = network ?? notConfigured('endpoint', 'network');
      net.assertNode(node, 'endpoint');
      return new SimEndpoint<Message>(net, node);
    },
    host: (id, main) => hostManager().start(id, main),
  };
  return { simulation, calm };
}
