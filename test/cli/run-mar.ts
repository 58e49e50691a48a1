import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root; the CLI runs from here as a user would after cloning. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));

export interface MarResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `mar` command in a child process. */
export function runMar(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<MarResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
