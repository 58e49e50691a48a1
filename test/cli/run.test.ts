import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { runMar } from './run-mar.js';

describe('mar run', () => {
  it('exits 0 and prints PASS for a passing seed', async () => {
    const result = await runMar(['run', 'retry-queue', '--seed', '12648430']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PASS retry-queue seed=12648430 events=\d+ \| replay: mar run retry-queue --seed 12648430 --trace\n$/);
  });

  it('exits 1 for an unexpected failure and 0 for an expected one', async () => {
    const failing = await runMar(['run', 'retry-queue-bug', '--seed', '12648430']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('FAIL retry-queue-bug seed=12648430 kind=check_failed check="job completed at most once"');
    const expected = await runMar(['run-example', 'retry-queue-bug', '--seed', '12648430', '--expect-failure']);
    expect(expected.code).toBe(0);
  });

  it('exits 1 when an expected failure does not happen', async () => {
    const result = await runMar(['run', 'retry-queue', '--seed', '1', '--expect-failure']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('expected retry-queue to fail on seed 1, but it passed');
  });

  it('prints byte-identical traces across processes, equal to the in-process run', async () => {
    const [a, b] = await Promise.all([
      runMar(['run', 'idempotency-bug', '--seed', '3', '--trace']),
      runMar(['run', 'idempotency-bug', '--seed', '0x3', '--trace']),
    ]);
    const inProcess = await mar.runCase(findBuiltinCase('idempotency-bug')!, { seed: 3 });
    expect(a.code).toBe(1);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toBe(inProcess.trace);
    expect(a.stderr).toContain('FAIL idempotency-bug seed=3');
  });

  it('prints a per-component summary with --summary', async () => {
    const result = await runMar(['run', 'retry-queue-bug', '--seed', '12648430', '--summary']);
    expect(result.stdout).toMatch(/^run retry-queue-bug seed=12648430 tick_ns=1000000 events=\d+$/m);
    expect(result.stdout).toMatch(/^ {2}queue +6 {2}lease×2 timeout×1 complete×2 invariant_violation×1$/m);
    expect(result.stdout).toMatch(/! event=\d+ queue.invariant_violation job=7 completions=2/);
  });

  it('prints one JSON report with --json', async () => {
    const result = await runMar(['run', 'retry-queue-bug', '--seed', '5', '--json']);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ kind: 'check_failed', seed: '5', caseName: 'retry-queue-bug', checkName: 'job completed at most once' });
  });

  it.each([
    [['run', 'no-such-case', '--seed', '1'], /^mar: unknown case "no-such-case"/],
    [['run', 'retry-queue', '--seed', 'abc'], /^mar: parseSeed: invalid seed "abc"/],
    [['run', 'retry-queue', '--seed', '-5'], /^mar: parseSeed: invalid seed "-5"/],
    [['run', 'retry-queue'], /^mar: Missing required argument: seed/],
    [['run', 'retry-queue', '--seed', '1', '--trace', '--summary'], /^mar: Arguments summary and trace are mutually exclusive/],
    [['run', 'retry-queue', '--seed', '1', '--bogus'], /^mar: Unknown argument/],
    [[], /^mar: name a command/],
    [['frobnicate'], /^mar: Unknown argument: frobnicate/],
    [['run', 'test/fixtures/missing.ts#x', '--seed', '1'], /^mar: case module not found: test\/fixtures\/missing.ts/],
    [['run', 'test/fixtures/user-cases.ts#nothing', '--seed', '1'], /^mar: test\/fixtures\/user-cases.ts has no export "nothing"/],
    [['run', 'test/fixtures/user-cases.ts#notACase', '--seed', '1'], /^mar: export notACase of test\/fixtures\/user-cases.ts is not a case/],
  ])('exits 2 with a one-line reason for %j', async (args, message) => {
    const result = await runMar(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('runs a case from a user TypeScript module by export name, case name or default export', async () => {
    const byExport = await runMar(['run', 'test/fixtures/user-cases.ts#coinFlip', '--seed', '1', '--trace']);
    const byName = await runMar(['run', 'test/fixtures/user-cases.ts#coin-flip', '--seed', '1', '--trace']);
    expect(byExport.stdout).toContain('run.name value=coin-flip\n');
    expect(byExport.stdout).toBe(byName.stdout);
    const byDefault = await runMar(['run', 'test/fixtures/user-cases.ts', '--seed', '1']);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toMatch(/^PASS always-passes seed=1 .*replay: mar run test\/fixtures\/user-cases.ts --seed 1 --trace$/m);
  });
});

describe('mar list', () => {
  it('lists every built-in case', async () => {
    const result = await runMar(['list']);
    expect(result.code).toBe(0);
    for (const name of ['retry-queue', 'retry-queue-bug', 'idempotency', 'idempotency-bug']) {
      expect(result.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    }
  });

  it('is an executable script, as npx mar and an installed bin run it', async () => {
    const { execFile } = await import('node:child_process');
    const bin = new URL('../../dist/src/cli/bin.js', import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(bin, ['list'], (error, out) => (error ? reject(error) : resolve(out))),
    );
    expect(stdout).toMatch(/^retry-queue /m);
  });

  it('shows help with --help', async () => {
    const result = await runMar(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mar run <case>');
  });
});
