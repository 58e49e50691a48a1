import type { ProfileInput } from '../faults/profiles/fault-profile.js';
import { normalizeProfile } from '../faults/profiles/fault-profile.js';
import { UsageError } from '../search/usage-error.js';

/** Reads `--profile`: `none`, `smoke`, `swarm`, or a profile as JSON text. */
export function parseProfileOption(text: string | undefined): ProfileInput | undefined {
  if (text === undefined || text === 'none' || text === 'smoke' || text === 'swarm') return text;
  if (!text.trimStart().startsWith('{')) {
    throw new UsageError(`--profile must be none, smoke, swarm or a JSON profile object, got ${JSON.stringify(text)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--profile is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return normalizeProfile(parsed as never, '--profile');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
