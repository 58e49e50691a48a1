import { EventFormat, eventFormat } from '../../kernel/trace/event-format.js';
import type { WorldCore } from '../../kernel/world.js';
import type { FaultProfile } from './fault-profile.js';

/** The format of `run.attribute key=<key> value=<type>:<value>` for one profile field. */
function attribute(key: string, type: 'string' | 'uint'): EventFormat {
  return EventFormat.of([`run.attribute key=${key} value=${type}:`, '']);
}

/** `netDropRate` -> `net_drop_rate` */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Formats per profile field, made on first use (the set of fields is fixed). */
const networkFormats = new Map<string, EventFormat>();
const diskFormats = new Map<string, EventFormat>();

function fieldFormat(cache: Map<string, EventFormat>, prefix: string, key: string, type: 'string' | 'uint'): EventFormat {
  let format = cache.get(key);
  if (format === undefined) {
    format = attribute(snakeCase(`${prefix}${key}`), type);
    cache.set(key, format);
  }
  return format;
}

const ORIGIN = eventFormat`run.attribute key=profile_origin value=string:${'origin'}`;
const HOOK_ENABLE_PERCENT = eventFormat`run.attribute key=buggify_hook_enable_percent value=uint:${'percent'}`;
const HOOK_SALT = eventFormat`run.attribute key=buggify_hook_salt value=uint:${'salt'}`;
const HOOKS = eventFormat`run.attribute key=buggify_hooks value=string:${'hooks'}`;
const HOST_CRASH_RATE = eventFormat`run.attribute key=host_crash_rate value=string:${'rate'}`;
const HOST_RESTART_DELAY_TICKS = eventFormat`run.attribute key=host_restart_delay_ticks value=uint:${'ticks'}`;

/**
 * Writes the `run.attribute` events a profile puts at the start of a trace: `profile_origin`, then
 * every network (`net_*`) and disk (`disk_*`) setting, the BUGGIFY enablement (`buggify_*`) and,
 * when hosts can crash, the host dynamics (`host_crash_rate`, `host_restart_delay_ticks`), so
 * a trace alone says which faults its run could see. Every value of a normalized profile is
 * already in trace form (a lowercase origin, `n/d` rates, integers, hook names), so nothing here
 * needs escaping; this runs once per seed of a swarm campaign, and writes no text.
 */
export function writeProfileAttributes(profile: FaultProfile, world: WorldCore): void {
  world.emitEvent(ORIGIN, profile.origin);
  const network = profile.network;
  for (const key in network) {
    if (!Object.hasOwn(network, key)) continue; // a field, not something enumerable on Object.prototype
    const value = network[key as keyof typeof network];
    world.emitEvent(fieldFormat(networkFormats, 'net_', key, typeof value === 'number' ? 'uint' : 'string'), value);
  }
  const disk = profile.disk;
  for (const key in disk) {
    if (Object.hasOwn(disk, key)) world.emitEvent(fieldFormat(diskFormats, 'disk_', key, 'string'), disk[key as keyof typeof disk]);
  }
  world.emitEvent(HOOK_ENABLE_PERCENT, profile.buggify.hookEnablePercent);
  world.emitEvent(HOOK_SALT, profile.buggify.hookSalt);
  const hooks = Object.entries(profile.buggify.hooks);
  if (hooks.length > 0) world.emitEvent(HOOKS, hooks.map(([hook, on]) => `${hook}:${on ? 'on' : 'off'}`).join(','));
  // Host dynamics are written only when hosts can crash, so profiles without them (and every
  // profile stored before hosts existed) keep exactly the trace they had.
  if (profile.host.crashRate !== '0/1') {
    world.emitEvent(HOST_CRASH_RATE, profile.host.crashRate);
    world.emitEvent(HOST_RESTART_DELAY_TICKS, profile.host.restartDelayTicks);
  }
}
