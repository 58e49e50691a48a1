import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';

/** What built the code that ran: stored with every campaign, compared on replay. */
export interface BuildIdentity {
  readonly packageVersion: string;
  /** The git commit of the working directory, when it is a git checkout. */
  readonly gitCommit: string | null;
  readonly nodeVersion: string;
}

let cached: BuildIdentity | undefined;

/**
 * The build identity of this process: marionette-sim's version, the git commit of the current
 * directory (`MARIONETTE_GIT_COMMIT` overrides it; null outside a checkout) and the Node version.
 */
export function buildIdentity(): BuildIdentity {
  if (cached !== undefined) return cached;
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  let gitCommit: string | null = process.env.MARIONETTE_GIT_COMMIT ?? null;
  if (gitCommit === null) {
    try {
      gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim() || null;
    } catch {
      gitCommit = null;
    }
  }
  cached = { packageVersion: pkg.version, gitCommit, nodeVersion: process.version };
  return cached;
}

/** Human description of how two build identities differ, or undefined when they match. */
export function describeBuildDifference(stored: BuildIdentity, current: BuildIdentity): string | undefined {
  const parts: string[] = [];
  if (stored.packageVersion !== current.packageVersion) parts.push(`marionette-sim ${stored.packageVersion} -> ${current.packageVersion}`);
  if (stored.gitCommit !== current.gitCommit) parts.push(`git commit ${stored.gitCommit ?? 'unknown'} -> ${current.gitCommit ?? 'unknown'}`);
  if (stored.nodeVersion !== current.nodeVersion) parts.push(`node ${stored.nodeVersion} -> ${current.nodeVersion}`);
  return parts.length === 0 ? undefined : parts.join(', ');
}

