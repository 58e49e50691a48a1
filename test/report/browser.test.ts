import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { runMar } from '../cli/run-mar.js';

/** Debian's chromium (.ci/run installs it); CHROMIUM overrides the path. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const dir = mkdtempSync(path.join(tmpdir(), 'marionette-report-browser-'));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a report from file://, recording every request and every error the page logs. */
async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pathToFileURL(file).href);
  return { page, requests, errors };
}

const count = (trace: string, name: string) => trace.split('\n').filter((line) => line.split(' ')[1] === name).length;

describe('mar report in a browser', () => {
  it('draws one arrow per delivery and one mark per drop, links bugs to their sections, filters the trace, and stays offline', async () => {
    const db = path.join(dir, 'network.sqlite');
    const fuzz = await runMar(['fuzz', 'replicated-register-bug', '--seeds', '40', '--workers', '1', '--profile', 'swarm', '--db', db]);
    expect(fuzz.code).toBe(1);
    expect(fuzz.stdout).toContain(`report: mar report --campaign 1 --db ${db}`);
    const out = path.join(dir, 'network.html');
    const report = await runMar(['report', '--db', db, '--out', out]);
    expect(report.code, report.stderr).toBe(0);

    const store = FailureStore.open(db, { readonly: true });
    const bug = store.listBugs()[0]!;
    const failure = store.bugFailure(bug)!;
    store.close();
    const { page, requests, errors } = await open(out);
    const section = page.locator(`#bug-${bug.id}`);
    const original = section.locator('.run.original svg');
    expect(await original.locator('g.st-deliver').count()).toBe(count(failure.trace!, 'network.deliver'));
    expect(await original.locator('g.st-drop').count()).toBe(count(failure.trace!, 'network.drop'));
    expect(count(failure.trace!, 'network.deliver')).toBeGreaterThan(0);
    if (failure.minimizedTrace !== null) {
      const minimized = section.locator('.run.minimized svg');
      expect(await minimized.locator('g.st-deliver').count()).toBe(count(failure.minimizedTrace, 'network.deliver'));
    }

    // The bug's row links to its section.
    await page.locator(`tr.bug-row[data-bug="${bug.id}"] a`).click();
    expect(new URL(page.url()).hash).toBe(`#bug-${bug.id}`);

    // The filter box keeps only the lines that contain its text.
    const trace = failure.minimizedTrace ?? failure.trace!;
    await section.locator('input.filter').fill('network.deliver');
    const visible = await section.locator('span.tl:visible').allTextContents();
    expect(visible.length).toBe(count(trace, 'network.deliver'));
    expect(visible.every((line) => line.includes('network.deliver'))).toBe(true);
    await section.locator('input.filter').fill('');
    expect(await section.locator('span.tl:visible').count()).toBe(trace.trimEnd().split('\n').length);

    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(out).href]);
    await page.close();
  }, 120_000);

  it('marks every crash and restart of a host', async () => {
    const db = path.join(dir, 'hosts.sqlite');
    await runMar(['fuzz', 'lease-heartbeat-bug', '--seeds', '60', '--workers', '1', '--profile', 'swarm', '--db', db, '--no-minimize']);
    const store = FailureStore.open(db, { readonly: true });
    const failure = store.listFailures().map((f) => store.getFailure(f.id)!).find((f) => f.trace !== null && count(f.trace, 'host.crash') > 0);
    store.close();
    expect(failure).toBeDefined();
    const out = path.join(dir, 'hosts.html');
    expect((await runMar(['report', '--db', db, '--failure', String(failure!.id), '--out', out])).code).toBe(0);
    const { page, requests, errors } = await open(out);
    const svg = page.locator(`#failure-${failure!.id} .run.original svg`);
    expect(await svg.locator('g.st-crash').count()).toBe(count(failure!.trace!, 'host.crash'));
    expect(await svg.locator('g.st-restart').count()).toBe(count(failure!.trace!, 'host.restart'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(out).href]);
    await page.close();
  }, 120_000);
});
