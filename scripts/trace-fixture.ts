/**
 * `node dist/scripts/trace-fixture.js [--write]`: the trace of every built-in example for seeds
 * 0..1999 under `none` and `swarm`, hashed. Each (example, profile) gets one digest: SHA-256 of
 * the run's trace hashes in seed order. `--write` stores them in test/fixtures/trace-hashes.json,
 * the known answer test/kernel/trace-fixture.test.ts holds every later version to (a faster fuzz
 * path must produce byte-identical traces). Never run by `npm test` with `--write`.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CASES } from '../src/examples/registry.js';
import type { Case } from '../src/harness/define-case.js';
import { runOnce } from '../src/harness/run-once.js';
import { traceHash } from '../src/kernel/trace-hash.js';
import { resolveProfile } from '../src/faults/profiles/resolve-profile.js';

/** Seeds per example and profile. */
export const FIXTURE_SEEDS = 2000;
export const FIXTURE_PROFILES = ['none', 'swarm'] as const;

/** The digest of one example under one profile over `seeds` seeds from 0. */
export async function traceDigest(c: Case, profile: (typeof FIXTURE_PROFILES)[number], seeds = FIXTURE_SEEDS): Promise<string> {
  const digest = createHash('sha256');
  for (let seed = 0n; seed < BigInt(seeds); seed++) {
    const outcome = await runOnce(c, { seed, profile: resolveProfile(profile, seed), captureStacks: false });
    digest.update(`${traceHash(outcome.trace)}\n`);
  }
  return digest.digest('hex');
}

/** Every example's digests, by `name/profile`. */
export async function allDigests(): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const [name, c] of BUILTIN_CASES) for (const profile of FIXTURE_PROFILES) digests[`${name}/${profile}`] = await traceDigest(c, profile);
  return digests;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const digests = await allDigests();
  console.log(`${Object.keys(digests).length} digests in ${Math.round(performance.now() - started)} ms`);
  if (process.argv.includes('--write')) {
    const file = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'test', 'fixtures', 'trace-hashes.json');
    writeFileSync(file, `${JSON.stringify({ seeds: FIXTURE_SEEDS, profiles: FIXTURE_PROFILES, digests }, null, 2)}\n`);
    console.log(`wrote ${file}`);
  }
}
