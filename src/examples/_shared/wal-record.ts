/**
 * Fixed-size WAL records shared by the disk examples: `magic u32, fields u32..., checksum u32`,
 * little endian, the checksum being FNV-1a over every byte before it.
 */

/** How a record read back from disk looks. */
export type DecodedRecord =
  | { readonly status: 'ok'; readonly fields: number[] }
  | { readonly status: 'bad_magic' }
  /** The magic is right but the checksum is not; `fields` are what the bytes say anyway. */
  | { readonly status: 'bad_checksum'; readonly fields: number[] };

/** Bytes of a record with `fieldCount` fields. */
export function recordBytes(fieldCount: number): number {
  return 4 * (fieldCount + 2);
}

/** Encodes a record. */
export function encodeRecord(magic: number, fields: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(recordBytes(fields.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, true);
  fields.forEach((field, i) => view.setUint32(4 + 4 * i, field, true));
  view.setUint32(bytes.length - 4, checksum32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/** Decodes a record of `fieldCount` fields from the start of `bytes`. */
export function decodeRecord(bytes: Uint8Array, magic: number, fieldCount: number): DecodedRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, recordBytes(fieldCount));
  if (view.getUint32(0, true) !== magic) return { status: 'bad_magic' };
  const fields = Array.from({ length: fieldCount }, (_, i) => view.getUint32(4 + 4 * i, true));
  const end = recordBytes(fieldCount) - 4;
  const ok = view.getUint32(end, true) === checksum32(bytes.subarray(0, end));
  return ok ? { status: 'ok', fields } : { status: 'bad_checksum', fields };
}

/** 32-bit FNV-1a. */
export function checksum32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}
