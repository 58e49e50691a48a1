import { MarionetteError } from '../kernel/errors.js';

/**
 * Code inside a hermetic world called a real network API (`fetch`, `net.connect`, `http.request`,
 * …) that a world cannot simulate. The run fails at once as `scenario_error`; the message starts
 * with the call's name. Use the world's network (`sim.endpoint`, `hostEnv.endpoint()`) instead.
 */
export class RealIoInWorld extends MarionetteError {
  override name = 'RealIoInWorld';
}
