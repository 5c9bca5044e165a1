import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/server/demo-city.js';
import { screenshots, webSuite } from './web-hub.js';
import { login } from './browser.js';

/**
 * Each face of the production build on the seeded demo city: it shows its data, logs no console error, and
 * leaves a screenshot in docs/screenshots/ (linked from the README).
 */
describe('web app faces on the demo city', { timeout: 60_000 }, () => {
  const web = webSuite();

  it('home and portal (phone width), anonymous and logged in', async () => {
    const { page, errors } = await web.open({ viewport: { width: 390, height: 844 } });
    await page.goto(`${web.base}/`);
    await page.getByRole('link', { name: /市民服务/ }).first().waitFor();
    await page.goto(`${web.base}/#/portal`);
    await page.getByText('提交诉求前请先登录').waitFor();
    await login(page, web.base, 'citizen', DEMO_PASSWORD);
    await page.goto(`${web.base}/#/portal/new`);
    await page.getByLabel('大类').locator('option').nth(3).waitFor({ state: 'attached' });
    await page.getByLabel('标题').fill('小区门口路灯不亮');
    await page.getByLabel('诉求内容').fill('幸福小区东门路灯连续三晚不亮，夜间出行不便。');
    await page.screenshot({ path: path.join(screenshots, 'portal.png'), fullPage: true });
    await page.getByRole('button', { name: 'English' }).dispatchEvent('click');
    await page.getByRole('heading', { name: '12345 citizen appeals' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('workbench: the supervisor sees the overdue queue with red countdowns', async () => {
    const { page, errors } = await web.signIn('supervisor', { timeout: 30_000 });
    await page.goto(`${web.base}/#/work?queue=overdue`);
    const rows = page.locator('table.tickets tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await page.locator('table.tickets .badge.red').count()).toBeGreaterThan(0);
    // keyboard: j moves the cursor, Enter opens the ticket
    await page.locator('body').press('j');
    await page.locator('body').press('Enter');
    await page.getByTestId('timeline').waitFor();
    await page.goBack();
    await rows.first().waitFor();
    await page.screenshot({ path: path.join(screenshots, 'workbench-queue.png') });
    expect(errors).toEqual([]);
  });

  it('cockpit: rates, rankings and the district map', async () => {
    const { page, errors } = await web.signIn('leader', { viewport: { width: 1440, height: 1000 }, timeout: 30_000 });
    expect(page.url()).toContain('#/cockpit');
    await page.getByTestId('visited').waitFor();
    expect(Number(await page.getByTestId('visited').innerText())).toBeGreaterThan(0);
    expect(await page.getByTestId('rates').innerText()).toMatch(/\d+\.\d%/);
    await expect.poll(() => page.getByTestId('rank-departments').locator('li').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('rank-districts').locator('li').count()).toBeGreaterThan(0);
    const density = page.getByTestId('district-counts');
    await expect.poll(() => density.locator('tbody tr').count()).toBe(5);
    await page.waitForTimeout(300); // the charts' first frame
    await page.screenshot({ path: path.join(screenshots, 'cockpit.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
