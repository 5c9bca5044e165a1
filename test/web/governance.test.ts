import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemActor } from '../../src/platform/auth/roles.js';
import { screenshots, webSuite } from './web-hub.js';
import { axeViolations } from './browser.js';

/**
 * Issue 19 items 4–6 in Chromium on the demo city: a month's replies inspected, 每月一题 proposed from the recurring
 * problems and adopted by the supervisor (tasks, progress, before/after chart, scores per unit), and the leader's
 * monthly report with its charts, print layout (A4, no app chrome) and Word download; axe-core finds nothing
 * serious or critical. Screenshots: docs/screenshots/governance.png, monthly-report.png.
 */
describe('每月一题 and the monthly report (issue 19)', { timeout: 120_000 }, () => {
  const month = new Date().toISOString().slice(0, 7);
  // the month's replies inspected before the browser opens
  const web = webSuite({
    async setup(hub) {
      const supervisor = systemActor('test', ['supervisor']);
      const { inspection } = hub.services.governance;
      let run = await inspection.startRun(supervisor, { month });
      while (run.status === 'running') {
        await new Promise((r) => setTimeout(r, 200));
        run = await inspection.run(supervisor, run.id);
      }
      expect(run.status).toBe('done');
    },
  });

  it('the supervisor adopts a recurring problem as the month’s topic and sees tasks, effect and unit scores', async () => {
    const { page, errors } = await web.signIn('supervisor');
    await page.goto(`${web.base}/#/cockpit/governance?month=${month}`);
    const adopt = page.getByTestId('gov-proposals').getByRole('button').first();
    await adopt.waitFor();
    const title = (await page.getByTestId('gov-proposals').locator('li strong').first().innerText()).trim();
    await adopt.click();
    await page.getByTestId('gov-topics').locator('article h3', { hasText: title }).waitFor();
    await page.getByTestId('gov-topics').locator('canvas').first().waitFor();
    await page.getByTestId('gov-inspection').locator('canvas').waitFor();
    expect(await page.getByTestId('gov-inspection').innerText()).toMatch(/质检 \d+ 件/);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'governance.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('a handler inspects a reply on the answer form: the citizen\'s phone is a blocking warning, the unanswered request named', async () => {
    const admin = systemActor('test', ['admin']);
    const unit = (await web.hub.services.auth.listOrgs(admin)).find((o) => o.name === '市城市管理局')!;
    const ticket = (await web.hub.services.hotline.tickets.list(admin, { status: ['in_progress'], pageSize: 100 })).items.find((x) => x.unitId === unit.id)!;
    const { page, errors } = await web.signIn('handler');
    await page.goto(`${web.base}/#/work/t/${ticket.id}`);
    await page.getByLabel('答复内容').fill('您好！已处理。请联系13812345678。');
    const panel = page.getByTestId('reply-inspection');
    await panel.getByRole('button', { name: '答复质检' }).click();
    await expect.poll(() => panel.innerText()).toContain('发出前必须修改');
    const text = await panel.innerText();
    expect(text).toContain('未回应诉求');
    expect(text).toContain('未达标');
    expect(text).not.toContain('13812345678');
    expect(await axeViolations(page)).toEqual([]);
    await panel.screenshot({ path: path.join(screenshots, 'workbench-reply-inspection.png') });
    expect(errors).toEqual([]);
  });

  it('the leader reads the monthly report, prints it on A4 without the app’s chrome and downloads it as Word', async () => {
    const { page, errors } = await web.signIn('leader');
    await page.goto(`${web.base}/#/cockpit`);
    // the inspection's mean score beside the three rates
    expect(await page.getByTestId('inspection-score').innerText()).toMatch(/答复质检均分\s+[\d.]+\s+质检 \d+ 件/);
    await page.goto(`${web.base}/#/cockpit/report?month=${month}`);
    const report = page.getByTestId('monthly-report');
    await report.locator('h1').waitFor();
    const [year, m] = month.split('-').map(Number);
    expect(await report.locator('h1').innerText()).toBe(`12345热线${year}年${m}月接诉即办工作通报`);
    await report.locator('canvas').first().waitFor();
    expect(await report.innerText()).toContain('每月一题进展');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'monthly-report.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.topbar').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: /打印/ }).isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
    const docx = await page.request.get(`${web.base}/api/hotline/report.docx?month=${month}`);
    expect(docx.status()).toBe(200);
    expect((await docx.body()).subarray(0, 2).toString()).toBe('PK');
    expect(errors).toEqual([]);
  });
});
