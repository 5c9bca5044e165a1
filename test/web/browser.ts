import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

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

export async function newPerson(browser: Browser, viewport = { width: 1366, height: 900 }): Promise<BrowserContext> {
  return browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
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

export type { Browser, BrowserContext, Page };
