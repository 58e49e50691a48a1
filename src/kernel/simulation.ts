import type { BuggifyRate } from '../faults/buggify-rate.js';
import { InvalidArgument, describeValue } from './errors.js';
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

  constructor(private readonly world: World) {
    this.clock = new SimClock(world);
    this.random = new SimRandom(world);
  }

  buggify(hook: string, rate: BuggifyRate): boolean {
    return this.world.buggify(hook, rate);
  }

  record(nameOrRaw: string, fields?: TraceFields): void {
    this.world.record(nameOrRaw, fields);
  }
}

class SimControl implements Control {
  constructor(private readonly world: World) {}

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

/** Builds the simulation of a world (called once, by `world.simulate`). */
export function createSimulation(world: World, _options: SimulateOptions): Simulation {
  return { env: new SimEnv(world), control: new SimControl(world) };
}
