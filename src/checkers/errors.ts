import { MarionetteError } from '../kernel/errors.js';

export { InvalidArgument } from '../kernel/errors.js';

/** A model's `step` (or `init`, `partition`) threw; the message names the operation. */
export class ModelError extends MarionetteError {
  override name = 'ModelError';
}
