import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../../src/examples/registry.js';
import { runOnce } from '../../../src/harness/run-once.js';
import { resolveProfile } from '../../../src/faults/profiles/resolve-profile.js';

describe('profile attributes in the trace', () => {
  it('are the profile\'s own fields only: something enumerable on Object.prototype does not reach the trace', async () => {
    const c = findBuiltinCase('retry-queue-swarm')!;
    // The run.attribute lines only: a structured record walks its fields with for...in, inherited ones too (as it always has).
    const run = async () =>
      (await runOnce(c, { seed: 5n, profile: resolveProfile('swarm', 5n), captureStacks: false })).trace.split('\n').filter((line) => line.includes(' run.attribute '));
    const clean = await run();
    Object.defineProperty(Object.prototype, 'legacy_helper', { value: 7, enumerable: true, configurable: true });
    let polluted: string[];
    try {
      polluted = await run();
    } finally {
      delete (Object.prototype as Record<string, unknown>).legacy_helper;
    }
    expect(clean.length).toBe(21); // the case's own attribute, then the profile's 20 (this seed's profile names no hooks and no host crashes)
    expect(polluted).toEqual(clean);
  });
});
