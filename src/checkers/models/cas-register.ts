import type { Model } from '../model.js';

/** Input of a compare-and-set register: read, write, or set to `to` if it holds `from`. */
export type CasRegisterInput<Value = unknown> =
  | { readonly op: 'read' }
  | { readonly op: 'write'; readonly value: Value }
  | { readonly op: 'cas'; readonly from: Value; readonly to: Value };

const text = (value: unknown): string => (value === undefined ? '?' : JSON.stringify(value));
/** Values compare as JSON; identical ones (the common case: strings, numbers) without building it. */
const same = (a: unknown, b: unknown): boolean => a === b || text(a) === text(b);

/**
 * A register with compare-and-set, the model of Jepsen's cas-register tests. It starts empty: a
 * read of a never-written register returns `null`. `cas` outputs `true` when it found `from` and
 * set `to`, `false` when it found something else (and changed nothing). Values compare as JSON.
 */
export function casRegister<Value = unknown>(): Model<Value | null, CasRegisterInput<Value>, unknown> {
  return {
    name: 'casRegister',
    init: () => null,
    step(state, input, output) {
      switch (input.op) {
        case 'write':
          return [true, input.value];
        case 'read':
          return [output === undefined || same(output, state), state];
        case 'cas': {
          const swapped = same(state, input.from);
          if (output !== undefined && output !== swapped) return [false, state];
          return [true, swapped ? input.to : state];
        }
      }
    },
    hash: (state) => (typeof state === 'string' ? `s${state}` : JSON.stringify(state)),
    describe(input, output) {
      if (input.op === 'write') return `write(${text(input.value)})`;
      if (input.op === 'read') return `read() -> ${text(output)}`;
      return `cas(${text(input.from)}, ${text(input.to)}) -> ${text(output)}`;
    },
    describeState: (state) => JSON.stringify(state),
  };
}
