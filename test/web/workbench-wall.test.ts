import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/server/demo-city.js';
import { screenshots, webSuite } from './web-hub.js';
import { axeViolations, login, type Page } from './browser.js';

/**
 * Issue 17 in a real Chromium on the demo city: the workbench (queues scoped to the unit with counts, filters and
 * sorting, no closed ticket in an action queue, 督办 with a level and a deadline offered once, "next ticket", merge
 * by search, assist without the ticket itself, layouts that hold long titles and URLs, the sharing inbox's field
 * labels, the model's per-class figures) and the wall at 1920×1080 and 3840×2160 (nothing outside the screen, no
 * scrollbar, full screen, a read-only district drill-down); axe-core finds no serious or critical violation on
 * any of these pages. Screenshots: docs/screenshots/workbench-*.png, cockpit-*.png.
 */
describe('workbench and wall (issue 17)', { timeout: 90_000 }, () => {
  const web = webSuite();
  const open = (user: string, viewport?: { width: number; height: number }) => web.signIn(user, { viewport });
  const noHorizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const expectAccessible = async (page: Page) => expect(await axeViolations(page)).toEqual([]);

  it("the handler's 待签收 holds only their unit's tickets, with counts; an action offers the next ticket", async () => {
    const { page, errors } = await open('handler');
    await page.goto(`${web.base}/#/work?queue=to_sign`);
    const rows = page.locator('table.tickets tbody tr');
    await rows.first().waitFor();
    const count = Number(await page.getByTestId('count-to_sign').innerText());
    expect(count).toBeGreaterThan(0);
    // every listed ticket is the handler's unit's (市城市管理局)
    const units = await page.locator('table.tickets tbody tr td:nth-child(5)').allInnerTexts();
    expect(new Set(units)).toEqual(new Set(['市城市管理局']));
    await expectAccessible(page);
    await page.screenshot({ path: path.join(screenshots, 'workbench-handler-queue.png') });
    await rows.first().locator('td.num a').click();
    await page.locator('form[data-action="accept"]').waitFor();
    await expectAccessible(page);
    await page.locator('form[data-action="accept"] button[type="submit"]').click();
    await page.getByTestId('next-ticket').waitFor();
    await page.getByTestId('next-ticket').click();
    await page.locator('form[data-action="accept"]').waitFor();
    expect(errors).toEqual([]);
  });

  it('the supervisor: 超期 holds no closed ticket; filters and sorting; 督办 with a level and a deadline, once', async () => {
    const { page, errors } = await open('supervisor');
    await page.goto(`${web.base}/#/work?queue=overdue`);
    await page.locator('table.tickets tbody tr').first().waitFor();
    const statuses = await page.locator('table.tickets [data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 'closed' || s === 'merged')).toEqual([]);
    // district filter and the nearest deadline first
    const district = await page.getByTestId('filter-district').locator('option').nth(1).getAttribute('value');
    await page.getByTestId('filter-district').selectOption(district!);
    await page.getByTestId('sort').selectOption('due');
    await page.waitForFunction(() => location.hash.includes('sort=due') && location.hash.includes('areaId='));
    await page.locator('table.tickets tbody tr').first().waitFor();
    await expectAccessible(page);
    await page.screenshot({ path: path.join(screenshots, 'workbench-supervisor-overdue.png') });

    // a ticket not yet supervised: 督办 with level and deadline, then no second 督办
    const target = page.locator('table.tickets tbody tr').filter({ hasNot: page.locator('.badge.amber') }).first();
    await target.locator('td.num a').click();
    const form = page.locator('form[data-action="supervise"]');
    await form.waitFor();
    await form.getByLabel('督办级别').selectOption('key');
    const due = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await form.getByLabel('督办时限').fill(due);
    await expectAccessible(page);
    await form.locator('button[type="submit"]').click();
    await page.getByTestId('supervision').waitFor();
    expect(await page.getByTestId('supervision').innerText()).toContain('重点督办');
    await expect.poll(() => page.locator('form[data-action="supervise"]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('long titles, words and URLs keep every page within the screen (desktop and phone)', async () => {
    const longWord = '超长无空格词'.repeat(30);
    const url = `https://example.org/${'a'.repeat(300)}?q=${'b'.repeat(200)}`;
    const { cookie } = await web.hub.loginAs(['agent']);
    const res = await web.hub.http.inject({
      method: 'POST', url: '/api/hotline/tickets', headers: { cookie },
      payload: { title: `${longWord}的路灯问题`, content: `详见 ${url} ${longWord}`, channel: 'phone', lon: 112.95, lat: 28.2 },
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json() as { id: string; number: string };
    for (const viewport of [{ width: 1366, height: 900 }, { width: 390, height: 844 }]) {
      const { page, errors } = await open('agent', viewport);
      await page.goto(`${web.base}/#/work?queue=intake`);
      await page.locator('table.tickets tbody tr').first().waitFor();
      expect(await noHorizontalOverflow(page)).toBe(true);
      if (created) {
        await page.goto(`${web.base}/#/work/t/${created.id}`);
        await page.locator('#detail-title').waitFor();
        await page.getByTestId('assist').locator('h3').first().waitFor();
        // the pin on the ticket: the map with the ticket's place
        await page.getByTestId('ticket-pin').locator('.map-pin').waitFor();
        expect(await noHorizontalOverflow(page)).toBe(true);
        // the assist never proposes the ticket itself
        expect(await page.getByTestId('assist').innerText()).not.toContain(created.number);
        await expectAccessible(page);
        if (viewport.width > 1000) await page.screenshot({ path: path.join(screenshots, 'workbench-long-title.png') });
      }
      if (viewport.width < 500) await page.screenshot({ path: path.join(screenshots, 'workbench-phone.png') });
      expect(errors).toEqual([]);
    }
  });

  it('merge by searching, the sharing inbox with field labels and grades, the per-class figures', async () => {
    const { page, errors } = await open('agent');
    await page.goto(`${web.base}/#/work?queue=intake`);
    await page.locator('table.tickets tbody tr').first().locator('td.num a').click();
    const merge = page.locator('form[data-action="merge"]');
    await merge.waitFor();
    await merge.getByLabel('搜索主工单（编号或标题）').fill('路');
    await merge.locator('input[type="radio"]').first().waitFor();
    expect(await merge.locator('button[type="submit"]').isDisabled()).toBe(true);
    await merge.locator('input[type="radio"]').first().check();
    expect(await merge.locator('button[type="submit"]').isDisabled()).toBe(false);
    expect(errors).toEqual([]);

    const admin = await open('data_admin');
    await admin.page.goto(`${web.base}/#/work/share?box=all`);
    await admin.page.locator('[data-field="id_number"]').first().waitFor();
    const label = await admin.page.locator('[data-field="id_number"]').first().innerText();
    expect(label).toContain('公民身份号码');
    expect(label).toMatch(/重要数据|核心数据|一般数据/);
    expect(label).toContain('敏感个人信息');
    await expectAccessible(admin.page);
    await admin.page.screenshot({ path: path.join(screenshots, 'workbench-share-inbox.png') });
    await admin.page.goto(`${web.base}/#/work/intel`);
    await admin.page.getByTestId('models').waitFor();
    await admin.page.getByTestId('holdout-note').waitFor();
    await expectAccessible(admin.page);
    expect(admin.errors).toEqual([]);
  });

  for (const [width, height, name] of [[1920, 1080, 'cockpit-wall-1080.png'], [3840, 2160, 'cockpit-wall-4k.png']] as const) {
    it(`the wall at ${width}×${height}: nothing outside the screen, no scrollbar${width === 1920 ? ', full screen, drill-down' : ''}`, async () => {
      const { page, errors } = await open('leader', { width, height });
      const asked: string[] = [];
      page.on('request', (r) => asked.push(new URL(r.url()).pathname));
      await page.goto(`${web.base}/#/cockpit?wall=1`);
      await page.getByTestId('wall').waitFor();
      await expect.poll(async () => Number(await page.getByTestId('visited').innerText().catch(() => '0'))).toBeGreaterThan(0);
      await page.getByTestId('live-city').locator('li').first().waitFor();
      await page.waitForTimeout(400); // the charts' first frame
      const box = await page.evaluate(() => {
        const out: string[] = [];
        const vw = window.innerWidth;
        const vh = window.innerHeight;
        for (const el of document.querySelectorAll('.wall-stage, .wall-stage > *, .wall-panel, .wall-map')) {
          const r = el.getBoundingClientRect();
          if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5) out.push(`${el.className} ${JSON.stringify(r)}`);
        }
        const h1 = document.querySelector('.wall-head h1')!;
        return {
          outside: out,
          scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight, vw, vh],
          title: h1.getBoundingClientRect().height,
        };
      });
      expect(box.outside).toEqual([]);
      expect(box.scroll[0]).toBeLessThanOrEqual(box.scroll[2]);
      expect(box.scroll[1]).toBeLessThanOrEqual(box.scroll[3]);
      // the stage scales with the screen: the title is twice as tall on 4K as on 1080p
      expect(box.title).toBeGreaterThan(height === 2160 ? 60 : 30);
      // live IoT: real type names and true counts (1,500 streetlights, no "100+")
      const live = await page.getByTestId('live-city').innerText();
      expect(live).toContain('路灯');
      expect(live).not.toContain('100+');
      expect(live).toMatch(/亮灯 \d+%/); // a live value: the share of streetlights on
      // the map's layers with a legend: tickets by district, their heat, the overdue open ones, live IoT values on the points
      const legend = await page.getByTestId('map-legend').innerText();
      for (const layer of ['工单量', '工单热力', '超期未结工单', '路灯']) expect(legend).toContain(layer);
      await expect.poll(() => page.locator('.map-value').count()).toBeGreaterThan(0);
      // departments apart from districts
      expect(await page.getByTestId('rank-departments').innerText()).not.toMatch(/区人民政府|区政府/);
      expect(asked).not.toContain('/openapi.json');
      await expectAccessible(page);
      await page.screenshot({ path: path.join(screenshots, name) });

      expect(errors).toEqual([]);
      if (width !== 1920) return; // full screen and the drill-down do not depend on the size: once is enough

      // the browser's real full screen (Fullscreen API)
      await page.getByTestId('wall-fullscreen').click();
      await expect.poll(() => page.evaluate(() => !!document.fullscreenElement)).toBe(true);
      await page.getByTestId('wall-fullscreen').click();
      await expect.poll(() => page.evaluate(() => !!document.fullscreenElement)).toBe(false);

      // a district's read-only detail on the wall: no link to a page the leader may not open
      await page.getByTestId('rank-districts').locator('button').first().click();
      const drill = page.getByTestId('drill');
      await drill.waitFor();
      expect(await drill.locator('a[href]').count()).toBe(0);
      const drillBox = await drill.boundingBox();
      expect(drillBox!.y + drillBox!.height).toBeLessThanOrEqual(height);
      await page.screenshot({ path: path.join(screenshots, 'cockpit-wall-drill.png') });
      await page.keyboard.press('Escape');
      await expect.poll(() => drill.count()).toBe(0);
      expect(errors).toEqual([]);
    });
  }

  it('the cockpit page: departments and districts apart, a drill-down instead of a link, no /openapi.json', async () => {
    const { page, errors } = await open('leader', { width: 1440, height: 1000 });
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(`${web.base}/#/cockpit`);
    await page.getByTestId('visited').waitFor();
    await page.getByTestId('rank-districts').locator('button').first().click();
    await page.getByTestId('drill').waitFor();
    expect(page.url()).toContain('#/cockpit');
    expect(asked).not.toContain('/openapi.json');
    await expectAccessible(page);
    await page.screenshot({ path: path.join(screenshots, 'cockpit-page.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('axe-core on the other pages: home, login, the portal (phone), a citizen filing, the catalogue, the track page', async () => {
    const { page } = await web.open({ viewport: { width: 390, height: 844 } });
    const seen: Record<string, unknown> = {};
    for (const [name, hash, ready] of [
      ['home', '#/', 'a[href="#/portal"]'], ['login', '#/login', 'input[type="password"]'], ['portal', '#/portal', 'main h1'],
    ] as const) {
      await page.goto(`${web.base}/${hash}`);
      await page.locator(ready).first().waitFor();
      seen[name] = await axeViolations(page);
    }
    await login(page, web.base, 'citizen', DEMO_PASSWORD);
    for (const [name, hash] of [['filing', '#/portal/new'], ['mine', '#/portal/mine'], ['catalog', '#/portal/data'], ['track', '#/portal/track']] as const) {
      await page.goto(`${web.base}/${hash}`);
      await page.locator('main h1, main h2').first().waitFor();
      await page.waitForTimeout(300);
      seen[name] = await axeViolations(page);
    }
    expect(seen).toEqual({ home: [], login: [], portal: [], filing: [], mine: [], catalog: [], track: [] });
  });

  it('serves compressed, cached assets: hashed files immutable, index.html revalidated', async () => {
    const index = await fetch(`${web.base}/`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${web.base}${script}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-encoding')).toBe('br');
    const api = await fetch(`${web.base}/api/hotline/categories`, { headers: { 'accept-encoding': 'gzip' } });
    expect(api.status).toBeLessThan(500);
    const caps = await (await fetch(`${web.base}/api/capabilities`)).json();
    expect(caps.modules).toEqual(expect.arrayContaining(['hotline', 'intel', 'context']));
  });
});
