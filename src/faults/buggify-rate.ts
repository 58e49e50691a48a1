import { InvalidRate, describeValue } from '../kernel/errors.js';

const TWO_32 = 4294967296;

/**
 * A probability `numerator / denominator` for BUGGIFY hooks and fault dice.
 *
 * A roll draws an integer in `[0, denominator)` from the world; the rate fires when
 * `roll >= denominator - numerator`. So the numerator's worth of *highest* rolls fire and a roll of
 * 0 never fires (unless the rate is `always`): the all-zero choice sequence is the calm world,
 * which is what makes "lower the recorded choices" a simplification when minimizing.
 *
 * Factories validate their input and throw {@link InvalidRate} before any draw happens.
 */
export class BuggifyRate {
  private constructor(
    /** How many of the `denominator` equally likely rolls fire. */
    readonly numerator: number,
    /** How many equally likely rolls there are, in `[1, 2^32]`. */
    readonly denominator: number,
  ) {}

  /** Never fires (and draws nothing). */
  static never(): BuggifyRate {
    return NEVER;
  }

  /** Always fires (and draws nothing). */
  static always(): BuggifyRate {
    return ALWAYS;
  }

  /** Fires `n` times in 100; `n` an integer in `[0, 100]`. */
  static percent(n: number): BuggifyRate {
    if (!Number.isInteger(n) || n < 0 || n > 100) {
      throw new InvalidRate(`BuggifyRate.percent: expected an integer in [0, 100], got ${describeValue(n)}`);
    }
    return new BuggifyRate(n, 100);
  }

  /** Fires once in `n`; `n` an integer in `[1, 2^32]`. */
  static oneIn(n: number): BuggifyRate {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
      throw new InvalidRate(`BuggifyRate.oneIn: expected an integer in [1, 2^32], got ${describeValue(n)}`);
    }
    return new BuggifyRate(1, n);
  }

  /** Fires `numerator` times in `denominator`; integers with `0 <= numerator <= denominator <= 2^32`. */
  static ratio(numerator: number, denominator: number): BuggifyRate {
    if (!Number.isInteger(denominator) || denominator < 1 || denominator > TWO_32) {
      throw new InvalidRate(`BuggifyRate.ratio: denominator must be an integer in [1, 2^32], got ${describeValue(denominator)}`);
    }
    if (!Number.isInteger(numerator) || numerator < 0 || numerator > denominator) {
      throw new InvalidRate(
        `BuggifyRate.ratio: numerator must be an integer in [0, ${denominator}], got ${describeValue(numerator)}`,
      );
    }
    return new BuggifyRate(numerator, denominator);
  }

  /**
   * Accepts a `BuggifyRate`, or plain data `{ numerator, denominator }` (as read back from a
   * stored fault profile), and returns a validated rate.
   */
  static from(value: unknown, context = 'BuggifyRate.from'): BuggifyRate {
    if (value instanceof BuggifyRate) return value;
    if (typeof value === 'object' && value !== null && 'numerator' in value && 'denominator' in value) {
      try {
        return BuggifyRate.ratio((value as BuggifyRate).numerator, (value as BuggifyRate).denominator);
      } catch (error) {
        throw new InvalidRate(`${context}: ${(error as Error).message}`);
      }
    }
    throw new InvalidRate(`${context}: expected a BuggifyRate, got ${describeValue(value)}`);
  }

  /** True when this rate can never fire. */
  get isNever(): boolean {
    return this.numerator === 0;
  }

  /** The probability as a number, for display. */
  get probability(): number {
    return this.numerator / this.denominator;
  }

  /** Whether a roll in `[0, denominator)` fires. */
  fires(roll: number): boolean {
    return roll >= this.denominator - this.numerator;
  }

  /** `numerator/denominator`, the trace form. */
  toString(): string {
    return `${this.numerator}/${this.denominator}`;
  }

  /** Plain data for JSON fault profiles. */
  toJSON(): { numerator: number; denominator: number } {
    return { numerator: this.numerator, denominator: this.denominator };
  }
}

const NEVER = new (BuggifyRate as unknown as new (n: number, d: number) => BuggifyRate)(0, 1);
const ALWAYS = new (BuggifyRate as unknown as new (n: number, d: number) => BuggifyRate)(1, 1);
