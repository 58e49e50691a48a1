/** Hermetic worlds and hosts: what owning the process's time and randomness costs per seed. */
import { defineCase, resolveProfile, type Case } from '../src/index.js';
import { findBuiltinCase } from '../src/examples/registry.js';
import { runOnce } from '../src/harness/run-once.js';
import { formatRate, sideBySide } from './measure.js';

/** The same case with hermetic worlds off. */
function notHermetic(c: Case): Case {
  return defineCase({ ...c, name: c.name, hermetic: false });
}

export async function hermeticBench(roundMs: number): Promise<string[]> {
  const lines = ['## hermetic worlds and hosts: per-seed cost on the fuzz path (median of 5 interleaved rounds)'];
  for (const [name, profile] of [
    ['retry-queue', 'none'],
    ['retry-queue-swarm', 'swarm'],
  ] as const) {
    const on = findBuiltinCase(name)!;
    const off = notHermetic(on);
    const run = (c: Case) => (i: number) => runOnce(c, { seed: BigInt(i), profile: resolveProfile(profile, BigInt(i)), captureStacks: false });
    const rate = await sideBySide({ on: run(on), off: run(off) }, 5, roundMs);
    const us = (r: number) => `${(1e6 / r).toFixed(2)} µs`;
    lines.push(
      `${name} (${profile}): hermetic on ${formatRate(rate.on!)} (${us(rate.on!)}/seed), off ${formatRate(rate.off!)} (${us(rate.off!)}/seed) ` +
        `= ${(rate.off! / rate.on!).toFixed(3)}x; target <= 1.15x`,
    );
  }
  lines.push(...(await hostBench()));
  return lines;
}

/** lease-heartbeat under swarm: seeds per second, and how many host crashes and events a seed has. */
async function hostBench(): Promise<string[]> {
  const c = findBuiltinCase('lease-heartbeat')!;
  const seeds = 400;
  const run = (seed: bigint) => runOnce(c, { seed, profile: resolveProfile('swarm', seed), captureStacks: false });
  for (let seed = 0n; seed < 40n; seed++) await run(seed); // warm-up
  let crashes = 0;
  let events = 0;
  let withCrashes = 0;
  const start = performance.now();
  for (let seed = 1000n; seed < 1000n + BigInt(seeds); seed++) {
    const outcome = await run(seed);
    const seen = outcome.trace.split('\nevent=').filter((line) => line.includes(' host.crash ')).length;
    crashes += seen;
    if (seen > 0) withCrashes++;
    events += outcome.eventCount;
  }
  const elapsedMs = performance.now() - start;
  return [
    `lease-heartbeat (swarm, 3 hosts, 1 s simulated): ${formatRate((seeds / elapsedMs) * 1000)} (${(elapsedMs / seeds).toFixed(2)} ms/seed), ` +
      `${(events / seeds).toFixed(0)} events/seed, ${(crashes / seeds).toFixed(2)} host crashes/seed, ${withCrashes} of ${seeds} seeds with a crash`,
  ];
}
