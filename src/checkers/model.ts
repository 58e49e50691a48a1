/**
 * One client operation of a history.
 *
 * `call` and `return` order operations in real time: an operation that returned before another
 * was called precedes it in every linearization. Equal times count as overlapping. `return` is
 * `Infinity` for an operation that never completed: it may have taken effect at any point after
 * its call (its `output` is then `undefined`).
 */
export interface Operation<Input = unknown, Output = unknown> {
  /** Unique within a history. */
  readonly id: number;
  /** Which client issued it (for explanations; clients issue one operation at a time). */
  readonly client: number;
  readonly input: Input;
  /** The outcome; `undefined` when unknown (the model accepts any outcome then). */
  readonly output: Output | undefined;
  readonly call: number;
  readonly return: number;
}

/**
 * A sequential specification: the states of an object and what each operation does to them.
 * `step(state, input, output)` says whether `input` may produce `output` in `state` and returns
 * the next state; with `output` undefined (an unknown outcome) it must accept.
 */
export interface Model<State = unknown, Input = unknown, Output = unknown> {
  /** Shown in explanations and check names. */
  readonly name: string;
  init(): State;
  step(state: State, input: Input, output: Output | undefined): readonly [ok: boolean, next: State];
  /** Whether two states are the same (default: equal `hash`, or equal `JSON.stringify` without one). */
  equal?(a: State, b: State): boolean;
  /** A text identity of a state; equal states must hash alike (default: `JSON.stringify`). */
  hash?(state: State): string;
  /**
   * Splits a history into independent parts checked one by one (P-compositionality), e.g. by key.
   * Every operation must land in exactly one part.
   */
  partition?(operations: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  /** One operation as a person reads it, e.g. `put("x", 1) -> ok`. */
  describe?(input: Input, output: Output | undefined): string;
  /** A state as a person reads it (default: `JSON.stringify`). */
  describeState?(state: State): string;
}
