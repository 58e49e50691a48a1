/**
 * `npm run screenshot`: docs/report-screenshot.png, the picture of `mar report` in README. Runs a
 * small campaign of a built-in bug into a temporary database, writes its report, and takes the
 * picture in Debian's chromium with playwright-core (the browser set-up of the tests). Never run
 * by `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/scripts -> the repository
const bin = path.join(root, 'dist', 'src', 'cli', 'bin.js');
const dir = mkdtempSync(path.join(tmpdir(), 'marionette-screenshot-'));
try {
  // Run in the temporary directory with a relative database, so the page shows `--db demo.sqlite`.
  const db = 'demo.sqlite';
  const mar = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    mar('fuzz', 'replicated-register-swarm-bug', '--seeds', '400', '--workers', '2', '--profile', 'swarm', '--db', db);
  } catch {
    // exit 1: the campaign found the bug, which is what the picture shows
  }
  const out = path.join(dir, 'report.html');
  mar('report', '--db', db, '--out', out);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(out).href);
  const target = path.join(root, 'docs', 'report-screenshot.png');
  // The first bug's section: its runs side by side, the diagrams the rest of the page leads to.
  await page.locator('section.failure').first().screenshot({ path: target });
  await browser.close();
  console.log(`wrote ${path.relative(root, target)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
