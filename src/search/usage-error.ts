/** A bad command line or bad input named on it: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes of `mar`. */
export const EXIT = {
  /** As expected: passed, reproduced, or failed under `--expect-failure`. */
  ok: 0,
  /** An unexpected failure, or an expected failure that did not happen. */
  failed: 1,
  /** Bad usage or input. */
  usage: 2,
} as const;
