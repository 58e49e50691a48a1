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
  const slots: Slot<Input, Output>[] = [];
  let order = 0;
  const complete = (slot: Slot<Input, Output>, state: Slot<Input, Output>['state'], what: string): void => {
    if (slot.state !== 'open') throw new WorldMisuse(`history: operation ${slot.id} was already completed (${slot.state}); ${what} again`);
    slot.state = state;
  };
  return {
    invoke(client, input) {
      if (!Number.isSafeInteger(client) || client < 0) throw new InvalidArgument(`history.invoke: client must be a non-negative integer, got ${describeValue(client)}`);
      const inputText = json(input, 'history.invoke: input');
      const slot: Slot<Input, Output> = {
        id: slots.length,
        client,
        input: JSON.parse(inputText) as Input, // a copy: what the caller changes later is not what was invoked
        call: order++,
        callNs: env.clock.now(),
        output: undefined,
        return: Number.POSITIVE_INFINITY,
        returnNs: Number.POSITIVE_INFINITY,
        state: 'open',
      };
      slots.push(slot);
      env.record('history.invoke', { client, op: slot.id, input: inputText });
      return {
        id: slot.id,
        ok(output) {
          // An operation with nothing to return (a write) completes with null: undefined means "unknown".
          const outputText = json(output === undefined ? null : output, 'history.ok: output');
          complete(slot, 'ok', 'ok');
          slot.output = JSON.parse(outputText) as Output;
          slot.return = order++;
          slot.returnNs = env.clock.now();
          env.record('history.ok', { op: slot.id, output: outputText });
        },
        fail() {
          complete(slot, 'failed', 'fail');
          env.record('history.fail', { op: slot.id });
        },
        info() {
          complete(slot, 'unknown', 'info');
          env.record('history.info', { op: slot.id });
        },
      };
    },
    get operations() {
      return slots
        .filter((slot) => slot.state !== 'failed')
        .map(({ id, client, input, output, call, callNs, return: ret, returnNs }) => ({ id, client, input, output, call, callNs, return: ret, returnNs }));
    },
  };
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
