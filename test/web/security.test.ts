import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/platform/auth/roles.js';
import { login, type Page } from './browser.js';
import { webSuite } from './web-hub.js';

const PASSWORD = 'Security-test-2026';
const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', username: 'test-setup', roles: ['admin'] };
const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(3)</script>';
const PHONE = '13812340000';

/**
 * Issue 15 attacks on the web app, in a real chromium against a real CityHub serving the production build:
 * stored XSS through the cockpit's live-map tooltip (finding 4) and the citizen's phone in the portal's URL
 * (finding 9).
 */
describe('web app: attacks of issue 15', { timeout: 90_000 }, () => {
  let ticket: { id: string; number: string };

  const web = webSuite({
    demo: false,
    async setup(hub) {
      const { auth, hotline: { intake } } = hub.services;
      const gov = await auth.insertOrg(admin, { name: '云川市人民政府', kind: 'government' });
      const centre = await auth.insertOrg(admin, { name: '云川市12345热线中心', kind: 'department', parentId: gov.id });
      const user = (username: string, role: 'citizen' | 'agent' | 'leader', orgId: string | null) =>
        auth.insertUser(admin, { username, password: PASSWORD, displayName: `测试 ${username}`, orgId, roles: [role] });
      await user('leader1', 'leader', gov.id);
      await user('agent1', 'agent', centre.id);
      const citizen = await user('citizen1', 'citizen', null);

      // An entity anyone who can publish to the broker could plant: its name is markup.
      const writer = (await hub.loginAs(['data_admin'], gov.id)).cookie;
      const created = await hub.http.inject({
        method: 'POST', url: '/ngsi-ld/v1/entities', headers: { cookie: writer, 'content-type': 'application/json' },
        payload: {
          id: 'urn:ngsi-ld:Streetlight:xss-1', type: 'Streetlight',
          name: { type: 'Property', value: IMG },
          location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.9, 28.2] } },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      // A ticket whose title and content are markup, filed by a citizen (shown to staff and on the public lookup).
      const citizenActor: Actor = { kind: 'user', id: citizen.id, roles: ['citizen'] };
      ticket = await intake.create(citizenActor, { title: `${SCRIPT}路灯不亮`, content: `${IMG} 小区门口`, channel: 'web', citizenPhone: PHONE });
    },
  });


  /** A page that records every dialog (alert/confirm/prompt) a script opens, and dismisses it. */
  const person = async (viewport?: { width: number; height: number }) => {
    const { page, errors } = await web.open({ viewport });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const requests: { method: string; url: string; body: string | null }[] = [];
    page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() }));
    return { page, dialogs, requests, errors };
  };

  /**
   * Where the live-map point is drawn: the map canvas is read back and the pixels of the point's orange (blended
   * over the district colours) are averaged. ECharts draws on a canvas, so there is no element to hover.
   */
  const livePoint = async (page: Page): Promise<{ x: number; y: number } | null> =>
    page.evaluate(() => {
      const canvas = document.querySelector('.map-panel canvas') as HTMLCanvasElement | null;
      if (!canvas) return null;
      const ctx = canvas.getContext('2d');
      if (!ctx) return null;
      const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let sx = 0;
      let sy = 0;
      let n = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 4;
          const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
          if (a > 200 && r - g > 15 && r - b > 50 && !(r > 240 && g > 190)) {
            sx += x;
            sy += y;
            n++;
          }
        }
      }
      if (n === 0) return null;
      const rect = canvas.getBoundingClientRect();
      const scale = canvas.width / rect.width;
      return { x: rect.left + sx / n / scale, y: rect.top + sy / n / scale };
    });

  it('finding 4: an entity named <img src=x onerror=alert(1)> shows as text in the cockpit tooltip and runs nothing', async () => {
    const { page, dialogs, errors } = await person();
    await login(page, web.base, 'leader1', PASSWORD);
    expect(page.url()).toContain('#/cockpit');
    await expect.poll(() => page.getByTestId('live-city').innerText()).toContain('路灯'); // Streetlight, by its name
    let at: { x: number; y: number } | null = null;
    await expect.poll(async () => (at = await livePoint(page)) !== null, { timeout: 20_000 }).toBe(true);
    const tooltip = page.locator('.map-panel div').filter({ hasText: 'xss-1' }).last();
    // hover the point (and around it, a pixel or two either way) until the tooltip shows
    await expect.poll(async () => {
      for (const [dx, dy] of [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]]) {
        await page.mouse.move(at!.x + dx, at!.y + dy);
        if (await tooltip.isVisible()) return true;
      }
      await page.mouse.move(0, 0);
      return false;
    }, { timeout: 20_000 }).toBe(true);
    // shown literally, as text: no element was made from it, nothing ran
    expect(await tooltip.textContent()).toContain(`name=${IMG}`);
    expect(await tooltip.locator('img').count()).toBe(0);
    await page.waitForTimeout(1000); // an onerror would fire as soon as the broken image failed to load
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => document.querySelectorAll('.map-panel img').length)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('finding 4: a ticket titled <script> shows as text in the workbench and on the public lookup', async () => {
    const { page, dialogs } = await person();
    await login(page, web.base, 'agent1', PASSWORD);
    const row = page.locator('tr', { hasText: ticket.number });
    await row.waitFor();
    expect(await row.innerText()).toContain(`${SCRIPT}路灯不亮`);
    await row.getByRole('link', { name: ticket.number }).click();
    const heading = page.getByRole('heading', { name: /路灯不亮/ });
    await heading.waitFor();
    expect(await heading.innerText()).toContain(`${SCRIPT}路灯不亮`);
    expect(await page.locator('main').innerText()).toContain(`${IMG} 小区门口`);
    expect(await page.evaluate(() => document.querySelectorAll('main script, main img').length)).toBe(0);
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('finding 9: the portal tracks by POST and never puts the phone in the URL, from the form, from "my appeals" and from an old link', async () => {
    const { page, dialogs, requests } = await person({ width: 390, height: 844 });
    await page.goto(`${web.base}/#/portal/track`);
    await page.getByLabel('工单编号').fill(ticket.number);
    await page.getByLabel('提交时的手机号码').fill(PHONE);
    await page.getByRole('button', { name: '查询' }).click();
    const card = page.getByTestId('tracked');
    await card.waitFor();
    expect(await card.innerText()).toContain(ticket.number);
    expect(await card.innerText()).toContain(`${SCRIPT}路灯不亮`); // the title, as text
    expect(page.url()).toBe(`${web.base}/#/portal/track?number=${ticket.number}`);
    const lookups = requests.filter((r) => r.url.includes('/api/hotline/track'));
    expect(lookups.map((r) => r.method)).toEqual(['POST']);
    expect(JSON.parse(lookups[0].body!)).toEqual({ number: ticket.number, phone: PHONE });
    // An old link or bookmark with the phone: the lookup still works, and the phone leaves the address bar.
    await page.goto(`${web.base}/#/portal/track?number=${ticket.number}&phone=${PHONE}`);
    await page.getByTestId('tracked').waitFor();
    await expect.poll(() => page.url()).toBe(`${web.base}/#/portal/track?number=${ticket.number}`);

    // The citizen's own list links to the lookup with the number only.
    await page.goto(`${web.base}/#/portal/mine`);
    await page.getByLabel('用户名').fill('citizen1');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    const link = page.getByTestId('mine').getByRole('link', { name: ticket.number });
    expect(await link.getAttribute('href')).toBe(`#/portal/track?number=${ticket.number}`);
    await link.click();
    await page.getByTestId('tracked').waitFor();
    expect(page.url()).not.toContain(PHONE);
    for (const r of requests) expect(r.url, `${r.method} ${r.url}`).not.toContain(PHONE);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
