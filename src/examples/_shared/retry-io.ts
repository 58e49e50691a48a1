import { DiskIoError } from '../../index.js';

/** How often production-shaped example code retries an I/O error before giving up. */
export const IO_ATTEMPTS = 4;

/** Runs `operation`, retrying it when it fails with an (injected) `DiskIoError`. */
export async function retryIo<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof DiskIoError) || attempt >= IO_ATTEMPTS) throw error;
    }
  }
}
