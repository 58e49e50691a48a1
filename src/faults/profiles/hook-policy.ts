import type { ChoiceSource } from '../../kernel/choice-source.js';
import { fmix32, fnv1a } from '../../kernel/prng.js';
import type { BuggifyProfile } from './fault-profile.js';

/** Decides once per run whether a BUGGIFY hook is enabled (swarm testing, FoundationDB style). */
export interface BuggifyHookPolicy {
  /** Called the first time `hook` is evaluated in a run; may draw from `choices`. */
  enabled(hook: string, choices: ChoiceSource): boolean;
}

/**
 * The BUGGIFY hook policy of a profile: a named decision from `hooks`, else
 * `fmix32(fnv1a(hook) ^ hookSalt) % 100 < hookEnablePercent`. It draws nothing from the world, so
 * replaying a stored profile makes exactly the same decisions.
 */
export function hookPolicy(profile: BuggifyProfile): BuggifyHookPolicy | undefined {
  if (profile.hookEnablePercent === 100 && Object.keys(profile.hooks).length === 0) return undefined;
  return {
    enabled(hook: string): boolean {
      const named = profile.hooks[hook];
      if (named !== undefined) return named;
      return fmix32(fnv1a(hook) ^ profile.hookSalt) % 100 < profile.hookEnablePercent;
    },
  };
}
