import { createHash } from 'node:crypto';

/** The identity of a trace: SHA-256 of its text, in hex. Passing fuzz seeds keep only this. */
export function traceHash(trace: string): string {
  return createHash('sha256').update(trace).digest('hex');
}
