import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/platform/auth/roles.js';
import { axeViolations } from './browser.js';
import { screenshots, webSuite } from './web-hub.js';

const PASSWORD = 'Draft-test-2026';
const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', username: 'test-setup', roles: ['admin'] };

/**
 * The workbench's drafting panel and knowledge Q&A (issue 19), in chromium against the production build: a
 * handler types the findings, drafts, sees the cited case and policy section, drops and inserts a source; asks the
 * knowledge base and is refused on a matter it does not cover. Screenshot and axe-core on the panel.
 */
describe('web app: grounded drafting and the knowledge Q&A', { timeout: 90_000 }, () => {
  let ticketId = '';

  const web = webSuite({
    demo: false,
    async setup(hub) {
      const { auth, hotline: { intake, workflow }, intel } = hub.services;
      const gov = await auth.insertOrg(admin, { name: '云川市人民政府', kind: 'government' });
      const centre = await auth.insertOrg(admin, { name: '云川市12345热线中心', kind: 'department', parentId: gov.id });
      const cityMgmt = await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov.id });
      const agent = await auth.insertUser(admin, { username: 'agent1', password: PASSWORD, displayName: '测试 agent1', orgId: centre.id, roles: ['agent'] });
      const handler = await auth.insertUser(admin, { username: 'handler1', password: PASSWORD, displayName: '测试 handler1', orgId: cityMgmt.id, roles: ['handler'] });
      const supervisor: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000002', roles: ['supervisor'] };
      await intel.knowledge.upload(supervisor, { title: '云川市城市道路照明设施管理办法', unit: '市城市管理局', validFrom: '2020-01-01' }, Buffer.from([
        '第一章 总则', '第一条 为加强城市道路照明设施管理，保障夜间出行安全，制定本办法。',
        '第二章 维护责任', '第五条 城市道路路灯由所在区城市管理部门负责维修，接到故障报告后应当在二十四小时内修复。',
      ].join('\n')));
      const past = await intake.create(admin, { title: '路灯不亮', content: '滨江路路灯坏了一周，晚上很黑' });
      await hub.database.db.updateTable('hotline_ticket').set({
        status: 'closed', satisfaction: 'satisfied', updated_at: new Date(),
        reply_text: '您好！收到您的诉求后，区城管局立即安排维修人员到现场检查。经检查为线路老化，已更换线路，路灯已恢复照明。感谢您的支持！',
      }).where('id', '=', past.id).execute();
      const others = ['公交站台破损', '垃圾清运不及时', '小区停车位不足', '学校周边交通拥堵', '自来水水压低', '菜市场占道经营'];
      for (const title of others) await intake.create(admin, { title, content: `${title}，请尽快处理` });
      const agentActor: Actor = { kind: 'user', id: agent.id, orgId: centre.id, roles: ['agent'] };
      const handlerActor: Actor = { kind: 'user', id: handler.id, orgId: cityMgmt.id, roles: ['handler'] };
      const t = await intake.create(agentActor, { title: '路灯不亮', content: '芙蓉路北段路灯不亮好几天了', citizenPhone: '13900000000' });
      ticketId = t.id;
      await workflow.transition(agentActor, t.id, 'dispatch', { unitId: cityMgmt.id });
      await workflow.transition(handlerActor, t.id, 'accept', {});
      await workflow.transition(handlerActor, t.id, 'start', {});
      await intel.index.refresh();
    },
  });

  it('a handler drafts from the findings with cited sources, drops and inserts one, and asks the knowledge base', async () => {
    const { page, errors } = await web.signIn('handler1', { password: PASSWORD });
    await page.goto(`${web.base}/#/work/t/${ticketId}`);
    const reply = page.getByLabel('答复内容');
    await reply.fill('经现场检查，为灯泡损坏，已更换灯泡，路灯恢复照明。');
    const panel = page.getByTestId('draft-panel');
    await panel.getByRole('button', { name: '生成答复草稿' }).click();
    const sources = panel.locator('.draft-sources');
    await sources.waitFor();
    expect(await sources.locator('li[data-ref="C1"]').innerText()).toContain('案例');
    expect(await sources.locator('li[data-ref="P1"]').innerText()).toMatch(/第五条[\s\S]*有效期 2020-01-01–至今/);
    const text = await reply.inputValue();
    expect(text).toContain('已更换灯泡');
    expect(text).toContain('[P1]');
    expect(text).not.toContain('[C1]'); // the findings are the handling: the case is offered, not used

    await sources.getByRole('button', { name: '移除 [P1]' }).click();
    await expect.poll(() => reply.inputValue()).not.toContain('[P1]');
    await sources.getByRole('button', { name: '插入 [C1]' }).click();
    await expect.poll(() => reply.inputValue()).toContain('[C1]');
    expect(await sources.getByRole('button', { name: '移除 [C1]' }).count()).toBe(1);

    const ask = page.getByTestId('knowledge-ask');
    await ask.getByLabel('知识问答').fill('路灯坏了多久内要修好？');
    await ask.getByRole('button', { name: '提问' }).click();
    const answer = ask.getByTestId('knowledge-answer');
    await expect.poll(() => answer.innerText()).toMatch(/二十四小时内修复。?\[P1\][\s\S]*云川市城市道路照明设施管理办法/);
    await page.screenshot({ path: path.join(screenshots, 'workbench-grounded-draft.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    await ask.getByLabel('知识问答').fill('公积金贷款额度怎么计算？');
    await ask.getByLabel('知识问答').press('Enter');
    await expect.poll(() => answer.getAttribute('data-refused')).toBe('true');
    expect(await answer.innerText()).toContain('知识库中未找到相关依据');
    expect(errors).toEqual([]);
    await page.close();
  });
});
