import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { runOnce } from '../../src/harness/run-once.js';
import { Trace } from '../../src/kernel/trace/trace.js';
import { resolveProfile } from '../../src/faults/profiles/resolve-profile.js';

afterEach(() => vi.restoreAllMocks());

describe('the fuzz path makes no trace text nobody reads (issue 12)', () => {
  it("formats a run's text only when its trace is read, once, and the same text as formatting at once", async () => {
    const c = findBuiltinCase('replicated-register-swarm')!;
    const text = vi.spyOn(Trace.prototype, 'text');
    const outcome = await runOnce(c, { seed: 7n, profile: resolveProfile('swarm', 7n), captureStacks: false });
    expect(outcome.failure).toBeUndefined();
    expect(text).not.toHaveBeenCalled();
    const first = outcome.trace;
    expect(text).toHaveBeenCalledTimes(1);
    expect(outcome.trace).toBe(first);
    expect(text).toHaveBeenCalledTimes(1);
    expect(first.split('\n').filter((line) => line.startsWith('event=')).length).toBe(outcome.eventCount);
  });
});
