import type { ChoiceSource } from './choice-source.js';

/**
 * Records every decision made through it (the choice sequence of a run), passing each through
 * from `inner`. Replaying the recorded values with {@link TapeChoices} reproduces the run exactly.
 */
export class RecordingChoices implements ChoiceSource {
  /** The decisions so far, in order. */
  readonly values: number[] = [];

  constructor(private readonly inner: ChoiceSource) {}

  intLessThan(bound: number): number {
    const value = this.inner.intLessThan(bound);
    this.values.push(value);
    return value;
  }
}

/**
 * Replays a choice sequence: decision `i` is `tape[i]` (reduced modulo its bound when too large),
 * and 0 once the tape runs out, so any edited tape is a valid run. `used` records the decisions
 * actually made, which is the realized tape of the run.
 */
export class TapeChoices implements ChoiceSource {
  /** The decisions actually made, in order. */
  readonly used: number[] = [];
  private index = 0;

  constructor(private readonly tape: readonly number[]) {}

  intLessThan(bound: number): number {
    const raw = this.index < this.tape.length ? this.tape[this.index]! : 0;
    this.index++;
    const value = raw < bound ? raw : raw % bound;
    this.used.push(value);
    return value;
  }
}
