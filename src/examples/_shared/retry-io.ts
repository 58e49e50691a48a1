import { DiskIoError, type Env } from '../../index.js';

/** How often production-shaped example code tries an operation that fails with an I/O error. */
export const IO_ATTEMPTS = 16;
/** Back-off after the n-th failed attempt: n times this, in ns. */
const BACKOFF_NS = 100_000;

/**
 * Runs `operation`, retrying with a growing back-off while it fails with an (injected)
 * `DiskIoError`; gives up after {@link IO_ATTEMPTS} attempts. Any other error passes through.
 */
export async function retryIo<T>(env: Env, operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof DiskIoError) || attempt >= IO_ATTEMPTS) throw error;
      await env.clock.sleep(attempt * BACKOFF_NS);
    }
  }
}
