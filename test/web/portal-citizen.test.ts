import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/platform/auth/roles.js';
import { png } from '../support/images.js';
import { axeViolations, login, type Page } from './browser.js';
import { screenshots, webSuite } from './web-hub.js';

const PASSWORD = 'Citizen-loop-2026';
const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', username: 'test-setup', roles: ['admin'] };
/** Where the citizen's phone says they are: in 临江区, nearest to the 东港街道 centre. */
const HERE = { longitude: 112.81, latitude: 28.21 };

/**
 * Issue 17 in a real chromium, on a phone (390×844) and a desktop: map-first filing (the offline basemap, locate me,
 * drag the pin, the street from the server, nearby appeals with +1, the category cascade, photos — an SVG refused —
 * name and phone prefilled), then the citizen loop (我的诉求 without the phone in the URL, the stepper with the unit
 * and deadline, a 不满意 rating with a comment that sends it back, notices, a plain-language error) and English.
 */
describe('web app: map-first filing and the citizen loop', { timeout: 90_000 }, () => {
  const consoleErrors: string[] = [];
  let agent: Actor;
  let handler: Actor;
  let unitName = '';
  let filedNumber = '';

  const web = webSuite({
    demo: false,
    async setup(hub) {
      const { auth, hotline: { reference, intake } } = hub.services;
      const gov = await auth.insertOrg(admin, { name: '云川市人民政府', kind: 'government' });
      const centre = await auth.insertOrg(admin, { name: '云川市12345热线中心', kind: 'department', parentId: gov.id });
      const unit = await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov.id });
      unitName = unit.name;
      const user = (username: string, role: 'citizen' | 'agent' | 'handler', orgId: string | null, displayName = `测试 ${username}`) =>
        auth.insertUser(admin, { username, password: PASSWORD, displayName, orgId, roles: [role] });
      const citizen = await user('citizen1', 'citizen', null, '演示用户 citizen');
      const neighbour = await user('citizen2', 'citizen', null);
      agent = { kind: 'user', id: (await user('agent1', 'agent', centre.id)).id, orgId: centre.id, roles: ['agent'] };
      handler = { kind: 'user', id: (await user('handler1', 'handler', unit.id)).id, orgId: unit.id, roles: ['handler'] };
      // the demo's 临江区 and its streets, centred where the offline basemap draws them
      const district = await reference.createArea(admin, { name: '临江区', centerLon: 112.8, centerLat: 28.22 });
      for (const [i, name] of ['滨江街道', '望湖街道', '东港街道', '柳岸街道'].entries()) {
        await reference.createArea(admin, { name, parentId: district.id, centerLon: 112.8 + (i - 1.5) * 0.02, centerLat: 28.22 + ((i % 2) - 0.5) * 0.025 });
      }
      await reference.createCategory(admin, { level1: '城乡建设', level2: '市政设施', level3: '路灯故障' });
      await reference.createCategory(admin, { level1: '城乡建设', level2: '市政设施', level3: '道路破损' });
      const leaf = (await reference.listCategories(admin)).find((c) => c.level3 === '路灯故障')!;
      await reference.createRule(admin, { categoryId: leaf.id, unitId: unit.id });
      const as = (id: string): Actor => ({ kind: 'user', id, roles: ['citizen'] });
      // an earlier appeal of citizen1 (their contact prefills the next) and a neighbour's open one close by
      await intake.create(as(citizen.id), { title: '井盖松动', content: '小区门口井盖松动', citizenName: '李女士', citizenPhone: '13812345678', lon: 112.79, lat: 28.23 });
      await intake.create(as(neighbour.id), { title: '东港路路灯不亮', content: '东港路口路灯不亮三天了', citizenPhone: '13700000000', lon: 112.8115, lat: 28.2108, categoryId: leaf.id, public: true });
    },
  });


  const person = async (viewport: { width: number; height: number }): Promise<Page> => {
    const { page, errors } = await web.open({ viewport, timeout: 15_000, context: { geolocation: HERE, permissions: ['geolocation'] } });
    page.on('close', () => consoleErrors.push(...errors));
    return page;
  };

  it('phone: files map first — locate, drag the pin, nearby +1, category search, photos, contact prefilled', async () => {
    const page = await person({ width: 390, height: 844 });
    await login(page, web.base, 'citizen1', PASSWORD);
    await page.goto(`${web.base}/#/portal/new`);
    const map = page.getByRole('region', { name: '问题在哪里？' });
    await map.locator('.map-label-district').first().waitFor();
    // the offline basemap: districts, streets, roads and water drawn, labelled
    await expect.poll(() => page.locator('.map-label-district').count()).toBeGreaterThanOrEqual(5);
    expect(await page.getByLabel('称呼').inputValue()).toBe('李女士');
    expect(await page.getByLabel('手机号码').inputValue()).toBe('13812345678');

    await page.getByTestId('locate-me').click();
    const located = page.getByTestId('located');
    await expect.poll(() => located.innerText()).toContain('临江区东港街道附近');
    expect(await page.getByLabel('地址').inputValue()).toBe('临江区东港街道附近');
    const before = Number(await located.getAttribute('data-lon'));
    expect(before).toBeCloseTo(HERE.longitude, 5);
    // drag the pin 60 px (≈500 m) west: the pin moves, the server resolves the new place
    const pin = page.locator('.map-pin');
    const box = (await pin.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 30, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => Number(await located.getAttribute('data-lon'))).toBeLessThan(before - 0.0005);
    await expect.poll(() => located.innerText()).toContain('临江区');

    await page.getByLabel('标题').fill('路口路灯不亮');
    await page.getByLabel('诉求内容').fill('东港路口的路灯不亮，晚上很黑，请尽快维修。');
    const item = page.getByTestId('nearby-item').first();
    await expect.poll(() => item.innerText()).toContain('东港路路灯不亮');
    await page.getByTestId('map-legend').getByText('附近已有人反映？').waitFor();
    await item.getByRole('button', { name: /\+1 关注/ }).click();
    await item.getByRole('button', { name: /已关注/ }).waitFor();
    expect(await item.innerText()).toContain('1 人关注');

    await page.getByLabel('诉求分类').fill('路灯');
    await page.getByRole('button', { name: '城乡建设 / 市政设施 / 路灯故障' }).click();
    expect(await page.getByTestId('category-chosen').innerText()).toContain('路灯故障');

    // an SVG is refused in the browser already (the server refuses it again by its bytes)
    const input = page.getByTestId('photo-input');
    await input.setInputFiles({ name: 'x.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') });
    await page.getByText('这张图片无法使用').waitFor();
    await input.setInputFiles({ name: 'street.png', mimeType: 'image/png', buffer: png(1200, 900) });
    const thumb = page.getByTestId('photos').locator('img');
    await thumb.waitFor();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);

    await page.getByLabel('我已阅读并同意上述个人信息处理方式').check();
    expect(await axeViolations(page), 'portal-file-map').toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'portal-file-map.png'), fullPage: true });
    await page.getByRole('button', { name: '提交' }).click();
    filedNumber = await page.getByTestId('ticket-number').innerText();
    const filed = (await web.hub.services.hotline.tickets.list(agent, { text: filedNumber })).items[0];
    expect(filed).toMatchObject({ title: '路口路灯不亮', citizenName: '李女士', citizenPhone: '13812345678' });
    expect(filed.attachments).toHaveLength(1);
    expect(filed.attachments[0].type).toBe('image/jpeg'); // compressed in the browser
    expect(filed.areaId).not.toBeNull();
    await page.close();
  });

  it('desktop: the loop — stepper with unit and deadline, 不满意 sends it back, notices, plain errors', async () => {
    const { workflow, tickets } = web.hub.services.hotline;
    const id = (await tickets.list(agent, { text: filedNumber })).items[0].id;
    await workflow.transition(agent, id, 'dispatch', {});
    await workflow.transition(handler, id, 'accept', {});
    await workflow.transition(handler, id, 'start', {});
    await workflow.transition(handler, id, 'answer', { replyText: '已安排维修，路灯已恢复。', result: 'solved' });

    const page = await person({ width: 1366, height: 900 });
    await login(page, web.base, 'citizen1', PASSWORD);
    await page.goto(`${web.base}/#/portal/mine`);
    await page.getByTestId('mine').getByRole('link', { name: filedNumber }).click();
    expect(page.url()).toBe(`${web.base}/#/portal/track?number=${filedNumber}`); // never the phone
    const stepper = page.getByTestId('stepper');
    await stepper.waitFor();
    expect(await stepper.locator('[aria-current="step"]').innerText()).toContain('已答复');
    expect(await page.getByTestId('unit-name').innerText()).toContain(unitName);
    expect(await page.getByTestId('timeline').innerText()).not.toMatch(/已受理\s*→\s*已受理/);

    const form = page.getByTestId('rate-form');
    await form.getByRole('group', { name: '办理单位是否联系了您？' }).getByLabel('是').check();
    await form.getByRole('group', { name: '问题是否已解决？' }).getByLabel('否').check();
    await form.getByLabel('不满意', { exact: true }).check();
    await form.getByLabel('评价意见（可选）').fill('晚上去看还是不亮');
    await form.getByRole('button', { name: '提交评价' }).click();
    await page.getByTestId('redo-note').waitFor();
    expect(await stepper.locator('[aria-current="step"]').innerText()).toContain('已派单');
    expect(await stepper.innerText()).toContain('签收期限');
    expect(await page.getByTestId('reply').innerText()).not.toContain('已解决');
    expect(await axeViolations(page), 'portal-track-redo').toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'portal-track-redo.png'), fullPage: true });
    const after = await tickets.get(agent, id);
    expect(after).toMatchObject({ status: 'dispatched', supervised: true, reopenCount: 1 });

    await page.goto(`${web.base}/#/portal/notices`);
    await expect.poll(() => page.getByTestId('unread-count').innerText()).toMatch(/\d/);
    expect(await page.getByTestId('notices').innerText()).toContain('已退回重新办理');
    expect(await axeViolations(page), 'portal-notices').toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'portal-notices.png'), fullPage: true });

    // a wrong phone: the problem's plain title, no status, no code, no pointless retry
    await page.goto(`${web.base}/#/portal/track`);
    await page.getByLabel('工单编号').fill(filedNumber);
    await page.getByLabel('提交时的手机号码').fill('13800000000');
    await page.getByRole('button', { name: '查询', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    expect(text).toContain('工单不存在');
    expect(text).not.toMatch(/HOTLINE|404/);
    expect(await alert.getByRole('button', { name: '重试' }).count()).toBe(0);
    await page.close();
  });

  it('English: categories, districts, the demo user and map labels in English; the desktop filing map', async () => {
    const page = await person({ width: 1366, height: 900 });
    await login(page, web.base, 'citizen1', PASSWORD);
    await page.goto(`${web.base}/#/portal/new`);
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('.topbar .who').innerText()).toContain('Demo user');
    await expect.poll(() => page.locator('.map-label-district').allInnerTexts()).toContain('Linjiang District');
    await page.getByTestId('locate-me').click();
    await expect.poll(() => page.getByTestId('located').innerText()).toContain('Linjiang District Donggang Subdistrict');
    await page.getByLabel('Category').fill('light');
    await page.getByRole('button', { name: 'Urban construction / Municipal facilities / Street light out' }).waitFor();
    expect(await axeViolations(page), 'portal-file-desktop-en').toEqual([]);
    await page.screenshot({ path: path.join(screenshots, 'portal-file-desktop-en.png'), fullPage: true });
    await page.close();
  });

  it('left no console errors (but the wrong phone\'s 404, which the browser logs itself)', () => {
    expect(consoleErrors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});
