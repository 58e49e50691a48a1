import { MarionetteError } from '../kernel/errors.js';
import type { LinearizabilityResult } from '../checkers/check-linearizable.js';

/**
 * Code inside a hermetic world called a real network API (`fetch`, `net.connect`, `http.request`,
 * …) that a world cannot simulate. The run fails at once as `scenario_error`; the message starts
 * with the call's name. Use the world's network (`sim.endpoint`, `hostEnv.endpoint()`) instead.
 */
export class RealIoInWorld extends MarionetteError {
  override name = 'RealIoInWorld';
}

/**
 * A history is not linearizable. The message is the checker's explanation: the longest
 * linearizable prefix and the operations that cannot follow it.
 */
export class NotLinearizable extends MarionetteError {
  override name = 'NotLinearizable';
  constructor(
    message: string,
    /** The checker's full result. */
    readonly result: LinearizabilityResult,
  ) {
    super(message);
  }
}

/** A linearizability check ran out of its time budget before a verdict (not a violation). */
export class LinearizabilityUnknown extends MarionetteError {
  override name = 'LinearizabilityUnknown';
  constructor(
    message: string,
    /** The checker's full result. */
    readonly result: LinearizabilityResult,
  ) {
    super(message);
  }
}

/**
 * An `always` assertion was false, or an `unreachable` point was reached. It fails the run at once
 * as `assertion_failed`, signature `assertion_failed|<name>|AssertionFailed`.
 */
export class AssertionFailed extends MarionetteError {
  override name = 'AssertionFailed';
  constructor(
    /** The assertion's name. */
    readonly assertion: string,
    message: string,
  ) {
    super(message);
  }
}
