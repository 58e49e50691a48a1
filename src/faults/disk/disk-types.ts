import type { BuggifyRate } from '../buggify-rate.js';

/** A positional write of whole sectors. */
export interface DiskWrite {
  readonly path: string;
  /** Byte offset, a multiple of the sector size. */
  readonly offset: number;
  /** The bytes; their length is a positive multiple of the sector size. */
  readonly bytes: Uint8Array;
}

/** A positional read of whole sectors. */
export interface DiskRead {
  readonly path: string;
  /** Byte offset, a multiple of the sector size. */
  readonly offset: number;
  /** Byte length, a positive multiple of the sector size. */
  readonly length: number;
}

/**
 * The app-facing disk: positional, sector-aligned I/O on logical paths (`wal/segment-1`), shaped
 * like `node:fs/promises` file handles. Unwritten sectors read as zeros. Writes are visible at
 * once but durable only after `sync` of their path.
 */
export interface Disk {
  /** The sector size in bytes; offsets and lengths are multiples of it. */
  readonly sectorSize: number;
  write(request: DiskWrite): Promise<void>;
  read(request: DiskRead): Promise<Uint8Array>;
  sync(request: { readonly path: string }): Promise<void>;
}

/** Options of the simulated disk (`world.simulate({ disk })`). */
export interface DiskOptions {
  /** Sector size in bytes, a power of two in `[1, 1 MiB]`. Default 4096. */
  readonly sectorSize?: number;
  /** Latency of every operation in ns (default 0: operations complete without time passing). */
  readonly minLatencyNs?: number;
  /** Extra latency, uniform in `[0, latencyJitterNs]` ns per operation (default 0). */
  readonly latencyJitterNs?: number;
}

/** Disk fault rates. A crash resolves each pending write: lost if `crashLostWriteRate` fires, else torn if `crashTornWriteRate` fires, else landed. */
export interface DiskFaults {
  /** A read fails with `DiskIoError`. */
  readonly readErrorRate: BuggifyRate;
  /** A write fails with `DiskIoError` and writes nothing. */
  readonly writeErrorRate: BuggifyRate;
  /** A read returns its data with one byte inverted (the stored data is intact). */
  readonly corruptReadRate: BuggifyRate;
  readonly crashLostWriteRate: BuggifyRate;
  /** A torn write lands a prefix of its bytes, cut at a 4-byte boundary strictly inside it. */
  readonly crashTornWriteRate: BuggifyRate;
}

/** Harness-only control of the simulated disk. Every call acts at once and is traced. */
export interface DiskControl {
  setFaults(faults: Partial<DiskFaults>): Promise<void>;
  /** Inverts every byte of the sector at `offset` of `path`, durable and pending contents alike. */
  corruptSector(path: string, offset: number): Promise<void>;
  /** Crashes the disk: every pending write lands, is lost or is torn; I/O rejects with `DiskCrashed` until `restart`. */
  crash(): Promise<void>;
  restart(): Promise<void>;
}
