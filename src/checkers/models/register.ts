import type { Model } from '../model.js';

/** Input of a register: read it, or write a value (any JSON data). */
export type RegisterInput<Value = unknown> = { readonly op: 'read' } | { readonly op: 'write'; readonly value: Value };

const text = (value: unknown): string => (value === undefined ? '?' : JSON.stringify(value));
const same = (a: unknown, b: unknown): boolean => a === b || text(a) === text(b);

/**
 * A read/write register that starts empty (`null`). A read returns the value of the last write
 * (`null` before any); a write's output is ignored.
 */
export function register<Value = unknown>(): Model<Value | null, RegisterInput<Value>, unknown> {
  return {
    name: 'register',
    init: () => null,
    step(state, input, output) {
      if (input.op === 'write') return [true, input.value];
      return [output === undefined || same(output, state), state];
    },
    hash: (state) => (typeof state === 'string' ? `s${state}` : JSON.stringify(state)),
    describe: (input, output) => (input.op === 'write' ? `write(${text(input.value)})` : `read() -> ${text(output)}`),
    describeState: (state) => JSON.stringify(state),
  };
}
