import { InvalidArgument, ModelError } from './errors.js';
import type { Model, Operation } from './model.js';
import { explainPartition, formatExplanation, type IllegalPartition } from './_internals/explain.js';
import { callModel, PartitionSearch } from './_internals/partition-search.js';

/** Options of {@link checkLinearizable}. */
export interface CheckOptions {
  /**
   * Stop after this many ms of real time with `unknown`. Without it the search runs to the end
   * (always the same verdict); with it, the verdict of a hard history depends on the machine.
   */
  readonly timeoutMs?: number;
}

/** What {@link checkLinearizable} found. */
export interface LinearizabilityResult {
  readonly result: 'ok' | 'illegal' | 'unknown';
  /** With `ok`: a valid order of operation ids (partition by partition, each in real-time order). */
  readonly linearization?: readonly number[];
  /** With `illegal`: the longest linearizable prefix and what cannot follow it, for a person. */
  readonly explanation?: string;
  /** With `illegal`: the same as data. */
  readonly illegal?: IllegalPartition;
  /** Search steps taken over all partitions. */
  readonly steps: number;
}

/** Most operations checked without a time budget. */
export const MAX_OPERATIONS_WITHOUT_BUDGET = 1_000_000;
/** Steps a partition searches before the next partition gets its turn. */
const SLICE_STEPS = 16_384;

/**
 * Checks whether a history is linearizable with respect to `model`: Wing–Gong–Lowe search with
 * memoized (linearized set, state) pairs, on each partition the model splits the history into
 * (P-compositionality). Partitions are searched in turns, a slice of steps each, so one whose
 * search explodes cannot hide another that is quickly illegal; the first illegal one decides.
 * @throws {InvalidArgument} naming a malformed operation (a return before its call, a duplicate
 *   id, a time that is not a number), or for a history over 1,000,000 operations without a budget.
 * @throws {ModelError} when the model throws, naming the operation it threw on.
 */
export function checkLinearizable<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): LinearizabilityResult {
  validate(model, operations, options);
  const realNow = () => process.uptime() * 1000; // untouched by hermetic worlds, so budgets stay real
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : realNow() + options.timeoutMs;
  const outOfTime = options.timeoutMs === undefined ? () => false : () => realNow() >= deadline;
  const parts = partitionOf(model, operations);
  const searches = parts.map((part) => new PartitionSearch(model, part));
  let steps = 0;
  for (;;) {
    let running = 0;
    for (let p = 0; p < searches.length; p++) {
      const search = searches[p]!;
      if (search.status !== 'running') continue;
      const before = search.steps;
      const status = search.run(SLICE_STEPS, outOfTime);
      steps += search.steps - before;
      if (status === 'illegal') {
        const illegal = explainPartition(model, search.operations, search.best, p, searches.length);
        return { result: 'illegal', explanation: formatExplanation(model, search.operations, illegal), illegal, steps };
      }
      if (status === 'running') running++;
    }
    if (running === 0) break;
    if (outOfTime()) return { result: 'unknown', steps };
  }
  const linearization = searches.flatMap((search) => search.best.map((i) => search.operations[i]!.id));
  return { result: 'ok', linearization, steps };
}

function validate<State, Input, Output>(model: Model<State, Input, Output>, operations: readonly Operation<Input, Output>[], options: CheckOptions): void {
  const fail = (what: string): never => {
    throw new InvalidArgument(`checkLinearizable: ${what}`);
  };
  if (typeof model !== 'object' || model === null || typeof model.init !== 'function' || typeof model.step !== 'function') {
    fail('model must be an object with init and step functions');
  }
  if (!Array.isArray(operations)) fail('operations must be an array');
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) fail(`timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
  if (operations.length > MAX_OPERATIONS_WITHOUT_BUDGET && timeoutMs === undefined) {
    fail(`${operations.length} operations is over ${MAX_OPERATIONS_WITHOUT_BUDGET} without a time budget; pass { timeoutMs }`);
  }
  const ids = new Set<number>();
  for (const op of operations) {
    if (typeof op !== 'object' || op === null) fail(`every operation must be an object, got ${String(op)}`);
    const { id, call, return: ret } = op;
    if (typeof id !== 'number' || !Number.isFinite(id)) fail(`operation id must be a finite number, got ${String(id)}`);
    if (ids.has(id)) fail(`operation id ${id} is used twice`);
    ids.add(id);
    if (typeof call !== 'number' || !Number.isFinite(call)) fail(`operation ${id}: call must be a finite number, got ${String(call)}`);
    if (typeof ret !== 'number' || Number.isNaN(ret)) fail(`operation ${id}: return must be a number (Infinity when it never completed), got ${String(ret)}`);
    if (ret < call) fail(`operation ${id} returns before it is called (return ${ret} < call ${call})`);
  }
}

/** The model's partitions of the history (the whole history as one without `partition`), checked to cover every operation once. */
function partitionOf<State, Input, Output>(model: Model<State, Input, Output>, operations: readonly Operation<Input, Output>[]): Operation<Input, Output>[][] {
  if (model.partition === undefined) return [[...operations]];
  const parts = callModel(model, 'partition', undefined, () => model.partition!(operations));
  const seen = new Set<number>();
  let count = 0;
  for (const part of parts) {
    for (const op of part) {
      if (seen.has(op.id)) throw new ModelError(`checkLinearizable: model ${model.name}'s partition put operation ${op.id} in two parts`);
      seen.add(op.id);
      count++;
    }
  }
  if (count !== operations.length) throw new ModelError(`checkLinearizable: model ${model.name}'s partition left out ${operations.length - count} operation(s)`);
  return parts;
}
