import type { ChoiceSource } from '../../kernel/choice-source.js';

const TWO_32 = 4294967296;
const TWO_53 = 2 ** 53;
/** Web Crypto's limit on one `getRandomValues` call. */
const MAX_RANDOM_VALUES_BYTES = 65536;

/**
 * The process's randomness APIs (`Math.random`, `crypto.*`) drawn from a world's choice source,
 * so every value is on the run's choice tape: the same seed (or tape) gives the same values, and
 * minimization and replay work through them.
 */
export class WorldRandomness {
  constructor(private readonly choices: ChoiceSource) {}

  /** `Math.random()`: a multiple of 2^-53 in `[0, 1)`. */
  mathRandom(): number {
    return this.choices.intLessThan(TWO_53) / TWO_53;
  }

  /** Fills `bytes` from the world, four bytes per decision. */
  fill(bytes: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) {
      const word = this.choices.intLessThan(TWO_32);
      bytes[i] = word & 0xff;
      bytes[i + 1] = (word >>> 8) & 0xff;
      bytes[i + 2] = (word >>> 16) & 0xff;
      bytes[i + 3] = word >>> 24;
    }
    if (i < bytes.length) {
      let word = this.choices.intLessThan(TWO_32);
      for (; i < bytes.length; i++, word >>>= 8) bytes[i] = word & 0xff;
    }
  }

  /** `crypto.getRandomValues(typedArray)`: fills and returns it (Web Crypto's type and size rules). */
  getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (!isIntegerTypedArray(array)) {
      throw Object.assign(new TypeError('The data argument must be an integer-type TypedArray'), { name: 'TypeMismatchError', code: 17 });
    }
    if (array.byteLength > MAX_RANDOM_VALUES_BYTES) {
      throw Object.assign(new RangeError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (${MAX_RANDOM_VALUES_BYTES})`), {
        name: 'QuotaExceededError',
        code: 22,
      });
    }
    this.fill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  }

  /** `crypto.randomUUID()`: a version 4 UUID. */
  randomUUID(): string {
    const b = new Uint8Array(16);
    this.fill(b);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const hex = Array.from(b, (byte) => byte.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** `crypto.randomBytes(size)`: a Buffer of `size` bytes. */
  randomBytes(size: unknown): Buffer {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) {
      throw Object.assign(new RangeError(`The value of "size" is out of range. Received ${String(size)}`), { code: 'ERR_OUT_OF_RANGE' });
    }
    const buffer = Buffer.alloc(size);
    this.fill(buffer);
    return buffer;
  }

  /** `crypto.randomInt([min, ]max)`: an integer in `[min, max)`. */
  randomInt(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 48 - 1) {
      throw Object.assign(new RangeError(`The value of "max" is out of range. It must be greater than the value of "min" (${min}) and at most 2^48 - 1 above it. Received ${max}`), {
        code: 'ERR_OUT_OF_RANGE',
      });
    }
    return min + this.choices.intLessThan(max - min);
  }

  /** `crypto.randomFillSync(buffer, offset?, size?)`: fills a view (or part of it) and returns it. */
  randomFillSync<T extends ArrayBufferView | ArrayBuffer>(buffer: T, offset = 0, size?: number): T {
    const view = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const end = size === undefined ? view.length : offset + size;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(end) || end > view.length || end < offset) {
      throw Object.assign(new RangeError(`The value of "offset" or "size" is out of range for a buffer of ${view.length} bytes`), { code: 'ERR_OUT_OF_RANGE' });
    }
    this.fill(view.subarray(offset, end));
    return buffer;
  }
}

function isIntegerTypedArray(value: unknown): value is Exclude<ArrayBufferView, DataView | Float32Array | Float64Array> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof Float32Array) && !(value instanceof Float64Array);
}
