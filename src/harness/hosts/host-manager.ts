import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import { encodeTraceText } from '../../kernel/trace/escape.js';
import type { ScheduledTimer, TickListener, TimerOwner } from '../../kernel/world.js';
import { BuggifyRate } from '../../faults/buggify-rate.js';
import type { DiskOptions } from '../../faults/disk/disk-types.js';
import { SimDisk } from '../../faults/disk/sim-disk.js';
import type { SimNetwork } from '../../faults/network/sim-network.js';
import { diskFaultsOf, type HostFaults } from '../../faults/profiles/apply-profile.js';
import { isThenable } from '../_internals/drive.js';
import { describeError } from '../failure.js';
import { SimHostEnv } from '../sim-env.js';
import type { Host, HostControl, HostMain } from '../simulation-types.js';
import type { World } from '../world.js';

/** Host ids when the simulation has no network: `[0, MAX_HOSTS)`. */
export const MAX_HOSTS = 1024;

/** One life of a host, from a start to a crash: the owner of every wait its code starts. */
export class Incarnation implements TimerOwner {
  alive = true;
  constructor(
    readonly number: number,
    /** Fails the run with an error the host's code threw (traced as `host.error`). */
    readonly fail: (error: unknown) => void,
  ) {}
}

interface HostRecord {
  readonly id: number;
  readonly main: HostMain;
  readonly disk: SimDisk | undefined;
  incarnation: Incarnation;
  up: boolean;
  /** The restart a random crash scheduled, until it happens. */
  restartTimer: ScheduledTimer | undefined;
}

/**
 * What `sim.host` returns. A class, not a literal with getters (a literal with getters costs a
 * hidden class per host, see `createHistory`); its JSON is the literal's `{ id, incarnation, up }`.
 */
class HostHandle implements Host {
  readonly id: number;
  readonly #record: HostRecord;

  constructor(record: HostRecord) {
    this.id = record.id;
    this.#record = record;
  }

  get incarnation(): number {
    return this.#record.incarnation.number;
  }

  get up(): boolean {
    return this.#record.up;
  }

  toJSON(): { id: number; incarnation: number; up: boolean } {
    return { id: this.id, incarnation: this.incarnation, up: this.up };
  }
}

/**
 * The hosts of a simulation: processes that start, crash and restart. Every wait a host's code
 * starts belongs to its current incarnation (the world tracks this through async context, so it
 * holds inside third-party code too); a crash abandons them all. Host crash dynamics of the
 * profile roll at every tick.
 */
export class HostManager implements TickListener, HostControl {
  private readonly hosts = new Map<number, HostRecord>();
  /** Host ids in ascending order: the order in which dynamics roll and calm restarts. */
  private ids: number[] = [];
  private faults: HostFaults;

  constructor(
    private readonly world: World,
    private readonly network: SimNetwork | undefined,
    private readonly diskOptions: DiskOptions | undefined,
    faults: HostFaults,
  ) {
    this.faults = faults;
    world.onTick(this);
  }

  /** Whether host crash dynamics are on (otherwise time jumps over ticks). */
  get wantsTicks(): boolean {
    return !this.faults.crashRate.isNever && this.hosts.size > 0;
  }

  start(id: number, main: HostMain): Host {
    const limit = this.network?.nodes ?? MAX_HOSTS;
    if (!Number.isInteger(id) || id < 0 || id >= limit) {
      const what = this.network === undefined ? `an integer in [0, ${MAX_HOSTS})` : `a network node id in 0..${limit - 1}`;
      throw new InvalidArgument(`sim.host: id must be ${what}, got ${describeValue(id)}`);
    }
    if (this.hosts.has(id)) throw new InvalidArgument(`sim.host: host ${id} is already started`);
    if (typeof main !== 'function') throw new InvalidArgument(`sim.host: main must be a function, got ${describeValue(main)}`);
    const disk = this.diskOptions === undefined ? undefined : new SimDisk(this.world, this.diskOptions, diskFaultsOf(this.world.profile), id);
    const record: HostRecord = { id, main, disk, incarnation: this.incarnation(id, 0), up: true, restartTimer: undefined };
    this.hosts.set(id, record);
    this.ids = [...this.hosts.keys()].sort((a, b) => a - b);
    this.world.emit(`host.start id=${id} incarnation=0 now_ns=${this.world.nowNs}`);
    this.run(record);
    return new HostHandle(record);
  }

  // Control calls act as the world, also when a host's own code makes them (a host may crash itself).

  async crash(id: number): Promise<void> {
    this.world.runUnowned(() => this.crashHost(this.get(id, 'hosts.crash'), ''));
  }

  async restart(id: number): Promise<void> {
    this.world.runUnowned(() => this.restartHost(this.get(id, 'hosts.restart'), ''));
  }

  async bounce(id: number): Promise<void> {
    const record = this.get(id, 'hosts.bounce');
    this.world.runUnowned(() => {
      this.crashHost(record, '');
      this.restartHost(record, '');
    });
  }

  isUp(id: number): boolean {
    return this.get(id, 'hosts.isUp').up;
  }

  /** Whether `id` is a host that is crashed now. */
  isCrashed(id: number): boolean {
    return this.hosts.get(id)?.up === false;
  }

  /** @internal Rolls the crash dice of every up host at a tick boundary; a crashed host's restart is scheduled. */
  tick(nowNs: number): void {
    const { crashRate, restartDelayNs } = this.faults;
    const choices = this.world.choices;
    for (const id of this.ids) {
      const record = this.hosts.get(id)!;
      if (!record.up || !crashRate.fires(choices.intLessThan(crashRate.denominator))) continue;
      this.crashHost(record, ' reason=random');
      const delayTicks = Math.round(restartDelayNs / this.world.tickNs);
      const ticks = Math.max(1, delayTicks + choices.intLessThan(delayTicks + 1));
      record.restartTimer = this.world.setTimer(
        nowNs + ticks * this.world.tickNs,
        () => {
          record.restartTimer = undefined;
          if (!record.up) this.restartHost(record, ' reason=random');
        },
        null,
      );
    }
  }

  /** Ends host faults (`control.calm()`): crash dynamics stop and every crashed host restarts now, in id order. */
  calm(): void {
    this.faults = { ...this.faults, crashRate: BuggifyRate.never() };
    for (const id of this.ids) {
      const record = this.hosts.get(id)!;
      record.disk?.calmFaults(); // before a restart, so main runs on a calm disk
      if (!record.up) this.restartHost(record, ''); // restarts its disk too
    }
  }

  private get(id: number, operation: string): HostRecord {
    const record = this.hosts.get(id);
    if (record === undefined) throw new InvalidArgument(`${operation}: no host ${describeValue(id)} was started`);
    return record;
  }

  private crashHost(record: HostRecord, reason: string): void {
    if (!record.up) throw new InvalidArgument(`hosts.crash: host ${record.id} is already crashed`);
    record.up = false;
    const incarnation = record.incarnation;
    incarnation.alive = false;
    const abandoned = this.world.abandon(incarnation);
    this.world.emit(`host.crash id=${record.id} incarnation=${incarnation.number} abandoned_waits=${abandoned} now_ns=${this.world.nowNs}${reason}`);
    record.disk?.crash();
    this.network?.setNode(record.id, false);
  }

  private restartHost(record: HostRecord, reason: string): void {
    if (record.up) throw new InvalidArgument(`hosts.restart: host ${record.id} is up; crash it first`);
    record.restartTimer?.cancel();
    record.restartTimer = undefined;
    record.incarnation = this.incarnation(record.id, record.incarnation.number + 1);
    record.up = true;
    this.world.emit(`host.restart id=${record.id} incarnation=${record.incarnation.number} now_ns=${this.world.nowNs}${reason}`);
    record.disk?.restart();
    this.network?.setNode(record.id, true);
    this.run(record);
  }

  /** Runs `main` as the host's current incarnation; an error it throws (or rejects with) fails the run. */
  private run(record: HostRecord): void {
    const incarnation = record.incarnation;
    const env = new SimHostEnv(this.world, record.disk, this.network, record.id, incarnation.number);
    this.world.runOwned(incarnation, () => {
      let result: unknown;
      try {
        result = record.main(env);
      } catch (error) {
        incarnation.fail(error);
        return;
      }
      if (isThenable(result)) result.then(undefined, incarnation.fail);
    });
  }

  private incarnation(id: number, number: number): Incarnation {
    const incarnation: Incarnation = new Incarnation(number, (error) => {
      // A crashed incarnation's errors are gone with it; the first error of a run is the one reported.
      if (!incarnation.alive || this.world.failed) return;
      try {
        this.world.emit(`host.error id=${id} error=${encodeTraceText(describeError(error).name)}`);
      } catch {
        // The world is full or closed: the error still stops it below (or the run is already over).
      }
      this.world.fail(error);
    });
    return incarnation;
  }
}
