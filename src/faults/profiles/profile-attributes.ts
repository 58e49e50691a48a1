import type { FaultProfile } from './fault-profile.js';

/** `run.attribute` line prefixes per profile field, built once (the set of fields is fixed). */
const prefixes = new Map<string, string>();

function prefix(key: string, type: 'string' | 'uint'): string {
  const cacheKey = `${type}:${key}`;
  let line = prefixes.get(cacheKey);
  if (line === undefined) {
    line = `run.attribute key=${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} value=${type}:`;
    prefixes.set(cacheKey, line);
  }
  return line;
}

/**
 * The `run.attribute` events a profile writes at the start of a trace: `profile_origin`, then
 * every network (`net_*`) and disk (`disk_*`) setting, the BUGGIFY enablement (`buggify_*`) and,
 * when hosts can crash, the host dynamics (`host_crash_rate`, `host_restart_delay_ticks`), so
 * a trace alone says which faults its run could see. Every value of a normalized profile is
 * already in trace form (a lowercase origin, `n/d` rates, integers, hook names), so nothing here
 * needs escaping; this runs once per seed of a swarm campaign.
 */
export function profileAttributeLines(profile: FaultProfile): string[] {
  const lines = [prefix('profileOrigin', 'string') + profile.origin];
  for (const [key, value] of Object.entries(profile.network)) {
    lines.push(prefix(`net_${key}`, typeof value === 'number' ? 'uint' : 'string') + value);
  }
  for (const [key, value] of Object.entries(profile.disk)) lines.push(prefix(`disk_${key}`, 'string') + value);
  lines.push(prefix('buggifyHookEnablePercent', 'uint') + profile.buggify.hookEnablePercent);
  lines.push(prefix('buggifyHookSalt', 'uint') + profile.buggify.hookSalt);
  const hooks = Object.entries(profile.buggify.hooks);
  if (hooks.length > 0) lines.push(prefix('buggifyHooks', 'string') + hooks.map(([hook, on]) => `${hook}:${on ? 'on' : 'off'}`).join(','));
  // Host dynamics are written only when hosts can crash, so profiles without them (and every
  // profile stored before hosts existed) keep exactly the trace they had.
  if (profile.host.crashRate !== '0/1') {
    lines.push(prefix('hostCrashRate', 'string') + profile.host.crashRate);
    lines.push(prefix('hostRestartDelayTicks', 'uint') + profile.host.restartDelayTicks);
  }
  return lines;
}
