import { ModelError } from '../errors.js';
import type { Model, Operation } from '../model.js';
import { Bitset } from './bitset.js';
import { MemoTable } from './memo-table.js';

/** A call or return event of one operation, in a doubly linked list ordered by time. */
interface Entry {
  /** Index of the operation in the partition. */
  readonly op: number;
  readonly isCall: boolean;
  /** The return of a call, the call of a return. */
  match: Entry;
  prev: Entry;
  next: Entry | undefined;
}

/** How a search of one partition stands. */
export type SearchStatus = 'running' | 'ok' | 'illegal';

/**
 * Wing–Gong–Lowe search for a linearization of one partition, with Lowe's memoization of
 * (linearized set, model state) pairs, as in Porcupine: walk the history's calls and returns in
 * time order; at a call, try to linearize that operation next (the model must accept its output
 * in the current state, and the resulting pair must be new); at a return whose operation is not
 * yet linearized, undo the latest choice and try the next candidate. Resumable: `run` does a
 * bounded number of steps, so several partitions can be searched in turns.
 */
export class PartitionSearch<State, Input, Output> {
  status: SearchStatus = 'running';
  /** Operation indexes of the longest linearizable prefix seen (the linearization once `ok`). */
  best: number[] = [];
  /** Steps taken so far. */
  steps = 0;

  private readonly head: Entry;
  private entry: Entry | undefined;
  private state: State;
  /** The text key of `state` (undefined when the model compares states with `equal`). */
  private stateKey: string | undefined;
  private readonly stack: Entry[] = [];
  private readonly states: State[] = [];
  private readonly stateKeys: (string | undefined)[] = [];
  private readonly linearized: Bitset;
  private readonly memo: MemoTable<State>;
  /** How many leading entries of the stack are known to equal `best` (so a new best copies only the rest). */
  private agree = 0;

  constructor(
    private readonly model: Model<State, Input, Output>,
    readonly operations: readonly Operation<Input, Output>[],
  ) {
    this.head = buildEntries(operations);
    this.entry = this.head.next;
    this.linearized = new Bitset(operations.length);
    const equal = model.equal;
    this.memo = new MemoTable(
      operations.length,
      equal === undefined ? undefined : (a: State, b: State) => callModel(model, 'equal', undefined, () => equal.call(model, a, b)),
    );
    this.state = callModel(model, 'init', undefined, () => model.init());
    this.stateKey = callModel(model, 'hash', undefined, () => this.keyOf(this.state));
    if (this.entry === undefined) this.status = 'ok';
  }

  /**
   * Searches for at most `maxSteps` steps, or until `deadline()` says time is up (asked every
   * 1,024 steps: a step can cost as much as copying the partition's linearized set); returns the
   * status afterwards.
   */
  run(maxSteps: number, deadline: () => boolean = () => false): SearchStatus {
    const { model, operations, linearized } = this;
    let entry = this.entry;
    for (let budget = maxSteps; budget > 0 && this.status === 'running'; budget--) {
      if ((++this.steps & 1023) === 0 && deadline()) break;
      if (entry === undefined) {
        // Every operation is linearized: the stack is a linearization.
        this.status = 'ok';
        this.best = this.stack.map((e) => e.op);
        break;
      }
      if (entry.isCall) {
        const op = operations[entry.op]!;
        let ok: boolean;
        let next: State;
        try {
          [ok, next] = model.step(this.state, op.input, op.output); // the hot path: no closure per step
        } catch (error) {
          throw modelError(model, 'step', op, error);
        }
        if (ok) {
          linearized.set(entry.op);
          // A read leaves the state as it was: its key is known already.
          let key: string | undefined;
          try {
            key = next === this.state ? this.stateKey : this.keyOf(next);
          } catch (error) {
            throw modelError(model, 'hash', op, error);
          }
          if (this.memo.add(linearized, next, key, key === undefined ? 0 : hashText(key))) {
            if (this.agree === this.stack.length && this.best[this.agree] === entry.op) this.agree++;
            this.stack.push(entry);
            this.states.push(this.state);
            this.stateKeys.push(this.stateKey);
            this.state = next;
            this.stateKey = key;
            lift(entry);
            entry = this.head.next;
            continue;
          }
          linearized.clear(entry.op);
        }
        entry = entry.next;
      } else {
        // A return of an operation not yet linearized: the latest choice was wrong.
        if (this.stack.length === 0) {
          this.status = 'illegal';
          break;
        }
        if (this.stack.length > this.best.length) {
          // A longer prefix than the best so far: keep it, copying only where it differs.
          this.best.length = this.agree;
          for (let i = this.agree; i < this.stack.length; i++) this.best.push(this.stack[i]!.op);
          this.agree = this.stack.length;
        }
        const undone = this.stack.pop()!;
        if (this.agree > this.stack.length) this.agree = this.stack.length;
        this.state = this.states.pop()!;
        this.stateKey = this.stateKeys.pop();
        linearized.clear(undone.op);
        unlift(undone);
        entry = undone.next;
      }
    }
    this.entry = entry;
    return this.status;
  }

  /** The text key the memo compares states by: the model's `hash`, else JSON (none when the model has `equal` only). */
  private keyOf(state: State): string | undefined {
    const model = this.model;
    if (model.hash !== undefined) return model.hash(state);
    return model.equal !== undefined ? undefined : defaultKey(state);
  }
}

/** Calls into the model, turning what it throws into a ModelError naming the operation. */
export function callModel<T, Input, Output>(model: Model<unknown, Input, Output>, what: string, op: Operation<Input, Output> | undefined, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw modelError(model, what, op, error);
  }
}

function modelError<Input, Output>(model: Model<unknown, Input, Output>, what: string, op: Operation<Input, Output> | undefined, error: unknown): ModelError {
  const message = error instanceof Error ? error.message : String(error);
  const on = op === undefined ? '' : ` on operation ${op.id} (${describeOperation(model, op)})`;
  return new ModelError(`checkLinearizable: model ${model.name} threw in ${what}${on}: ${message}`);
}

/** `#id client c: describe(input, output)`, the way explanations show an operation. */
export function describeOperation<Input, Output>(model: Model<unknown, Input, Output>, op: Operation<Input, Output>): string {
  let text: string;
  try {
    text = model.describe !== undefined ? model.describe(op.input, op.output) : `${JSON.stringify(op.input)} -> ${op.output === undefined ? '?' : JSON.stringify(op.output)}`;
  } catch (error) {
    text = `${JSON.stringify(op.input)} (describe threw: ${error instanceof Error ? error.message : String(error)})`;
  }
  return `#${op.id} client ${op.client}: ${text}`;
}

/**
 * JSON of a state, the key of a model without `hash` or `equal`. JSON cannot tell a Map, a Set or
 * a class instance from another (they print alike), which would make the memo prune states it has
 * never seen: such a state needs the model's own `hash`.
 */
function defaultKey(state: unknown): string {
  if (typeof state === 'object' && state !== null && !Array.isArray(state)) {
    const prototype = Object.getPrototypeOf(state);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new Error(`its state is a ${prototype?.constructor?.name ?? 'non-plain object'}, which JSON cannot tell apart: give the model hash(state)`);
    }
  }
  return state === undefined ? 'undefined' : JSON.stringify(state);
}

/**
 * 32-bit FNV-1a over the length and the first and last 32 UTF-16 code units of `text`. It only
 * picks the memo's bucket (keys are compared in full), and keys grow long in histories of appends,
 * whose differences are at the end.
 */
function hashText(text: string): number {
  let hash = (0x811c9dc5 ^ text.length) >>> 0;
  const n = text.length;
  const head = Math.min(n, 32);
  for (let i = 0; i < head; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  for (let i = Math.max(head, n - 32); i < n; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The calls and returns of `operations` as a list ordered by time; at equal times calls come
 * first (touching operations overlap), then by operation. Returns the list's head (a sentinel).
 */
function buildEntries(operations: readonly Operation<unknown, unknown>[]): Entry {
  const events: { time: number; isCall: boolean; op: number }[] = [];
  operations.forEach((op, i) => {
    events.push({ time: op.call, isCall: true, op: i });
    events.push({ time: op.return, isCall: false, op: i });
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head = { op: -1, isCall: false, next: undefined } as unknown as Entry;
  head.prev = head;
  const calls: Entry[] = [];
  let last = head;
  for (const event of events) {
    const entry = { op: event.op, isCall: event.isCall, prev: last, next: undefined } as unknown as Entry;
    last.next = entry;
    last = entry;
    if (event.isCall) calls[event.op] = entry;
    else {
      const call = calls[event.op]!;
      call.match = entry;
      entry.match = call;
    }
  }
  return head;
}

/** Takes a linearized operation's call and return out of the list. */
function lift(call: Entry): void {
  call.prev.next = call.next;
  if (call.next !== undefined) call.next.prev = call.prev;
  const ret = call.match;
  ret.prev.next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

/** Puts them back, in the reverse order. */
function unlift(call: Entry): void {
  const ret = call.match;
  ret.prev.next = ret;
  if (ret.next !== undefined) ret.next.prev = ret;
  call.prev.next = call;
  if (call.next !== undefined) call.next.prev = call;
}
