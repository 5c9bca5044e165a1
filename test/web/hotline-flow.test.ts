import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/platform/auth/roles.js';
import { login, type Page } from './browser.js';
import { screenshots, webSuite } from './web-hub.js';
const PASSWORD = 'Flow-test-2026';
const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', username: 'test-setup', roles: ['admin'] };

/**
 * The hotline end to end, in a real chromium against a real CityHub serving the production build:
 * a citizen files an appeal and tracks it; an agent dispatches it on the suggestion; a handler signs and answers;
 * the citizen rates it; the cockpit's rates change accordingly. Each step checks what the page shows.
 */
describe('web app: the hotline from appeal to cockpit', { timeout: 60_000 }, () => {
  const consoleErrors: string[] = [];
  let ticketNumber = '';
  let agentActor: Actor;

  const web = webSuite({
    demo: false,
    async setup(hub) {
      const { auth, hotline: { reference: hotlineReference, intake, workflow } } = hub.services;
      const gov = await auth.insertOrg(admin, { name: '云川市人民政府', kind: 'government' });
      const centre = await auth.insertOrg(admin, { name: '云川市12345热线中心', kind: 'department', parentId: gov.id });
      const cityMgmt = await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov.id });
      const linjiangGov = await auth.insertOrg(admin, { name: '临江区', kind: 'district', parentId: gov.id });
      const user = (username: string, role: 'citizen' | 'agent' | 'handler' | 'leader', orgId: string | null) =>
        auth.insertUser(admin, { username, password: PASSWORD, displayName: `测试 ${username}`, orgId, roles: [role] });
      await user('citizen1', 'citizen', null);
      const agent = await user('agent1', 'agent', centre.id);
      const handler = await user('handler1', 'handler', cityMgmt.id);
      await user('leader1', 'leader', gov.id);
      const district = await hotlineReference.createArea(admin, { name: '临江区', orgId: linjiangGov.id, centerLon: 112.8, centerLat: 28.22 });
      await hotlineReference.createCategory(admin, { level1: '城乡建设', level2: '市政设施', level3: '路灯' });
      const leaf = (await hotlineReference.listCategories(admin)).find((c) => c.level3 === '路灯')!;
      await hotlineReference.createRule(admin, { categoryId: leaf.id, unitId: cityMgmt.id });
      await hotlineReference.createCategory(admin, { level1: '环境保护', level2: '噪声污染', level3: '施工噪声' });

      // One earlier ticket whose return visit went badly: the cockpit starts at 0 % on one visit.
      agentActor = { kind: 'user', id: agent.id, orgId: centre.id, roles: ['agent'] };
      const handlerActor: Actor = { kind: 'user', id: handler.id, orgId: cityMgmt.id, roles: ['handler'] };
      const old = await intake.create(agentActor, { title: '路灯不亮', content: '滨江路路灯不亮', areaId: district.id, categoryId: leaf.id, citizenPhone: '13900000000' });
      await workflow.transition(agentActor, old.id, 'dispatch', {});
      await workflow.transition(handlerActor, old.id, 'accept', {});
      await workflow.transition(handlerActor, old.id, 'start', {});
      await workflow.transition(handlerActor, old.id, 'answer', { replyText: '已安排维修', result: 'unsolved' });
      await workflow.transition(agentActor, old.id, 'visit', { contacted: false, solved: false, satisfaction: 'unsatisfied' });
    },
  });


  const person = async (viewport?: { width: number; height: number }): Promise<Page> => {
    const { page, errors } = await web.open({ viewport, timeout: 15_000 });
    page.on('close', () => consoleErrors.push(...errors));
    return page;
  };

  const rates = async (page: Page) => {
    const cards = page.getByTestId('rates');
    await cards.getByText('综合得分').waitFor();
    return {
      response: await cards.locator('.rate-card', { hasText: '响应率' }).locator('strong').innerText(),
      solution: await cards.locator('.rate-card', { hasText: '解决率' }).locator('strong').innerText(),
      satisfaction: await cards.locator('.rate-card', { hasText: '满意率' }).locator('strong').innerText(),
      composite: await cards.locator('.rate-card', { hasText: '综合得分' }).locator('strong').innerText(),
      visited: await page.getByTestId('visited').innerText(),
    };
  };

  it('the cockpit shows the rates before the new appeal', async () => {
    const page = await person();
    await login(page, web.base, 'leader1', PASSWORD);
    expect(page.url()).toContain('#/cockpit');
    expect(await rates(page)).toEqual({ response: '0.0%', solution: '0.0%', satisfaction: '0.0%', composite: '0.0', visited: '1' });
    await expect.poll(() => page.getByTestId('district-counts').locator('tr', { hasText: '临江区' }).innerText()).toMatch(/临江区\s+1\s+0/);
    await page.close();
  });

  it('a citizen files an appeal on a phone and gets a ticket number', async () => {
    const page = await person({ width: 390, height: 844 });
    await page.goto(`${web.base}/#/portal`);
    await page.getByText('提交诉求前请先登录').waitFor();
    await page.getByLabel('用户名').fill('citizen1');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByLabel('标题').fill('小区门口路灯不亮');
    await page.getByLabel('诉求内容').fill('临江区滨江街道幸福小区东门路灯连续三晚不亮，夜间出行不便，请尽快维修。');
    // the category cascade: search, then take the match (issue 17)
    await page.getByLabel('诉求分类').fill('路灯');
    await page.getByRole('button', { name: '城乡建设 / 市政设施 / 路灯' }).click();
    await page.getByLabel('地址').fill('滨江街道幸福小区东门');
    // tap the map: the pin goes there and the server names the district from the area tree
    const map = page.getByRole('region', { name: '问题在哪里？' });
    await map.locator('.map-label-district').first().waitFor();
    await map.click({ position: { x: 120, y: 120 } });
    await expect.poll(() => page.getByTestId('located').innerText()).toContain('临江区');
    await page.getByLabel('称呼').fill('李女士');
    await page.getByLabel('手机号码').fill('13812345678');
    const submit = page.getByRole('button', { name: '提交' });
    expect(await submit.isDisabled()).toBe(true); // consent first
    await page.getByLabel('我已阅读并同意上述个人信息处理方式').check();
    await submit.click();
    await page.getByText('诉求已受理').waitFor();
    ticketNumber = await page.getByTestId('ticket-number').innerText();
    expect(ticketNumber).toMatch(/^\d{8}-\d{6}$/);
    await page.screenshot({ path: path.join(screenshots, 'portal-filed.png') });

    await page.getByTestId('filed').getByRole('link', { name: '进度查询' }).click();
    const tracked = page.getByTestId('tracked');
    await tracked.waitFor();
    expect(page.url()).not.toContain('13812345678'); // the phone goes in a POST body, never the URL (finding 9)
    expect(await tracked.innerText()).toContain(ticketNumber);
    expect(await tracked.locator('[data-status]').innerText()).toBe('已受理');
    expect(await page.getByTestId('timeline').locator('li').count()).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('an agent dispatches it to the suggested unit', async () => {
    const page = await person();
    await login(page, web.base, 'agent1', PASSWORD);
    expect(page.url()).toContain('#/work');
    const row = page.locator('tr', { hasText: ticketNumber });
    await row.waitFor();
    await row.getByRole('link', { name: ticketNumber }).click();
    await page.getByRole('heading', { name: /小区门口路灯不亮/ }).waitFor();
    // the suggestion (routing rule, or the assist when the server has it) is preselected
    await expect.poll(() => page.getByTestId('routing-suggestion').innerText()).toContain('市城市管理局');
    const unitSelect = page.getByLabel('选择承办单位');
    await expect.poll(async () => (await unitSelect.locator('option:checked').innerText()).trim()).toContain('市城市管理局');
    await page.locator('form[data-action="dispatch"]').getByRole('button', { name: '派单' }).click();
    await page.getByText('派单 · 操作成功').waitFor();
    await expect.poll(() => page.locator('[data-status]').first().innerText()).toBe('已派单');
    expect(await page.getByTestId('unit').innerText()).toBe('市城市管理局');
    await page.close();
  });

  it('a handler signs for it, handles it and answers within the deadline', async () => {
    const page = await person();
    await login(page, web.base, 'handler1', PASSWORD);
    const row = page.locator('tr', { hasText: ticketNumber });
    await row.waitFor();
    expect(await row.locator('.countdown').innerText()).toMatch(/^剩余/);
    await page.screenshot({ path: path.join(screenshots, 'workbench.png') });
    await row.getByRole('link', { name: ticketNumber }).click();
    await page.locator('form[data-action="accept"]').getByRole('button', { name: '签收' }).click();
    await page.getByText('签收 · 操作成功').waitFor();
    await expect.poll(() => page.locator('[data-status]').first().innerText()).toBe('已签收');
    await page.locator('form[data-action="start"]').getByRole('button', { name: '开始办理' }).click();
    await page.getByText('开始办理 · 操作成功').waitFor();
    await expect.poll(() => page.locator('.countdown').first().innerText()).toMatch(/^剩余/);
    await page.getByLabel('答复内容').fill('您好，已于当日更换东门路灯灯具，经夜间复查照明恢复正常。感谢您的反映。');
    await page.getByLabel('办理结果').selectOption('solved');
    await page.locator('form[data-action="answer"]').getByRole('button', { name: '反馈答复' }).click();
    await page.getByText('反馈答复 · 操作成功').waitFor();
    await expect.poll(() => page.locator('[data-status]').first().innerText()).toBe('已反馈');
    for (const step of ['派单', '签收', '开始办理', '反馈答复']) await expect.poll(() => page.getByTestId('timeline').innerText()).toContain(step);
    await page.screenshot({ path: path.join(screenshots, 'workbench-detail.png') });
    await page.close();
  });

  it('the citizen reads the reply and rates it', async () => {
    const page = await person({ width: 390, height: 844 });
    await login(page, web.base, 'citizen1', PASSWORD);
    // from "my appeals": the link carries the number only, the phone is handed over in memory
    await page.goto(`${web.base}/#/portal/mine`);
    const link = page.getByTestId('mine').getByRole('link', { name: ticketNumber });
    expect(await link.getAttribute('href')).toBe(`#/portal/track?number=${ticketNumber}`);
    await link.click();
    await page.getByTestId('reply').waitFor();
    expect(page.url()).not.toContain('13812345678');
    expect(await page.getByTestId('reply').innerText()).toContain('更换东门路灯灯具');
    const form = page.getByTestId('rate-form');
    await form.getByRole('group', { name: '办理单位是否联系了您？' }).getByLabel('是').check();
    await form.getByRole('group', { name: '问题是否已解决？' }).getByLabel('是').check();
    await form.getByLabel('满意', { exact: true }).check();
    await form.getByRole('button', { name: '提交评价' }).click();
    await page.getByTestId('rated').waitFor();
    expect(await page.getByTestId('rated').innerText()).toContain('满意');
    await expect.poll(() => page.locator('[data-status]').first().innerText()).toBe('已回访');
    await page.screenshot({ path: path.join(screenshots, 'portal-track.png'), fullPage: true });
    await page.close();
  });

  it('the cockpit rates follow: one good visit of two', async () => {
    const page = await person();
    await login(page, web.base, 'leader1', PASSWORD);
    await expect.poll(() => rates(page)).toEqual({ response: '50.0%', solution: '50.0%', satisfaction: '50.0%', composite: '50.0', visited: '2' });
    await expect.poll(() => page.getByTestId('district-counts').locator('tr', { hasText: '临江区' }).innerText()).toMatch(/临江区\s+2\s+0/);
    await page.close();
  });

  it('an agent corrects a ticket\'s category (改类) and it becomes a training label', async () => {
    const filed = await web.hub.services.hotline.intake.create(agentActor, { title: '工地夜间施工', content: '滨江路工地每晚十二点后还在施工，噪音很大' });
    const page = await person();
    await login(page, web.base, 'agent1', PASSWORD);
    await page.goto(`${web.base}/#/work/t/${filed.id}`);
    const form = page.locator('form[data-action="recategorize"]');
    const submit = form.getByRole('button', { name: '改类' });
    expect(await submit.isDisabled()).toBe(true); // no category picked yet
    await form.getByRole('combobox').selectOption({ label: '环境保护 / 噪声污染 / 施工噪声' });
    await submit.click();
    await page.getByText('改类 · 操作成功').waitFor();
    await expect.poll(() => page.getByTestId('timeline').innerText()).toContain('改类');
    expect(await page.locator('dd', { hasText: '施工噪声' }).count()).toBe(1);
    expect(await web.hub.services.intel.models.newSinceLastModel()).toMatchObject({ labels: 1 });
    await page.close();
  });

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
