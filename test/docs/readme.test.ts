import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runMar } from '../cli/run-mar.js';

const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');

/** Every `npx mar run ...` command README shows in backticks or in a sh block. */
function documentedRunCommands(): string[][] {
  const commands = new Set<string>();
  for (const match of readme.matchAll(/npx mar (run [^`#\n|]+?)\s*(?:`|#|\n)/g)) commands.add(match[1]!.trim());
  return [...commands].filter((c) => !c.includes('path/to/')).map((c) => c.split(/\s+/));
}

/** The quick start's first command, after `npm ci && npx mar`. */
function quickStartCampaign(): string[] {
  const match = /```sh\nnpm ci && npx mar (fuzz [^#\n]+?)\s*#/.exec(readme);
  expect(match).not.toBeNull();
  return match![1]!.split(/\s+/);
}

describe('README', () => {
  it('quick start: runs a real campaign into the default database, finds the bug, and the follow-up commands work', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'marionette-quick-start-'));
    try {
      const campaign = await runMar(quickStartCampaign(), { cwd });
      expect(campaign.code).toBe(1);
      expect(campaign.stdout).toMatch(/^campaign 1 done: 20,000\/20,000 seeds of idempotency-bug under swarm/);
      expect(existsSync(path.join(cwd, 'results', 'marionette.sqlite'))).toBe(true);
      const bugs = await runMar(['failures', '--bugs'], { cwd });
      expect(bugs.stdout).toContain('check_failed|every deposit applied exactly once|InvariantViolation');
      const replay = await runMar(['replay', '1'], { cwd });
      expect(replay.code).toBe(0);
      expect(replay.stdout).toMatch(/^reproduced: failure #1 of idempotency-bug/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('documents run commands that all exit 0 as written', async () => {
    const commands = documentedRunCommands();
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const args of commands) {
      const result = await runMar(args);
      expect({ args: args.join(' '), code: result.code, stderr: result.stderr }).toEqual({ args: args.join(' '), code: 0, stderr: expect.any(String) });
    }
  });

  it('shows a case-writing example that runs and finds its bug, and one of unmodified code that passes under swarm', async () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(2);
    const dir = `${REPO_ROOT}test/.tmp`;
    mkdirSync(dir, { recursive: true });
    blocks.forEach((block, i) => {
      expect(block.split('\n').length).toBeLessThanOrEqual(26);
      writeFileSync(`${dir}/readme-example-${i}.ts`, block);
    });
    await expect(import(/* @vite-ignore */ `${dir}/readme-example-0.ts`)).rejects.toThrow(/expectFuzz: counter failed on seed \d+/);
    const unmodified = (await import(/* @vite-ignore */ `${dir}/readme-example-1.ts`)) as { heartbeats: { name: string } };
    expect(unmodified.heartbeats.name).toBe('heartbeats');
  });
});
