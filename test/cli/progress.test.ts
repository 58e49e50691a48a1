import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/cli/parse-duration.js';
import { formatProgress } from '../../src/cli/progress-line.js';
import { REPO_ROOT } from './run-mar.js';

describe('parseDuration', () => {
  it.each([
    ['1500ms', 1500],
    ['30s', 30_000],
    ['2.5m', 150_000],
    ['8h', 28_800_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '30', 's', '1x', '-5s', '1 h', 'forever'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('reads back what formatDuration writes, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds * 1000))).toBe(seconds * 1000);
      }),
    );
  });
});

describe('progress line', () => {
  it('shows seeds done, rate, failures, bugs and ETA', () => {
    const line = formatProgress({ campaignId: 3, seedsDone: 12_345, plannedSeeds: 100_000, seedsPerSecond: 8123.4, failures: 1540, bugs: 1, etaMs: 95_000 });
    expect(line).toBe('campaign 3: 12,345/100,000 seeds (12%) · 8,123 seeds/s · 1,540 failures · 1 bug · ETA 1m35s');
    expect(formatProgress({ campaignId: 1, seedsDone: 10, plannedSeeds: null, seedsPerSecond: 5, failures: 0, bugs: 2, etaMs: null })).toBe(
      'campaign 1: 10 seeds · 5 seeds/s · 0 failures · 2 bugs · ETA ?',
    );
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('is drawn on a terminal and never when output is piped', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'marionette-progress-'));
    try {
      const bin = path.join(REPO_ROOT, 'dist/src/cli/bin.js');
      const command = `${process.execPath} ${bin} fuzz replicated-register-swarm --seeds 3000 --workers 1 --no-minimize --db ${path.join(dir, 'p.sqlite')}`;
      const onTerminal = execFileSync('script', ['-qec', command, '/dev/null'], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(onTerminal).toMatch(/\r\x1b\[2Kcampaign 1: [\d,]+\/3,000 seeds \(\d+%\) · [\d,]+ seeds\/s · 0 failures · 0 bugs/);
      const piped = spawnSync(process.execPath, [bin, 'fuzz', 'retry-queue', '--seeds', '500', '--no-minimize', '--db', path.join(dir, 'q.sqlite')], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(piped.stderr).toBe('');
      expect(piped.stdout).not.toContain('\r');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
