import { checkLinearizable, type CheckOptions, type LinearizabilityResult } from '../checkers/check-linearizable.js';
import type { Model, Operation } from '../checkers/model.js';
import type { Check } from './define-case.js';
import { LinearizabilityUnknown, NotLinearizable } from './errors.js';

/** Options of {@link linearizable}. */
export interface LinearizableOptions extends CheckOptions {
  /** The check's name (default `linearizable (<model name>)`). */
  readonly name?: string;
}

/**
 * A case check that the history `select(state)` picks is linearizable with respect to `model`;
 * it throws {@link NotLinearizable} with the checker's explanation when it is not, and
 * {@link LinearizabilityUnknown} when a time budget (`timeoutMs`) ran out before a verdict (a
 * different signature: it is no violation, and it depends on the machine). Give it a history from `createHistory`:
 * `checks: [linearizable(models.casRegister(), (s) => s.history)]`.
 */
export function linearizable<State, ModelState, Input, Output>(
  model: Model<ModelState, Input, Output>,
  select: (state: State) => { readonly operations: readonly Operation<Input, Output>[] } | readonly Operation<Input, Output>[],
  options: LinearizableOptions = {},
): Check<State> {
  return {
    name: options.name ?? `linearizable (${model.name})`,
    check(state: State): LinearizabilityResult {
      const selected = select(state);
      const operations = Array.isArray(selected) ? (selected as readonly Operation<Input, Output>[]) : (selected as { operations: readonly Operation<Input, Output>[] }).operations;
      const result = checkLinearizable(model, operations, options);
      if (result.result === 'illegal') throw new NotLinearizable(result.explanation!, result);
      if (result.result === 'unknown') {
        throw new LinearizabilityUnknown(`the check of ${operations.length} operations for ${model.name} ran out of its ${options.timeoutMs} ms budget`, result);
      }
      return result;
    },
  };
}
