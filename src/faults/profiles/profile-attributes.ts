import type { FaultProfile } from './fault-profile.js';

/**
 * The run attributes a profile writes at the start of a trace: `profile_origin`, then every
 * network (`net_*`) and disk (`disk_*`) setting and the BUGGIFY enablement (`buggify_*`), so a
 * trace alone says which faults its run could see.
 */
export function profileAttributes(profile: FaultProfile): Array<readonly [string, string | number]> {
  const out: Array<readonly [string, string | number]> = [['profile_origin', profile.origin]];
  for (const [key, value] of Object.entries(profile.network)) out.push([`net_${snake(key)}`, value]);
  for (const [key, value] of Object.entries(profile.disk)) out.push([`disk_${snake(key)}`, value]);
  out.push(['buggify_hook_enable_percent', profile.buggify.hookEnablePercent]);
  out.push(['buggify_hook_salt', profile.buggify.hookSalt]);
  const hooks = Object.entries(profile.buggify.hooks);
  if (hooks.length > 0) out.push(['buggify_hooks', hooks.map(([hook, on]) => `${hook}:${on ? 'on' : 'off'}`).join(',')]);
  return out;
}

const snakeNames = new Map<string, string>();

/** `camelCase` to `snake_case`, memoized (profiles have a fixed set of keys). */
function snake(key: string): string {
  let name = snakeNames.get(key);
  if (name === undefined) {
    name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeNames.set(key, name);
  }
  return name;
}
