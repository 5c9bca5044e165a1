import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.js';
import { screenshots, webSuite } from './web-hub.js';
import { axeViolations } from './browser.js';

/**
 * The security and audit administrators' screens (issue 21) in real Chromium against a CityHub on PGlite: the
 * security administrator's policy form (the server's refusals shown beside each field, a saved policy in force),
 * the alerts pushed to the open screen as a prober is refused, with the chart of denials per hour and per day;
 * the audit administrator's trail with filters in the URL, paging and export; each screen refused to the other
 * roles with a plain page. Screenshots docs/screenshots/security-desk-*.png (docs/security.md).
 */
describe('web: the security and audit desk', { timeout: 60_000 }, () => {
  const web = webSuite({ demo: false });

  /** A signed-in person of these roles (a second factor enrolled and used where the roles need one). */
  const open = async (roles: Role[]) => {
    const { cookie } = await web.hub.loginAs(roles);
    return web.open({
      timeout: 15_000,
      async prepare(context) {
        await context.addCookies(cookie.split('; ').map((c) => {
          const [name, ...value] = c.split('=');
          return { name, value: value.join('='), url: web.base };
        }));
        // the app asks /api/auth/me only in a browser that logged in before
        await context.addInitScript(() => localStorage.setItem('cityhub.session', '1'));
      },
    });
  };
  const refuse = async (times: number, address: string) => {
    for (let i = 0; i < times; i++) expect((await web.hub.http.inject({ url: '/api/keys', remoteAddress: address })).statusCode).toBe(401);
    await web.hub.services.audit.flush();
  };

  it('security administrator: the policy form shows the server\'s refusal beside each field, then saves a stricter policy that is in force', async () => {
    const { page, errors } = await open(['security_admin']);
    await page.goto(`${web.base}/#/security/policy`);
    const minLength = page.getByLabel('最短长度（字符）');
    const idle = page.getByLabel('空闲超时（分钟）');
    await expect.poll(() => minLength.inputValue()).toBe('8');
    expect(await page.getByTestId('policy-version').innerText()).toContain('从未修改');
    // below the standard's floor: refused by the server, each field named beside its box
    await minLength.fill('6');
    await idle.fill('0');
    await page.getByRole('button', { name: '保存策略' }).click();
    await page.locator('[data-field="/body/password/minLength"]').waitFor();
    await page.locator('[data-field="/body/session/idleMinutes"]').waitFor();
    expect(await minLength.getAttribute('aria-invalid')).toBe('true');
    expect(await idle.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('口令有效期（天）').getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('[data-field="/body/password/minLength"]').innerText()).toBe('不能小于 8');
    expect(await page.getByRole('alert').first().innerText()).not.toMatch(/VALIDATION_FAILED|\b400\b/);
    expect((await web.hub.http.inject({ url: '/api/security/policy', headers: { cookie: (await web.hub.loginAs(['audit_admin'])).cookie } })).json().version).toBe(0);
    await page.screenshot({ path: path.join(screenshots, 'security-desk-policy-errors.png'), fullPage: true });
    // in English, the same refusal in the validator's words
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('[data-field="/body/password/minLength"]').innerText()).toBe('must be >= 8');
    expect(await page.getByLabel('Minimum length (characters)').inputValue()).toBe('6');
    await page.getByRole('button', { name: '中文' }).click();

    await minLength.fill('12');
    await idle.fill('15');
    await page.getByLabel('异常读取阈值（次）').fill('50');
    await page.getByRole('button', { name: '保存策略' }).click();
    await page.getByText('已保存，第 1 版已生效。').waitFor();
    expect(await minLength.getAttribute('aria-invalid')).toBeNull();
    await expect.poll(async () => page.getByTestId('policy-version').innerText()).toContain('当前版本: 1');
    // stored as version 1 and read back as saved
    const view = (await web.hub.http.inject({ url: '/api/security/policy', headers: { cookie: (await web.hub.loginAs(['audit_admin'])).cookie } })).json();
    expect(view.policy).toMatchObject({ password: { minLength: 12 }, session: { idleMinutes: 15 }, alerts: { readThreshold: 50 } });
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'security-desk-policy.png'), fullPage: true });
    // the browser logs the refused PUT's status line; nothing else
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('security administrator: an alert pushed to the open screen as a prober is refused; the chart by hour and by day', async () => {
    const { page, errors } = await open(['security_admin']);
    await page.goto(`${web.base}/#/security`);
    await page.locator('#sec-alerts').waitFor();
    await page.getByTestId('alerts-none').waitFor();
    await page.locator('.security-desk canvas').first().waitFor();
    // 12 refusals from one address (threshold 10 in 15 minutes): the row appears without a reload
    await refuse(12, '203.0.113.66');
    const row = page.getByTestId('alert-table').locator('tr', { hasText: '203.0.113.66' });
    await row.waitFor({ timeout: 20_000 });
    expect(await row.innerText()).toContain('反复被拒绝');
    expect(await row.innerText()).toMatch(/1[2-9] \/ 10/);
    await expect.poll(async () => Number(/拒绝访问 (\d+)/.exec(await page.getByTestId('activity-total').innerText())?.[1])).toBeGreaterThanOrEqual(12);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'security-desk-alerts.png'), fullPage: true });

    await page.getByRole('button', { name: '按天（30 天）' }).click();
    await page.waitForFunction(() => location.hash.includes('bucket=day'));
    await expect.poll(async () => page.getByTestId('activity-total').innerText()).toMatch(/拒绝访问 (1[2-9]|[2-9]\d)/);
    expect(await page.getByRole('button', { name: '按天（30 天）' }).getAttribute('aria-pressed')).toBe('true');
    // a server without the long-poll feed answers its one call 404 and the screen asks /alerts every 10 s instead
    const feed = web.hub.http.hasRoute({ method: 'GET', url: '/api/audit/alerts/feed' });
    expect(errors.filter((e) => feed || !/status of 404/.test(e))).toEqual([]);
  });

  it('audit administrator: the trail with filters in the URL, paging and export', async () => {
    // more than a page of records (each address writes at most audit.deniedPerMinute, 30, then one burst entry)
    await refuse(30, '198.51.100.23');
    await refuse(30, '198.51.100.24');
    const { page, errors } = await open(['audit_admin']);
    await page.goto(`${web.base}/#/security`);
    const table = page.getByTestId('trail-table');
    await table.waitFor();
    // only the auditor's own screen is offered
    expect(await page.locator('.security-desk nav.tabs a').allInnerTexts()).toEqual(['审计记录']);
    await expect.poll(async () => page.getByTestId('retention').innerText()).toContain('180');

    await page.getByLabel('类型（前缀）').fill('audit.access');
    await page.getByLabel('起始时间').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: '查询', exact: true }).click();
    await page.waitForFunction(() => location.hash.includes('kind=audit.access') && location.hash.includes('from='));
    const kinds = () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.kind ?? ''));
    await expect.poll(async () => (await kinds()).every((k) => k.startsWith('audit.access.'))).toBe(true);
    expect(await table.locator('tbody tr').count()).toBe(50);
    const firstIndex = Number(await table.locator('tbody tr td').first().innerText());
    await page.getByRole('button', { name: '更早的记录' }).click();
    await page.waitForFunction(() => location.hash.includes('before='));
    await expect.poll(async () => Number(await table.locator('tbody tr td').first().innerText())).toBeLessThan(firstIndex - 49);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: '最新' }).click();
    await expect.poll(async () => Number(await table.locator('tbody tr td').first().innerText())).toBe(firstIndex);
    await page.screenshot({ path: path.join(screenshots, 'security-desk-trail.png'), fullPage: true });

    // the export covers the period filtered, as CSV the auditor's browser downloads with the session
    const csvHref = (await page.getByTestId('export-csv').getAttribute('href'))!;
    expect(csvHref).toContain('from=2019-12-31T16%3A00%3A00.000Z'); // 2020-01-01 00:00 in Shanghai
    const csv = await page.evaluate(async (url) => { const r = await fetch(url); return { type: r.headers.get('content-type'), text: await r.text() }; }, csvHref);
    expect(csv.type).toContain('text/csv');
    expect(csv.text).toContain('198.51.100.23');
    expect(csv.text.split('\r\n')[0]).toContain('index,time,kind,actor,subject,address,facts');
    expect(errors).toEqual([]);
  });

  it('each screen is refused to the other roles with a plain page naming the role it needs', async () => {
    const auditor = await open(['audit_admin']);
    for (const screen of ['policy', 'alerts']) {
      await auditor.page.goto(`${web.base}/#/security/${screen}`);
      const refusal = auditor.page.getByTestId('forbidden');
      await refusal.waitFor();
      expect(await refusal.innerText()).toContain('安全管理员');
      expect(await auditor.page.locator('.policy-form, #sec-alerts').count()).toBe(0);
    }
    const security = await open(['security_admin']);
    await security.page.goto(`${web.base}/#/security/trail`);
    expect(await security.page.getByTestId('forbidden').innerText()).toContain('审计管理员');
    expect(await security.page.getByTestId('trail-table').count()).toBe(0);
    expect(await axeViolations(security.page)).toEqual([]);
    await security.page.screenshot({ path: path.join(screenshots, 'security-desk-forbidden.png'), fullPage: true });
    // the system administrator (三员分立) and a citizen get the same plain refusal for the whole desk
    for (const roles of [['admin'], ['citizen']] as Role[][]) {
      const other = await open(roles);
      await other.page.goto(`${web.base}/#/security/policy`);
      expect(await other.page.getByTestId('forbidden').innerText()).toContain('此页面需要以下角色之一');
      expect(other.errors).toEqual([]);
    }
    expect([...auditor.errors, ...security.errors]).toEqual([]);
  });
});
