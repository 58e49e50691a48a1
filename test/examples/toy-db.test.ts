import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';

describe('toy-db', () => {
  it('answers typed requests and replies to malformed bytes with an error, on every seed', async () => {
    const c = findBuiltinCase('toy-db')!;
    await mar.expectFuzz(c, { seeds: 200 });
    const report = await mar.expectPass(c, { seed: 12648430 });
    expect(report.trace).toMatch(/toydb.request from=1 kind=set value=\d+\n/);
    expect(report.trace).toMatch(/toydb.malformed from=1 bytes=3\n/);
    expect(report.trace).toContain('toydb.response kind=error value=0\n');
  });
});
