// marionette-sim first: it patches node:timers and node:crypto at load, before any third-party code binds them.
import * as mar from 'marionette-sim';
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';

/**
 * lru-cache 11 TTLs on simulated time. lru-cache reads time through `performance.now()` (its
 * default `perf`), debounces those reads for `ttlResolution` ms with an unref'd `setTimeout`, and
 * with `ttlAutopurge` deletes each entry from its own unref'd `setTimeout(ttl + 1)`. In a hermetic
 * world all of these are the world's.
 *
 * Entries are set at START_MS. lru-cache treats a start time of 0 as "no TTL": a world whose
 * `performance.now()` started at 0 would keep an entry set at simulated 0 for ever, which is why
 * monotonic clocks start at MONOTONIC_ORIGIN_NS (the first test sets one at 0).
 */

const MS = 1_000_000;
const TTL_MS = 1000;
const START_MS = 10;

interface CacheState {
  readonly sim: mar.Simulation;
}

const init = (world: mar.World): CacheState => ({ sim: world.simulate({}) });

/** Simulated ms since the world's epoch. */
const simulatedMs = (): number => Date.now() - mar.DEFAULT_EPOCH_MS;

/** `lookup.at` events: what the cache said at each observation point. */
function observations(trace: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const e of mar.parseTrace(trace)) {
    if (e.name !== 'lookup.at') continue;
    const { label, ...rest } = e.fields;
    out[label!] = rest;
  }
  return out;
}

function observe(sim: mar.Simulation, cache: LRUCache<string, string>, label: string): void {
  // getRemainingTTL and has first: get() deletes a stale entry.
  const remaining = cache.getRemainingTTL('k');
  const has = cache.has('k');
  const value = cache.get('k') ?? 'none';
  sim.env.record('lookup.at', { label, at_ms: simulatedMs(), remaining_ms: remaining, has, value, size: cache.size });
}

describe('lru-cache TTL on simulated time', () => {
  const exactTtl = mar.defineCase<CacheState>({
    name: 'lru-cache ttl expiry',
    init,
    async scenario({ sim }) {
      await sim.control.runFor(START_MS * MS);
      const cache = new LRUCache<string, string>({ max: 10, ttl: TTL_MS, ttlResolution: 0 });
      cache.set('k', 'v');
      observe(sim, cache, 'set');
      await sim.control.runFor(250 * MS + 500_000);
      observe(sim, cache, 'quarter');
      await sim.control.runFor(999 * MS - (250 * MS + 500_000));
      observe(sim, cache, 'ttl_minus_1ms');
      sim.env.record('lookup.dump', { start: cache.dump()[0]![1].start!, ttl: cache.dump()[0]![1].ttl! });
      await sim.control.runFor(1 * MS);
      observe(sim, cache, 'ttl');
      await sim.control.runFor(1);
      observe(sim, cache, 'ttl_plus_1ns');
      // get() found it stale and deleted it: a missing key has 0 ms left.
      sim.env.record('lookup.gone', { remaining_ms: cache.getRemainingTTL('k') });
    },
  });

  it('keeps the entry until 1000 ms of simulated time and expires it just after; getRemainingTTL counts simulated ms', async () => {
    const report = await mar.runCase(exactTtl, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    expect(report.secondTrace).toBe(report.trace);
    const seen = observations(report.trace);
    expect(seen.set).toEqual({ at_ms: '10', remaining_ms: '1000', has: 'true', value: 'v', size: '1' });
    // Sub-ms precision: performance.now() is the world clock in ns / 1e6.
    expect(seen.quarter).toEqual({ at_ms: '260', remaining_ms: '749.5', has: 'true', value: 'v', size: '1' });
    expect(seen.ttl_minus_1ms).toEqual({ at_ms: '1009', remaining_ms: '1', has: 'true', value: 'v', size: '1' });
    // lru-cache calls an entry stale when its age is more than ttl: at exactly 1000 ms it is still there.
    expect(seen.ttl).toEqual({ at_ms: '1010', remaining_ms: '0', has: 'true', value: 'v', size: '1' });
    // 1 ns past the TTL: stale (about -1e-6 ms left, in floating point); get() then deletes it.
    const { remaining_ms: staleRemaining, ...afterTtl } = seen.ttl_plus_1ns!;
    expect(afterTtl).toEqual({ at_ms: '1010', has: 'false', value: 'none', size: '0' });
    expect(Number(staleRemaining)).toBeLessThan(0);
    expect(Number(staleRemaining)).toBeCloseTo(-1e-6, 9);
    expect(mar.parseTrace(report.trace).find((e) => e.name === 'lookup.gone')!.fields).toEqual({ remaining_ms: '0' });
    // dump() (at 1009 ms) turns the performance.now() start into a Date.now() timestamp: the world's epoch plus START_MS.
    const dump = mar.parseTrace(report.trace).find((e) => e.name === 'lookup.dump')!.fields;
    expect(dump).toEqual({ start: String(mar.DEFAULT_EPOCH_MS + START_MS), ttl: String(TTL_MS) });
    expect(report.finalNs).toBe((START_MS + TTL_MS) * MS + 1);
  });

  it('is deterministic across seeds and reruns (nothing in it depends on real time)', async () => {
    const a = await mar.runCase(exactTtl, { seed: 1 });
    const b = await mar.runCase(exactTtl, { seed: 99 });
    expect(b.passed, b.summary).toBe(true);
    // The scenario draws no randomness, so only the seed in the header differs.
    expect(b.trace.split('\n').slice(2)).toEqual(a.trace.split('\n').slice(2));
  });

  it('honours ttlResolution: a coarse resolution caches the clock on its own unref\'d timer, which runs on world time', async () => {
    const c = mar.defineCase<CacheState>({
      name: 'lru-cache ttl resolution',
      init,
      async scenario({ sim }) {
        await sim.control.runFor(START_MS * MS);
        const cache = new LRUCache<string, string>({ max: 10, ttl: TTL_MS, ttlResolution: 1000 });
        cache.set('k', 'v');
        await sim.control.runFor(999 * MS);
        // Reads the clock (1009 ms) and keeps it for 1000 ms, until 2009 ms.
        observe(sim, cache, 'cached_at_1009');
        await sim.control.runFor(491 * MS);
        // 1500 ms: 1490 ms old in fact, but lru-cache still uses the clock it read at 1009 ms.
        observe(sim, cache, 'at_1500');
        await sim.control.runFor(499 * MS);
        observe(sim, cache, 'at_1999');
        await sim.control.runFor(11 * MS);
        // 2010 ms: the debounce timer fired at 2009 ms; the fresh clock shows the entry is stale.
        observe(sim, cache, 'at_2010');
      },
    });
    const report = await mar.runCase(c, { seed: 2 });
    expect(report.passed, report.summary).toBe(true);
    const seen = observations(report.trace);
    expect(seen.cached_at_1009).toMatchObject({ at_ms: '1009', remaining_ms: '1', has: 'true' });
    expect(seen.at_1500).toMatchObject({ at_ms: '1500', remaining_ms: '1', has: 'true', value: 'v' });
    expect(seen.at_1999).toMatchObject({ at_ms: '1999', remaining_ms: '1', has: 'true', value: 'v' });
    expect(seen.at_2010).toEqual({ at_ms: '2010', remaining_ms: '-1000', has: 'false', value: 'none', size: '0' });
  });

  it('ttlAutopurge deletes the entry from its own timer at ttl + 1 ms, without any read', async () => {
    const c = mar.defineCase<CacheState>({
      name: 'lru-cache autopurge',
      init,
      async scenario({ sim }) {
        await sim.control.runFor(START_MS * MS);
        const cache = new LRUCache<string, string>({
          max: 10,
          ttl: TTL_MS,
          ttlAutopurge: true,
          dispose: (value, key, reason) => sim.env.record('cache.dispose', { key, value, reason, at_ms: simulatedMs() }),
        });
        cache.set('k', 'v');
        cache.set('other', 'w', { ttl: 300 });
        await sim.control.runFor(1000 * MS);
        sim.env.record('cache.size', { at_ms: simulatedMs(), size: cache.size });
        await sim.control.runFor(1 * MS);
        sim.env.record('cache.size', { at_ms: simulatedMs(), size: cache.size });
      },
    });
    const report = await mar.runCase(c, { seed: 3 });
    expect(report.passed, report.summary).toBe(true);
    expect(report.secondTrace).toBe(report.trace);
    const events = mar.parseTrace(report.trace).filter((e) => e.name.startsWith('cache.'));
    expect(events.map((e) => [e.name, e.fields])).toEqual([
      ['cache.dispose', { key: 'other', value: 'w', reason: 'expire', at_ms: String(START_MS + 301) }],
      ['cache.size', { at_ms: String(START_MS + TTL_MS), size: '1' }],
      ['cache.dispose', { key: 'k', value: 'v', reason: 'expire', at_ms: String(START_MS + TTL_MS + 1) }],
      ['cache.size', { at_ms: String(START_MS + TTL_MS + 1), size: '0' }],
    ]);
  });

  it('like Node, an unref\'d purge timer alone does not keep the world running: waiting only on it stalls', async () => {
    const c = mar.defineCase<CacheState>({
      name: 'lru-cache autopurge unref',
      init,
      async scenario({ sim }) {
        await sim.control.runFor(START_MS * MS);
        await new Promise<void>((resolve) => {
          const cache = new LRUCache<string, string>({ max: 10, ttl: TTL_MS, ttlAutopurge: true, dispose: () => resolve() });
          cache.set('k', 'v');
        });
        sim.env.record('cache.purged');
      },
    });
    const report = await mar.runCase(c, { seed: 4 });
    expect(report.kind).toBe('stalled');
    expect(report.finalNs).toBe(START_MS * MS);
    expect(report.trace).not.toContain('cache.purged');
  });

  it('expires an entry set at simulated time 0 (monotonic clocks never read 0 in a world)', async () => {
    const c = mar.defineCase<CacheState>({
      name: 'lru-cache at zero',
      init,
      async scenario({ sim }) {
        const cache = new LRUCache<string, string>({ max: 10, ttl: TTL_MS, ttlResolution: 0 });
        cache.set('a', 'A');
        await sim.control.runFor(5000 * MS);
        sim.env.record('lookup.at', { label: 'later', has: cache.has('a'), remaining_ms: cache.getRemainingTTL('a') });
      },
    });
    const report = await mar.runCase(c, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    expect(observations(report.trace).later).toEqual({ has: 'false', remaining_ms: '-4000' }); // expired 4000 ms ago, at 1000 ms
  });
});
