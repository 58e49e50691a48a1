import type { Case } from './define-case.js';
import { parseSeed, type SeedInput } from '../kernel/parse-seed.js';
import { runOnce } from './run-once.js';
import { TapeChoices } from '../kernel/choice-tape.js';
import { buildRunReport, type RunReport } from './run-report.js';
import type { FaultProfile, ProfileInput } from '../faults/profiles/fault-profile.js';
import { resolveProfile } from '../faults/profiles/resolve-profile.js';

/** Options of {@link runCase}. */
export interface RunCaseOptions {
  /** The seed: a number, bigint, or seed text (see `parseSeed`). */
  readonly seed: SeedInput;
  /** The fault profile: `none` (default), `smoke`, `swarm`, or a profile object (e.g. a stored one). */
  readonly profile?: ProfileInput;
  /** How replay commands name the case (default: registry name or `path#name`). */
  readonly caseRef?: string;
  /**
   * Replay this choice sequence instead of the seed's generator (a run found by guided search
   * from a mutated tape): decision `i` is `choices[i]`, 0 past the end.
   */
  readonly choices?: readonly number[];
}

/**
 * Runs a case twice with the same seed (and fault profile) and compares the two traces byte for
 * byte. The report says `passed`, or why the run failed: `scenario_error`, `check_failed`,
 * `stalled`, or `determinism_mismatch` when the two traces differ. `report.profile` is the
 * concrete profile the run used, which replays it exactly.
 */
export async function runCase(c: Case, options: RunCaseOptions): Promise<RunReport> {
  const seed = parseSeed(options.seed);
  const profile = resolveProfile(options.profile, seed);
  // Both runs see identical conditions (stack traces included), or they could differ for that alone.
  const tape = options.choices;
  const first = await runOnce(c, { seed, profile, choices: tape === undefined ? undefined : new TapeChoices(tape) });
  const second = await runOnce(c, { seed, profile, choices: tape === undefined ? undefined : new TapeChoices(tape) });
  return buildRunReport({
    case: c,
    caseRef: options.caseRef,
    seed,
    profile,
    replayArgs: profileReplayArgs(options.profile, profile),
    fromTape: tape !== undefined,
    first,
    second,
  });
}

/** The `--profile` words of a replay command: the name of a named profile, the JSON of an object. */
export function profileReplayArgs(input: ProfileInput | undefined, profile: FaultProfile): string[] {
  if (input === undefined || input === 'none') return [];
  return ['--profile', typeof input === 'string' ? input : JSON.stringify(profile)];
}
