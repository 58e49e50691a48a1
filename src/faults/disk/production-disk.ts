import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_SECTOR_SIZE } from './sim-disk.js';
import { assertBytes, assertLogicalPath, assertSectorRange, assertSectorSize } from './disk-requests.js';
import type { Disk, DiskRead, DiskWrite } from './disk-types.js';

/** Options of {@link createProductionDisk}. */
export interface ProductionDiskOptions {
  /** The real directory logical paths live under (created if missing). */
  readonly root: string;
  /** Sector size in bytes (default 4096); requests are checked against it exactly as in simulation. */
  readonly sectorSize?: number;
}

/** A production disk can also release its open files. */
export interface ProductionDisk extends Disk {
  /** Closes every open file handle. */
  close(): Promise<void>;
}

/**
 * The production twin of the simulated disk: the same interface and the same request checks, over
 * real files under `root` through `node:fs/promises` — positional `read`/`write` on a file handle
 * and `datasync` for `sync`. Bytes past the end of a file read as zeros, like unwritten sectors.
 */
export function createProductionDisk(options: ProductionDiskOptions): ProductionDisk {
  const sectorSize = options.sectorSize ?? DEFAULT_SECTOR_SIZE;
  assertSectorSize(sectorSize, 'createProductionDisk');
  const root = path.resolve(options.root);
  const handles = new Map<string, Promise<FileHandle>>();

  const handle = (logical: string): Promise<FileHandle> => {
    let opened = handles.get(logical);
    if (opened === undefined) {
      const file = path.join(root, ...logical.split('/'));
      opened = (async () => {
        await mkdir(path.dirname(file), { recursive: true });
        try {
          return await open(file, 'r+');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          return open(file, 'w+');
        }
      })();
      handles.set(logical, opened);
    }
    return opened;
  };

  return {
    sectorSize,
    async write({ path: logical, offset, bytes }: DiskWrite): Promise<void> {
      assertLogicalPath(logical, 'disk.write');
      assertBytes(bytes, 'disk.write');
      assertSectorRange(offset, bytes.length, sectorSize, 'disk.write');
      const fh = await handle(logical);
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, written, bytes.length - written, offset + written);
        written += bytesWritten;
      }
    },
    async read({ path: logical, offset, length }: DiskRead): Promise<Uint8Array> {
      assertLogicalPath(logical, 'disk.read');
      assertSectorRange(offset, length, sectorSize, 'disk.read');
      const fh = await handle(logical);
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await fh.read(out, filled, length - filled, offset + filled);
        if (bytesRead === 0) break; // past the end of the file: the rest stays zero
        filled += bytesRead;
      }
      return out;
    },
    async sync({ path: logical }: { readonly path: string }): Promise<void> {
      assertLogicalPath(logical, 'disk.sync');
      await (await handle(logical)).datasync();
    },
    async close(): Promise<void> {
      const open = [...handles.values()];
      handles.clear();
      await Promise.all(open.map(async (fh) => (await fh).close()));
    },
  };
}
