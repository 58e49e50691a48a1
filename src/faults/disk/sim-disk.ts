import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import type { WorldCore } from '../../kernel/world.js';
import { BuggifyRate } from '../buggify-rate.js';
import { parseRate } from '../profiles/fault-profile.js';
import { DiskCrashed, DiskIoError } from '../errors.js';
import { assertBytes, assertLogicalPath, assertSectorRange, assertSectorSize } from './disk-requests.js';
import type { Disk, DiskFaults, DiskOptions, DiskRead, DiskWrite } from './disk-types.js';
import { eventFormat, type EventFormat } from '../../kernel/trace/event-format.js';

const DISK_WRITE = eventFormat`disk.write op=${'op'} path=${'path'} offset=${'offset'} len=${'len'} status=${'status'} latency_ns=${'latencyNs'}`;
const DISK_READ = eventFormat`disk.read op=${'op'} path=${'path'} offset=${'offset'} len=${'len'} status=${'status'} latency_ns=${'latencyNs'}`;
const DISK_SYNC = eventFormat`disk.sync op=${'op'} path=${'path'} status=ok committed_writes=${'committedWrites'} latency_ns=${'latencyNs'}`;
const DISK_SYNC_CRASHED = eventFormat`disk.sync op=${'op'} path=${'path'} status=crashed latency_ns=0`;
const DISK_FAULT = eventFormat`disk.fault op=${'op'} path=${'path'} kind=${'kind'} rate=${'numerator'}/${'denominator'} roll=${'roll'} fired=${'fired'}`;

/** The hot event formats of one disk: a host's disk tags each of its events with ` host=N`. */
interface DiskFormats {
  readonly write: EventFormat;
  readonly read: EventFormat;
  readonly sync: EventFormat;
  readonly syncCrashed: EventFormat;
  readonly fault: EventFormat;
}

const formatsByTag = new Map<string, DiskFormats>();

function diskFormats(tag: string): DiskFormats {
  let formats = formatsByTag.get(tag);
  if (formats === undefined) {
    formats = {
      write: DISK_WRITE.withFixedFields(tag),
      read: DISK_READ.withFixedFields(tag),
      sync: DISK_SYNC.withFixedFields(tag),
      syncCrashed: DISK_SYNC_CRASHED.withFixedFields(tag),
      fault: DISK_FAULT.withFixedFields(tag),
    };
    formatsByTag.set(tag, formats);
  }
  return formats;
}

/** Default sector size of the simulated disk. */
export const DEFAULT_SECTOR_SIZE = 4096;

/** A file's sectors by index; a missing sector reads as zeros. */
type Sectors = Map<number, Uint8Array>;

interface SimFile {
  /** What survives a crash. */
  durable: Sectors;
  /** What reads see: durable plus every pending write, in order. */
  current: Sectors;
}

interface PendingWrite {
  readonly op: number;
  readonly path: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

type CrashResult = 'landed' | 'lost' | 'torn';

/**
 * The simulated disk: sector-aligned positional I/O on logical paths, writes visible at once and
 * durable after `sync`, a crash that resolves each pending write as landed, lost or torn, and
 * injected read/write errors and corrupt reads. Every decision is drawn from the world and traced.
 */
export class SimDisk implements Disk {
  readonly sectorSize: number;
  private readonly minLatencyNs: number;
  private readonly latencyJitterNs: number;
  private readonly files = new Map<string, SimFile>();
  private pending: PendingWrite[] = [];
  private nextOp = 0;
  private crashed = false;
  /** Bumped by every crash; an operation in flight across a crash rejects. */
  private epoch = 0;
  private faults: DiskFaults;
  /** Written after the name of every event: empty for the simulation's disk, ` host=N` for a host's own disk. */
  private readonly tag: string;
  private readonly formats: DiskFormats;

  constructor(
    private readonly world: WorldCore,
    options: DiskOptions,
    faults: DiskFaults,
    /** The host this disk belongs to, when it is a host's private disk. */
    host?: number,
  ) {
    this.tag = host === undefined ? '' : ` host=${host}`;
    this.formats = diskFormats(this.tag);
    const { sectorSize = DEFAULT_SECTOR_SIZE, minLatencyNs = 0, latencyJitterNs = 0 } = options;
    assertSectorSize(sectorSize, 'world.simulate: disk');
    for (const [key, value] of [['minLatencyNs', minLatencyNs], ['latencyJitterNs', latencyJitterNs]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidArgument(`world.simulate: disk.${key} must be a non-negative safe integer of ns, got ${describeValue(value)}`);
      }
    }
    this.sectorSize = sectorSize;
    this.minLatencyNs = minLatencyNs;
    this.latencyJitterNs = latencyJitterNs;
    this.faults = checkDiskFaults(faults, 'world.simulate');
    world.emit(`disk.init${this.tag} sector_size=${sectorSize} min_latency_ns=${minLatencyNs} latency_jitter_ns=${latencyJitterNs}`);
    this.emitFaults();
  }

  // ---- app-facing I/O ----

  write(request: DiskWrite): Promise<void> {
    this.world.assertOwnerAlive();
    const { path, offset, bytes } = request ?? ({} as DiskWrite);
    assertLogicalPath(path, 'disk.write');
    assertBytes(bytes, 'disk.write');
    assertSectorRange(offset, bytes.length, this.sectorSize, 'disk.write');
    const op = this.nextOp++;
    if (this.crashed) {
      this.world.emitEvent(this.formats.write, op, path, offset, bytes.length, 'crashed', 0);
      return rejectCrashed('write', path);
    }
    const failed = this.roll(this.faults.writeErrorRate, op, path, 'write_error');
    if (!failed) {
      const copy = bytes.slice();
      this.applyWrite(this.file(path).current, offset, copy, copy.length);
      this.pending.push({ op, path, offset, bytes: copy });
    }
    const latencyNs = this.drawLatency();
    this.world.emitEvent(this.formats.write, op, path, offset, bytes.length, failed ? 'error' : 'ok', latencyNs);
    return this.complete(latencyNs, failed ? () => new DiskIoError(`disk.write: I/O error on ${path} (op ${op})`) : undefined, undefined);
  }

  read(request: DiskRead): Promise<Uint8Array> {
    this.world.assertOwnerAlive();
    const { path, offset, length } = request ?? ({} as DiskRead);
    assertLogicalPath(path, 'disk.read');
    assertSectorRange(offset, length, this.sectorSize, 'disk.read');
    const op = this.nextOp++;
    if (this.crashed) {
      this.world.emitEvent(this.formats.read, op, path, offset, length, 'crashed', 0);
      return rejectCrashed('read', path);
    }
    const failed = this.roll(this.faults.readErrorRate, op, path, 'read_error');
    let data: Uint8Array | undefined;
    if (!failed) {
      data = this.readSectors(this.files.get(path)?.current, offset, length);
      if (this.roll(this.faults.corruptReadRate, op, path, 'corrupt_read')) {
        const index = this.world.choices.intLessThan(length);
        data[index] = data[index]! ^ 0xff;
      }
    }
    const latencyNs = this.drawLatency();
    this.world.emitEvent(this.formats.read, op, path, offset, length, failed ? 'error' : 'ok', latencyNs);
    return this.complete(latencyNs, failed ? () => new DiskIoError(`disk.read: I/O error on ${path} (op ${op})`) : undefined, data!);
  }

  sync(request: { readonly path: string }): Promise<void> {
    this.world.assertOwnerAlive();
    const { path } = request ?? ({} as { path: string });
    assertLogicalPath(path, 'disk.sync');
    const op = this.nextOp++;
    if (this.crashed) {
      this.world.emitEvent(this.formats.syncCrashed, op, path);
      return rejectCrashed('sync', path);
    }
    const committed = this.pending.filter((write) => write.path === path);
    if (committed.length > 0) {
      const file = this.file(path);
      for (const write of committed) this.applyWrite(file.durable, write.offset, write.bytes, write.bytes.length);
      this.pending = this.pending.filter((write) => write.path !== path);
    }
    const latencyNs = this.drawLatency();
    this.world.emitEvent(this.formats.sync, op, path, committed.length, latencyNs);
    return this.complete(latencyNs, undefined, undefined);
  }

  // ---- control ----

  /** Replaces some fault rates; traced as `disk.faults`. */
  setFaults(changes: Partial<DiskFaults>): void {
    if (typeof changes !== 'object' || changes === null || Object.keys(changes).length === 0) {
      throw new InvalidArgument(`disk.setFaults: give at least one of ${DISK_FAULT_KEYS.join(', ')}`);
    }
    for (const key of Object.keys(changes)) {
      if (!(DISK_FAULT_KEYS as readonly string[]).includes(key)) throw new InvalidArgument(`disk.setFaults: unknown option ${key}`);
    }
    this.faults = checkDiskFaults({ ...this.faults, ...changes }, 'disk.setFaults');
    this.emitFaults();
  }

  corruptSector(path: string, offset: number): void {
    assertLogicalPath(path, 'disk.corruptSector');
    assertSectorRange(offset, this.sectorSize, this.sectorSize, 'disk.corruptSector');
    const file = this.file(path);
    const index = offset / this.sectorSize;
    for (const sectors of [file.durable, file.current]) {
      const sector = sectors.get(index)?.slice() ?? new Uint8Array(this.sectorSize);
      for (let i = 0; i < sector.length; i++) sector[i] = sector[i]! ^ 0xff;
      sectors.set(index, sector);
    }
    this.world.emit(`disk.fault${this.tag} path=${path} offset=${offset} kind=scripted_corruption`);
  }

  crash(): void {
    const counts: Record<CrashResult, number> = { landed: 0, lost: 0, torn: 0 };
    const { crashLostWriteRate: lost, crashTornWriteRate: torn } = this.faults;
    const choices = this.world.choices;
    for (const write of this.pending) {
      let result: CrashResult = 'landed';
      let landedBytes = write.bytes.length;
      if (!lost.isNever && lost.fires(choices.intLessThan(lost.denominator))) {
        result = 'lost';
      } else if (!torn.isNever && torn.fires(choices.intLessThan(torn.denominator))) {
        // A prefix lands, cut at a 4-byte boundary strictly inside the write; shorter writes are lost.
        const words = Math.floor(write.bytes.length / 4);
        if (words >= 2) {
          result = 'torn';
          landedBytes = 4 * (1 + choices.intLessThan(words - 1));
        } else {
          result = 'lost';
        }
      }
      counts[result]++;
      if (result !== 'lost') this.applyWrite(this.file(write.path).durable, write.offset, write.bytes, landedBytes);
      const tornField = result === 'torn' ? ` landed_bytes=${landedBytes}` : '';
      this.world.emit(
        `disk.crash_write${this.tag} op=${write.op} path=${write.path} offset=${write.offset} len=${write.bytes.length} result=${result}${tornField}`,
      );
    }
    this.world.emit(`disk.crash${this.tag} pending_writes=${this.pending.length} landed=${counts.landed} lost=${counts.lost} torn=${counts.torn}`);
    this.pending = [];
    for (const file of this.files.values()) file.current = new Map(file.durable);
    this.crashed = true;
    this.epoch++;
  }

  /** Whether the disk is crashed (I/O rejects until `restart`). */
  get isCrashed(): boolean {
    return this.crashed;
  }

  /** Ends every disk fault (`control.calm()`): fault rates go to zero and a crashed disk restarts. */
  calm(): void {
    this.calmFaults();
    if (this.crashed) this.restart();
  }

  /** Sets every fault rate to zero (traced as `disk.faults`). */
  calmFaults(): void {
    this.setFaults(Object.fromEntries(DISK_FAULT_KEYS.map((key) => [key, BuggifyRate.never()])));
  }

  restart(): void {
    this.crashed = false;
    this.world.emit(`disk.restart${this.tag} status=ok`);
  }

  // ---- internals ----

  private file(path: string): SimFile {
    let file = this.files.get(path);
    if (file === undefined) {
      file = { durable: new Map(), current: new Map() };
      this.files.set(path, file);
    }
    return file;
  }

  /** Writes the first `length` bytes of `bytes` at `offset`, sector by sector (sectors are copied on write). */
  private applyWrite(sectors: Sectors, offset: number, bytes: Uint8Array, length: number): void {
    const size = this.sectorSize;
    for (let start = 0; start < length; start += size) {
      const index = (offset + start) / size;
      const end = Math.min(start + size, length);
      if (end - start === size) {
        sectors.set(index, bytes.slice(start, end));
      } else {
        const sector = sectors.get(index)?.slice() ?? new Uint8Array(size);
        sector.set(bytes.subarray(start, end));
        sectors.set(index, sector);
      }
    }
  }

  private readSectors(sectors: Sectors | undefined, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    if (sectors === undefined) return out;
    for (let start = 0; start < length; start += this.sectorSize) {
      const sector = sectors.get((offset + start) / this.sectorSize);
      if (sector !== undefined) out.set(sector, start);
    }
    return out;
  }

  /** Rolls a fault rate for one operation; traces the roll when the rate can fire. */
  private roll(rate: BuggifyRate, op: number, path: string, kind: string): boolean {
    if (rate.isNever) return false;
    const roll = this.world.choices.intLessThan(rate.denominator);
    const fired = rate.fires(roll);
    this.world.emitEvent(this.formats.fault, op, path, kind, rate.numerator, rate.denominator, roll, fired);
    return fired;
  }

  private drawLatency(): number {
    return this.minLatencyNs + (this.latencyJitterNs === 0 ? 0 : this.world.choices.intLessThan(this.latencyJitterNs + 1));
  }

  /** Resolves (or rejects with `error()`) after `latencyNs`; rejects with DiskCrashed if the disk crashes meanwhile. */
  private complete<T>(latencyNs: number, error: (() => Error) | undefined, value: T): Promise<T> {
    if (latencyNs === 0) return error === undefined ? Promise.resolve(value) : Promise.reject(error());
    const epoch = this.epoch;
    return this.world.sleepUntil(this.world.nowNs + latencyNs).then(() => {
      if (this.epoch !== epoch) throw new DiskCrashed('disk: the disk crashed before the operation completed');
      if (error !== undefined) throw error();
      return value;
    });
  }


  private emitFaults(): void {
    const f = this.faults;
    this.world.emit(
      `disk.faults${this.tag} read_error_rate=${f.readErrorRate} write_error_rate=${f.writeErrorRate} corrupt_read_rate=${f.corruptReadRate} ` +
        `crash_lost_write_rate=${f.crashLostWriteRate} crash_torn_write_rate=${f.crashTornWriteRate}`,
    );
  }
}

const DISK_FAULT_KEYS = ['readErrorRate', 'writeErrorRate', 'corruptReadRate', 'crashLostWriteRate', 'crashTornWriteRate'] as const;

/** Validates disk fault rates, given as `BuggifyRate`s, `{ numerator, denominator }` or `"n/d"` text. */
export function checkDiskFaults(faults: Readonly<Record<keyof DiskFaults, unknown>>, context: string): DiskFaults {
  const rate = (key: keyof DiskFaults) => parseRate(faults[key], `${context}: ${key}`);
  return {
    readErrorRate: rate('readErrorRate'),
    writeErrorRate: rate('writeErrorRate'),
    corruptReadRate: rate('corruptReadRate'),
    crashLostWriteRate: rate('crashLostWriteRate'),
    crashTornWriteRate: rate('crashTornWriteRate'),
  };
}

/** What an operation on a crashed disk returns (its event is already written). */
function rejectCrashed<T>(operation: string, path: string): Promise<T> {
  return Promise.reject(new DiskCrashed(`disk.${operation}: the disk is crashed (${path}); restart it first`));
}
