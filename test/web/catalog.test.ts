import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/server/demo-city.js';
import { screenshots, webSuite } from './web-hub.js';
import { login } from './browser.js';
const DAY = 86_400_000;

/**
 * The catalog's screens on the seeded demo city: the portal's open data catalog (facets, search, English) and the
 * public track lookup for anyone; "who used my data" for the demo citizen; the data owner grants a sharing request
 * in the workbench; after the decision deadline passes the data bureau sees the undecided request flagged overdue.
 */
describe('web app: data catalog, sharing requests, who used my data', { timeout: 90_000 }, () => {
  let now = new Date();
  const web = webSuite({ clock: () => now });

  it('portal: anyone browses the open part of the catalog with facets and search (phone width)', async () => {
    const { page: p, errors } = await web.open({ viewport: { width: 390, height: 844 } });
    await p.goto(`${web.base}/#/portal/data`);
    const cards = p.getByTestId('datasets').locator('li.dataset');
    await cards.first().waitFor();
    // only the open (企业登记信息) and conditionally open (12345 热线工单) datasets, never the population register
    expect(await p.getByTestId('data-total').innerText()).toContain('2');
    expect((await cards.locator('h3').allInnerTexts()).sort()).toEqual(['12345 热线工单', '企业登记信息'].sort());
    await expect.poll(() => p.locator('main').innerText()).not.toContain('常住人口基础信息');
    expect(await p.locator('[data-identifier="enterprises"]').innerText()).toMatch(/市市场监督管理局[\s\S]*无条件开放[\s\S]*每日/);
    // facet: one publisher
    await p.locator('[data-facet="owner"]').getByLabel(/云川市12345热线中心/).check();
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().locator('h3').innerText()).toBe('12345 热线工单');
    expect(p.url()).toContain('owner=');
    await p.screenshot({ path: path.join(screenshots, 'portal-data.png'), fullPage: true });
    // text search, filters cleared
    await p.getByRole('button', { name: '清除筛选' }).click();
    await p.getByLabel('搜索数据资源').fill('企业');
    await p.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().locator('h3').innerText()).toBe('企业登记信息');
    await p.getByLabel('搜索数据资源').fill('不存在的数据');
    await p.getByRole('button', { name: '查询' }).click();
    await p.getByText('没有符合条件的数据资源').waitFor();
    await p.getByRole('button', { name: 'English' }).dispatchEvent('click');
    await p.getByRole('link', { name: 'Data catalog' }).waitFor();
    await p.getByText('No dataset matches').waitFor();
    expect(errors).toEqual([]);
  });

  it('portal: anyone tracks an answered ticket by number and phone, without seeing who filed it', async () => {
    const admin = { kind: 'user' as const, id: '00000000-0000-4000-8000-000000000000', roles: ['admin' as const] };
    const answered = (await web.hub.services.hotline.tickets.list(admin, { status: ['answered'], pageSize: 1 })).items[0]!;
    const { page: p, errors } = await web.open({ viewport: { width: 390, height: 844 } });
    // number and phone typed into the form: the phone goes in the POST body, never the URL (finding 9)
    await p.goto(`${web.base}/#/portal/track`);
    await p.getByLabel('工单编号').fill(answered.number);
    await p.getByLabel('提交时的手机号码').fill(answered.citizenPhone!);
    await p.getByRole('button', { name: '查询' }).click();
    const card = p.getByTestId('tracked');
    await card.waitFor();
    expect(await card.innerText()).toContain(answered.number);
    expect(await p.getByTestId('reply').innerText()).toContain(answered.replyText!.slice(0, 10));
    expect(await card.locator('[data-status]').innerText()).toBe('已反馈');
    expect(await p.getByTestId('timeline').locator('li').count()).toBeGreaterThanOrEqual(4);
    await p.getByTestId('login-to-rate').waitFor();
    expect(await p.locator('main').innerText()).not.toContain(answered.citizenName!);
    // a wrong phone is "not found", like an unknown number
    expect(p.url()).not.toContain(answered.citizenPhone!);
    await p.getByLabel('提交时的手机号码').fill('13000000000');
    await p.getByRole('button', { name: '查询' }).click();
    await p.getByRole('alert').getByText('工单不存在').waitFor();
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
  });

  it('portal: the demo citizen sees which units used their data, when and why', async () => {
    const { page: p, errors } = await web.open({ viewport: { width: 390, height: 844 } });
    await p.goto(`${web.base}/#/portal/usage`);
    await p.getByRole('button', { name: '登录', exact: true }).waitFor();
    await login(p, web.base, 'citizen', DEMO_PASSWORD);
    await p.goto(`${web.base}/#/portal/usage`);
    const rows = p.getByTestId('usage').locator('tbody tr');
    await rows.first().waitFor();
    const text = await p.getByTestId('usage').innerText();
    expect(text).toContain('市人力资源和社会保障局');
    expect(text).toContain('社会保险参保资格核验');
    expect(text).toContain('市住房和城乡建设局');
    expect(text).toContain('住房保障家庭资格审核');
    expect(text).toContain('常住人口基础信息');
    // and the in-domain product of authorized operation (issue 16) that verified this citizen in the demo
    expect(text).toMatch(/授权运营 YC-LA-\d{4}-\d{6}/);
    expect(await rows.count()).toBe(4);
    await p.screenshot({ path: path.join(screenshots, 'portal-usage.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('workbench: the data owner grants a request for fewer fields', async () => {
    const { page: p, errors } = await web.open();
    await login(p, web.base, 'dept_data_owner', DEMO_PASSWORD);
    expect(p.url()).toContain('#/work');
    const list = p.getByTestId('share-requests');
    const request = list.locator('li.request').filter({ hasText: '住房保障资格信息' });
    await request.waitFor();
    expect(await request.innerText()).toMatch(/市卫生健康委员会 → 市住房和城乡建设局[\s\S]*困难家庭医疗救助资格核验[\s\S]*《社会救助暂行办法》第二十八条/);
    expect(await request.locator('.badge').first().innerText()).toBe('待审批');
    await p.screenshot({ path: path.join(screenshots, 'workbench-share.png'), fullPage: true });
    // refusing needs a reason: the button stays disabled without one
    expect(await request.getByRole('button', { name: '拒绝' }).isDisabled()).toBe(true);
    await request.getByRole('checkbox', { name: 'qualification' }).uncheck();
    await request.getByRole('button', { name: '同意共享' }).click();
    await p.getByText('没有共享申请').waitFor(); // the pending box is empty now
    await p.locator('[data-box="all"]').click();
    const decided = list.locator('li.request').filter({ hasText: '困难家庭医疗救助资格核验' });
    await decided.waitFor();
    expect(await decided.locator('.badge').first().innerText()).toBe('已同意');
    const grants = await web.hub.services.catalog.sharing.listGrants({ kind: 'user', id: 'x', roles: ['data_admin'] });
    expect(grants.find((g) => g.datasetIdentifier === 'housing-security' && g.purpose === '困难家庭医疗救助资格核验')?.fields)
      .toEqual(['id_number', 'household_size', 'district']);
    expect(errors).toEqual([]);
  });

  it('workbench: past the deadline, the data bureau sees the undecided request flagged overdue', async () => {
    now = new Date(now.getTime() + 11 * DAY); // the default deadline is 240 h
    await web.hub.start(); // the modules' jobs: the catalog's flags it at once (they stop when the hub closes)
    await expect.poll(async () => (await web.hub.services.catalog.sharing.listRequests({ kind: 'user', id: 'x', roles: ['data_admin'] }, { overdue: true }))
      .filter((r) => r.overdueFlaggedAt).length, { timeout: 10_000 }).toBe(1);
    const { page: p, errors } = await web.open();
    await login(p, web.base, 'data_admin', DEMO_PASSWORD);
    const list = p.getByTestId('share-requests');
    await list.locator('li.request').first().waitFor();
    expect(await p.locator('[data-box="overdue"]').getAttribute('aria-current')).toBe('page');
    const items = list.locator('li.request');
    expect(await items.count()).toBe(1);
    const text = await items.first().innerText();
    expect(text).toContain('常住人口基础信息');
    expect(text).toContain('市教育局 → 市公安局');
    expect(text).toContain('超期未审批');
    expect(text).toContain('已报数据局督办');
    expect(await items.first().getByRole('button', { name: '同意共享' }).count()).toBe(0); // the bureau does not decide
    await p.screenshot({ path: path.join(screenshots, 'workbench-share-overdue.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
  it('portal: a catalogue entry opens with its API and, for conditionally open data, the application (issue 17; last: its request would count in the inboxes above)', async () => {
    const { page: p, errors } = await web.open({ viewport: { width: 390, height: 844 } });
    await p.goto(`${web.base}/#/portal/data`);
    const hotlineCard = p.locator('li.dataset', { hasText: '12345 热线工单' });
    await hotlineCard.getByRole('button', { name: '12345 热线工单' }).click();
    const detail = hotlineCard.getByTestId('dataset-detail');
    expect(await detail.innerText()).toMatch(/GET \/api\/share\/[\w-]+\/rows/);
    await detail.getByTestId('apply-login').getByRole('link', { name: '申请使用' }).waitFor(); // anonymous: log in with an organisation first
    await login(p, web.base, 'handler', DEMO_PASSWORD);
    await p.goto(`${web.base}/#/portal/data`);
    await hotlineCard.getByRole('button', { name: '数据详情 · 申请使用' }).click();
    const form = hotlineCard.getByTestId('apply-form');
    await form.getByLabel('用途').fill('分析本单位承办诉求的办理时效');
    await form.getByLabel('依据').fill('《政务数据共享管理办法》第十条');
    await form.getByRole('button', { name: '申请使用' }).click();
    await hotlineCard.getByTestId('applied').waitFor();
    await p.screenshot({ path: path.join(screenshots, 'portal-data-apply.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
