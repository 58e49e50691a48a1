import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runMar } from '../search/cli/run-mar.js';

const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');

/** Every `npx mar ...` command README shows in backticks or in a sh block. */
function documentedCommands(): string[][] {
  const commands = new Set<string>();
  for (const match of readme.matchAll(/npx mar ([^`#\n|]+?)\s*(?:`|#|\n)/g)) commands.add(match[1]!.trim());
  return [...commands].filter((c) => !c.includes('path/to/')).map((c) => c.split(/\s+/));
}

describe('README', () => {
  it('documents commands that all exit 0 as written', async () => {
    const commands = documentedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const args of commands) {
      const result = await runMar(args);
      expect({ args: args.join(' '), code: result.code, stderr: result.stderr }).toEqual({ args: args.join(' '), code: 0, stderr: expect.any(String) });
    }
  });

  it('shows a case-writing example that runs and finds its bug', async () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(block.split('\n').length).toBeLessThanOrEqual(26);
    const dir = `${REPO_ROOT}test/.tmp`;
    mkdirSync(dir, { recursive: true });
    const file = `${dir}/readme-example.ts`;
    writeFileSync(file, block);
    await expect(import(/* @vite-ignore */ file)).rejects.toThrow(/expectFuzz: counter failed on seed \d+/);
  });
});
