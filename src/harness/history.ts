import { InvalidArgument, WorldMisuse, describeValue } from '../kernel/errors.js';
import type { Operation } from '../checkers/model.js';
import type { Env } from './simulation-types.js';

/** An operation a client has invoked and not yet completed. */
export interface PendingOperation<Output = unknown> {
  /** The operation's id in the history. */
  readonly id: number;
  /** It completed with `output` (JSON data; none, for an operation that returns nothing, is recorded as `null`). */
  ok(output?: Output): void;
  /** It definitely did not take effect: it is dropped from the history. */
  fail(): void;
  /** Its outcome is unknown (it may or may not have taken effect): it stays open for ever. */
  info(): void;
}

/** A recorded operation, with the simulated times of its call and return. */
export interface RecordedOperation<Input = unknown, Output = unknown> extends Operation<Input, Output> {
  /** Simulated ns of the call. */
  readonly callNs: number;
  /** Simulated ns of the return (`Infinity` when it never completed). */
  readonly returnNs: number;
}

/** The operations of a history, recorded in a world (see {@link createHistory}). */
export interface History<Input = unknown, Output = unknown> {
  /** Starts an operation of `client` now; complete it with `ok`, `fail` or `info`. */
  invoke(client: number, input: Input): PendingOperation<Output>;
  /**
   * Every operation but the failed ones, in invocation order. An operation not completed yet (or
   * completed with `info`) has no output and returns at `Infinity`.
   */
  readonly operations: readonly RecordedOperation<Input, Output>[];
}

interface Slot<Input, Output> {
  readonly id: number;
  readonly client: number;
  readonly input: Input;
  readonly call: number;
  readonly callNs: number;
  output: Output | undefined;
  return: number;
  returnNs: number;
  state: 'open' | 'ok' | 'failed' | 'unknown';
}

/**
 * A history of client operations recorded in a world, for a linearizability check. Times are
 * orders: `call` and `return` number every invocation and completion in the order they happened
 * (so operations at the same simulated instant still have an order), and `callNs`/`returnNs` give
 * the simulated times. Every step is traced: `history.invoke client op input`, `history.ok op
 * output`, `history.fail op`, `history.info op`. Inputs and outputs are JSON data.
 */
export function createHistory<Input = unknown, Output = unknown>(env: Env): History<Input, Output> {
  return new WorldHistory<Input, Output>(env);
}

/*
 * Classes, not object literals with getters: V8 gives every literal that defines an accessor a
 * hidden class of its own, allocated where the collector keeps long-lived objects, and that class
 * keeps the getter, and through it the whole world of its run, alive past every young-generation
 * collection until the next full one (a third of a campaign worker's time went to it). State is
 * in private fields and the methods are bound, so user code sees what the literals showed: the
 * methods work detached (`.then(op.ok)`), and keys and JSON show only the public fields.
 */
class WorldHistory<Input, Output> implements History<Input, Output> {
  readonly #env: Env;
  readonly #slots: Slot<Input, Output>[] = [];
  /** The next call or return order. */
  #order = 0;

  constructor(env: Env) {
    this.#env = env;
  }

  readonly invoke = (client: number, input: Input): PendingOperation<Output> => {
    if (!Number.isSafeInteger(client) || client < 0) throw new InvalidArgument(`history.invoke: client must be a non-negative integer, got ${describeValue(client)}`);
    const inputText = json(input, 'history.invoke: input');
    const slot: Slot<Input, Output> = {
      id: this.#slots.length,
      client,
      input: JSON.parse(inputText) as Input, // a copy: what the caller changes later is not what was invoked
      call: this.#order++,
      callNs: this.#env.clock.now(),
      output: undefined,
      return: Number.POSITIVE_INFINITY,
      returnNs: Number.POSITIVE_INFINITY,
      state: 'open',
    };
    this.#slots.push(slot);
    this.#env.record('history.invoke', { client, op: slot.id, input: inputText });
    return new PendingSlot(slot, this.#env, () => this.#order++);
  };

  get operations(): RecordedOperation<Input, Output>[] {
    return this.#slots
      .filter((slot) => slot.state !== 'failed')
      .map(({ id, client, input, output, call, callNs, return: ret, returnNs }) => ({ id, client, input, output, call, callNs, return: ret, returnNs }));
  }

  toJSON(): { operations: RecordedOperation<Input, Output>[] } {
    return { operations: this.operations };
  }
}

class PendingSlot<Input, Output> implements PendingOperation<Output> {
  readonly id: number;
  readonly #slot: Slot<Input, Output>;
  readonly #env: Env;
  readonly #nextOrder: () => number;

  constructor(slot: Slot<Input, Output>, env: Env, nextOrder: () => number) {
    this.id = slot.id;
    this.#slot = slot;
    this.#env = env;
    this.#nextOrder = nextOrder;
  }

  readonly ok = (output?: Output): void => {
    // An operation with nothing to return (a write) completes with null: undefined means "unknown".
    const outputText = json(output === undefined ? null : output, 'history.ok: output');
    this.#complete('ok', 'ok');
    const slot = this.#slot;
    slot.output = JSON.parse(outputText) as Output;
    slot.return = this.#nextOrder();
    slot.returnNs = this.#env.clock.now();
    this.#env.record('history.ok', { op: slot.id, output: outputText });
  };

  readonly fail = (): void => {
    this.#complete('failed', 'fail');
    this.#env.record('history.fail', { op: this.id });
  };

  readonly info = (): void => {
    this.#complete('unknown', 'info');
    this.#env.record('history.info', { op: this.id });
  };

  #complete(state: Slot<Input, Output>['state'], what: string): void {
    const slot = this.#slot;
    if (slot.state !== 'open') throw new WorldMisuse(`history: operation ${slot.id} was already completed (${slot.state}); ${what} again`);
    slot.state = state;
  }
}

/** JSON text of an input or output, for the trace; undefined and functions are refused. */
function json(value: unknown, context: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new InvalidArgument(`${context} must be JSON data, got ${describeValue(value)}`);
  return text;
}
