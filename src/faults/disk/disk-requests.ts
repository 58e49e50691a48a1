import { InvalidArgument, describeValue } from '../../kernel/errors.js';

const LOGICAL_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/**
 * Checks a logical disk path: segments of letters, digits, `.`, `_` and `-` joined by `/`, none
 * starting with `.`, so a path can never leave the disk's root (no `..`, no absolute paths).
 */
export function assertLogicalPath(path: string, context: string): void {
  if (knownPaths.has(path)) return;
  if (typeof path !== 'string' || !LOGICAL_PATH.test(path)) {
    throw new InvalidArgument(`${context}: path must be a relative logical path like "wal/segment-1", got ${describeValue(path)}`);
  }
  if (knownPaths.size < KNOWN_PATHS_LIMIT) knownPaths.add(path);
}

/** Paths already found valid: a program uses a few paths for every operation of every seed. Bounded. */
const knownPaths = new Set<string>();
const KNOWN_PATHS_LIMIT = 4096;

/** Checks that `offset` and `length` cover whole sectors. */
export function assertSectorRange(offset: number, length: number, sectorSize: number, context: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % sectorSize !== 0) {
    throw new InvalidArgument(`${context}: offset must be a non-negative multiple of sectorSize ${sectorSize}, got ${describeValue(offset)}`);
  }
  if (!Number.isSafeInteger(length) || length <= 0 || length % sectorSize !== 0) {
    throw new InvalidArgument(`${context}: length must be a positive multiple of sectorSize ${sectorSize}, got ${describeValue(length)}`);
  }
}

/** Checks a sector size: a power of two in `[1, 1 MiB]`. */
export function assertSectorSize(sectorSize: number, context: string): void {
  if (!Number.isInteger(sectorSize) || sectorSize < 1 || sectorSize > 1 << 20 || (sectorSize & (sectorSize - 1)) !== 0) {
    throw new InvalidArgument(`${context}: sectorSize must be a power of two in [1, 1048576], got ${describeValue(sectorSize)}`);
  }
}

/** Checks that `bytes` is a Uint8Array (Buffer included). */
export function assertBytes(bytes: unknown, context: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgument(`${context}: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
}
