import { InvalidArgument, WorldMisuse, describeValue } from '../kernel/errors.js';
import type { BuggifyRate } from '../faults/buggify-rate.js';
import type { Disk } from '../faults/disk/disk-types.js';
import type { SimDisk } from '../faults/disk/sim-disk.js';
import type { Endpoint } from '../faults/network/network-types.js';
import { SimEndpoint } from '../faults/network/sim-endpoint.js';
import type { SimNetwork } from '../faults/network/sim-network.js';
import type { Clock, Env, HostEnv, Random } from './simulation-types.js';
import type { TraceFields } from '../kernel/trace/record-format.js';
import type { World } from './world.js';
import { eventFormat } from '../kernel/trace/event-format.js';

const CLOCK_SLEEP = eventFormat`clock.sleep duration_ns=${'durationNs'} wake_ns=${'wakeNs'}`;

/** Validates a duration in ns: a non-negative safe integer. */
export function assertDurationNs(durationNs: number, context: string): void {
  if (!Number.isSafeInteger(durationNs) || durationNs < 0) {
    throw new InvalidArgument(`${context}: duration must be a non-negative safe integer of ns, got ${describeValue(durationNs)}`);
  }
}

/** Throws the error of a handle whose subsystem the simulation was not given. */
export function notConfigured(what: string, option: string): never {
  throw new WorldMisuse(`${what}: this simulation has no ${option}; pass { ${option}: { ... } } to world.simulate`);
}

class SimClock implements Clock {
  constructor(private readonly world: World) {}

  now(): number {
    return this.world.nowNs;
  }

  sleep(durationNs: number): Promise<void> {
    assertDurationNs(durationNs, 'clock.sleep');
    const wakeNs = this.world.nowNs + durationNs;
    this.world.emitEvent(CLOCK_SLEEP, durationNs, wakeNs);
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

/** The app-facing handles of a simulation (`sim.env`): the world's clock, randomness, BUGGIFY, recorder and disk. */
export class SimEnv implements Env {
  readonly clock: Clock;
  readonly random: Random;

  constructor(
    protected readonly world: World,
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

  always(name: string, condition: boolean, details?: TraceFields): void {
    this.world.assertAlways(name, condition, details);
  }

  sometimes(name: string, condition: boolean, details?: TraceFields): void {
    this.world.noteSometimes('sometimes', name, condition, details);
  }

  reachable(name: string): void {
    this.world.noteSometimes('reachable', name, true, undefined);
  }

  unreachable(name: string, details?: TraceFields): void {
    this.world.assertUnreachable(name, details);
  }
}

/** The env of one incarnation of a host: its own disk and endpoint, and who it is. */
export class SimHostEnv extends SimEnv implements HostEnv {
  constructor(
    world: World,
    disk: SimDisk | undefined,
    private readonly network: SimNetwork | undefined,
    readonly id: number,
    readonly incarnation: number,
  ) {
    super(world, disk);
  }

  endpoint<Message>(): Endpoint<Message> {
    return new SimEndpoint<Message>(this.network ?? notConfigured('hostEnv.endpoint', 'network'), this.id);
  }
}
