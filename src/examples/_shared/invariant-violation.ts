/** The error the example checks throw when an invariant does not hold. */
export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}
