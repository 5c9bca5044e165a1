import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { chromiumPath, launchBrowser, newPerson, watchConsole, type Browser } from '../web/browser.js';

// CI installs chromium (test/web); without it here the check is skipped, with CI=true it must run.
const haveBrowser = existsSync(chromiumPath) || process.env.CI === 'true';

describe.skipIf(!haveBrowser)('finding 10b: the Swagger UI in a browser under the CSP [pglite]', { timeout: 120_000 }, () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    hub = await createTestHub('pglite');
    await hub.http.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(hub.http.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('finding 10b: /docs renders every operation with no CSP violation and no console error', async () => {
    const page = await (await newPerson(browser)).newPage();
    const errors = watchConsole(page);
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const res = await page.goto(`${base}/docs/`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  });
});
