import type { Model, Operation } from '../model.js';

/** Input of a key-value store: get a key, put a value, or append to a key's value. */
export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'append'; readonly key: string; readonly value: string };

/** A key-value store's state: the value of each key that has one. */
export type KvState = Readonly<Record<string, string>>;

/**
 * A key-value store of text values, the model of Porcupine's and Jepsen's kv tests: `get`
 * returns the key's value (`null` when it has none), `put` sets it, `append` adds to its end
 * (to `""` when it has none); the outputs of `put` and `append` are ignored. Partitioned by key,
 * so each key is checked on its own.
 */
export function kv(): Model<KvState, KvInput, unknown> {
  return {
    name: 'kv',
    init: () => ({}),
    step(state, input, output) {
      const current = Object.hasOwn(state, input.key) ? state[input.key]! : null;
      switch (input.op) {
        case 'get':
          return [output === undefined || output === current, state];
        case 'put':
          return [true, { ...state, [input.key]: input.value }];
        case 'append':
          return [true, { ...state, [input.key]: (current ?? '') + input.value }];
      }
    },
    hash: (state) => {
      // Partitioned by key, a state holds one key: skip JSON for it. The key's length keeps the
      // text unambiguous, JSON (which starts with "{") never starts with a digit, and a value that
      // is not text (JavaScript callers may store numbers) is tagged, so 1 and "1" differ.
      let only: string | undefined;
      let count = 0;
      for (const key in state) {
        only = key;
        if (++count > 1) break;
      }
      if (count !== 1) return canonical(state);
      const value: unknown = state[only!];
      return `${only!.length}:${only}${typeof value === 'string' ? `s${value}` : `j${JSON.stringify(value)}`}`;
    },
    partition(operations) {
      const byKey = new Map<string, Operation<KvInput, unknown>[]>();
      for (const op of operations) {
        let part = byKey.get(op.input.key);
        if (part === undefined) byKey.set(op.input.key, (part = []));
        part.push(op);
      }
      return [...byKey.values()];
    },
    describe(input, output) {
      const shown = output === undefined ? '?' : JSON.stringify(output);
      if (input.op === 'get') return `get(${JSON.stringify(input.key)}) -> ${shown}`;
      return `${input.op}(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})`;
    },
    describeState: (state) => canonical(state),
  };
}

/** The state as JSON with its keys sorted, so equal states print (and hash) alike. */
function canonical(state: KvState): string {
  const keys = Object.keys(state);
  if (keys.length <= 1) return JSON.stringify(state);
  return JSON.stringify(Object.fromEntries(keys.sort().map((key) => [key, state[key]])));
}
