import type { Model, Operation } from '../model.js';
import { callModel, describeOperation } from './partition-search.js';

/** Most prefix operations an explanation lists (the last ones); the data keeps them all. */
const MAX_PREFIX_LINES = 20;
/** Most candidates an explanation lists. */
const MAX_NEXT_LINES = 20;

/** Why a partition is not linearizable, in data and in words. */
export interface IllegalPartition {
  /** Which partition (0-based) of how many. */
  readonly partition: number;
  readonly partitions: number;
  /** The ids of the partition's operations. */
  readonly operations: readonly number[];
  /** The longest linearizable prefix found: operation ids in linearization order. */
  readonly prefix: readonly number[];
  /**
   * The operations that real time allows next after the prefix, none of which leads to a full
   * linearization: `rejected` ones the model refuses in the prefix's state, the others lead only
   * to dead ends.
   */
  readonly next: readonly { readonly id: number; readonly rejected: boolean }[];
  /** The model's state after the prefix, described. */
  readonly state: string;
}

/** Works out the {@link IllegalPartition} of a partition from its longest linearizable prefix. */
export function explainPartition<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  prefix: readonly number[],
  partition: number,
  partitions: number,
): IllegalPartition {
  let state = callModel(model, 'init', undefined, () => model.init());
  for (const index of prefix) {
    const op = operations[index]!;
    state = callModel(model, 'step', op, () => model.step(state, op.input, op.output))[1];
  }
  const done = new Set(prefix);
  const remaining = operations.map((_, i) => i).filter((i) => !done.has(i));
  // An operation may come next when no other remaining operation returned before it was called:
  // its call is at most the earliest return among the others (the earliest, or the second
  // earliest for the operation that has the earliest return).
  let first = Number.POSITIVE_INFINITY;
  let second = Number.POSITIVE_INFINITY;
  let firstIndex = -1;
  for (const i of remaining) {
    const ret = operations[i]!.return;
    if (ret < first) {
      second = first;
      first = ret;
      firstIndex = i;
    } else if (ret < second) {
      second = ret;
    }
  }
  const next = remaining
    .filter((i) => operations[i]!.call <= (i === firstIndex ? second : first))
    .map((i) => {
      const op = operations[i]!;
      const [ok] = callModel(model, 'step', op, () => model.step(state, op.input, op.output));
      return { id: op.id, rejected: !ok };
    });
  return {
    partition,
    partitions,
    operations: operations.map((op) => op.id),
    prefix: prefix.map((i) => operations[i]!.id),
    next,
    state: model.describeState !== undefined ? model.describeState(state) : state === undefined ? 'undefined' : JSON.stringify(state),
  };
}

/** The explanation a person reads: the prefix, the state after it, and what cannot follow. */
export function formatExplanation<State, Input, Output>(model: Model<State, Input, Output>, operations: readonly Operation<Input, Output>[], illegal: IllegalPartition): string {
  const byId = new Map(operations.map((op) => [op.id, op]));
  const show = (id: number) => describeOperation(model, byId.get(id)!);
  const where = illegal.partitions > 1 ? ` (partition ${illegal.partition + 1} of ${illegal.partitions})` : '';
  // A long prefix is cut to its end, where the trouble is: an explanation stays a screenful.
  const shownFrom = Math.max(0, illegal.prefix.length - MAX_PREFIX_LINES);
  const lines = [
    `not linearizable for ${model.name}${where}: ${illegal.operations.length} operations, the longest linearizable prefix has ${illegal.prefix.length}`,
    ...(shownFrom > 0 ? [`  ... ${shownFrom} earlier operations`] : []),
    ...illegal.prefix.slice(shownFrom).map((id, i) => `  ${shownFrom + i + 1}. ${show(id)}`),
    `  state after it: ${illegal.state}`,
    illegal.next.length === 0 ? 'no operation can come next' : 'none of these can come next:',
    ...illegal.next.slice(0, MAX_NEXT_LINES).map(({ id, rejected }) => `  ${show(id)}  (${rejected ? 'the model rejects it in that state' : 'accepted, but nothing linearizes after it'})`),
    ...(illegal.next.length > MAX_NEXT_LINES ? [`  ... and ${illegal.next.length - MAX_NEXT_LINES} more`] : []),
  ];
  return lines.join('\n');
}
