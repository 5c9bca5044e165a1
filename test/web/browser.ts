import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's chromium (CI's .ci/run installs it with fonts-wqy-microhei so Chinese renders). */
export const chromiumPath = process.env.CITYHUB_CHROMIUM ?? '/usr/bin/chromium';

const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/**
 * A fresh headless chromium; playwright gives it a new temporary profile (user-data-dir) and removes it at close.
 * Each `newContext()` is a separate person with their own cookies.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args, headless: true });
}

/** A person in Shanghai reading Chinese, at a laptop's size unless given; `more` adds context options (geolocation…). */
export async function newPerson(browser: Browser, viewport = { width: 1366, height: 900 }, more: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...more });
}

/** Console errors and page errors of a page, collected from its start. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url ?? ''}`); });
  page.on('pageerror', (e) => (process.env.CITYHUB_WEB_DEBUG && console.log('PAGEERROR', page.url(), e.stack), errors.push(`${String(e)} at ${page.url()}\n${e.stack ?? ''}`)));
  return errors;
}

/** Logs in through the login page and waits for the landing face. */
export async function login(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/#/login`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
}

/**
 * In a describe block: a failing test leaves a screenshot of the page `current()` returns (its path in the log).
 *
 * @example let current: Page | null = null; screenshotOnFailure(() => current);
 */
export function screenshotOnFailure(current: () => Page | null): void {
  afterEach(async (ctx) => {
    const page = current();
    if (ctx.task.result?.state !== 'fail' || !page || page.isClosed()) return;
    const file = path.join(tmpdir(), `cityhub-web-fail-${Date.now()}.png`);
    // The screenshot only helps diagnose the failure already reported; a page that cannot take one adds nothing.
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    console.log(`screenshot of the failing page: ${file}`);
  });
}

/** An accessibility problem axe-core found: the rule, its impact and where. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let axeSource: string | null = null;

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page as it is now and returns its violations of the given impacts
 * (default: serious and critical). axe is evaluated through the DevTools protocol, so the app's Content Security
 * Policy (no inline scripts) does not stop it and the app ships nothing for it.
 *
 * @example expect(await axeViolations(page)).toEqual([]);
 */
export async function axeViolations(page: Page, impacts: readonly string[] = ['serious', 'critical']): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => String(n.target.join(' '))) }));
  });
  return found.filter((v) => impacts.includes(v.impact ?? ''));
}

export type { Browser, BrowserContext, BrowserContextOptions, Page };
