/**
 * Typed errors raised by marionette-sim itself. Every class sets `name` to its own class name so
 * that the name survives structured cloning to worker threads and appears in failure signatures.
 * @module
 */

/** Base class of every error raised by the library (never of errors raised by user code). */
export class MarionetteError extends Error {
  override name = 'MarionetteError';
}

/** A function of the public API was called with an argument it does not accept. */
export class InvalidArgument extends MarionetteError {
  override name = 'InvalidArgument';
}

/** `parseSeed` could not read its input as a u64 seed. */
export class InvalidSeed extends MarionetteError {
  override name = 'InvalidSeed';
}

/** A BUGGIFY or fault rate is not a valid probability `numerator / denominator`. */
export class InvalidRate extends MarionetteError {
  override name = 'InvalidRate';
}

/** A trace record is malformed or ambiguous; nothing was written. */
export class InvalidTraceRecord extends MarionetteError {
  override name = 'InvalidTraceRecord';
}

/** Trace text could not be parsed (wrong header, bad event index, malformed field). */
export class InvalidTrace extends MarionetteError {
  override name = 'InvalidTrace';
}

/** Simulated time would pass `Number.MAX_SAFE_INTEGER` nanoseconds. */
export class ClockOverflow extends MarionetteError {
  override name = 'ClockOverflow';
}

/** A world recorded more events than its `maxEvents` limit allows (a runaway scenario). */
export class EventLimitExceeded extends MarionetteError {
  override name = 'EventLimitExceeded';
}

/** A world fired more timers than its `maxSteps` limit allows (an interval or timer loop that never ends). */
export class StepLimitExceeded extends MarionetteError {
  override name = 'StepLimitExceeded';
}

/**
 * Code of an owner that has stopped (a crashed host's code that was already runnable at the crash)
 * called into the world. It ends that code; the run goes on, and the error is never reported.
 */
export class OwnerStopped extends MarionetteError {
  override name = 'OwnerStopped';
}

/** A world operation was used in a way the world does not allow (for example simulating twice). */
export class WorldMisuse extends MarionetteError {
  override name = 'WorldMisuse';
}

/** Short, platform-independent text of any thrown value, for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'function') return 'function';
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return typeof value;
  }
}
