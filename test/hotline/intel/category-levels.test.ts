import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { Actor } from '../../../src/platform/auth/roles.js';
import type { Config } from '../../../src/platform/config/config.js';
import { agreesWith, categoryPath, collapseRareLabels, level1Of } from '../../../src/hotline/intel/category-labels.js';

const admin: Actor = { kind: 'user', id: 'admin', roles: ['admin'] };

describe('category paths as classifier labels', () => {
  it('names a category by its levels and cuts at the deepest level asked for', () => {
    expect(categoryPath({ level1: '城乡建设', level2: '市政设施', level3: '路灯' })).toBe('城乡建设/市政设施/路灯');
    expect(categoryPath({ level1: '城乡建设', level2: null, level3: null })).toBe('城乡建设');
    expect(categoryPath({ level1: '城乡建设', level2: '市政设施', level3: '路灯' }, 2)).toBe('城乡建设/市政设施');
    expect(level1Of('城乡建设/市政设施/路灯')).toBe('城乡建设');
  });

  it('cuts rare paths back to their parent until each has enough examples; level 1 stays', () => {
    const labels = ['a/x/p', 'a/x/p', 'a/x/p', 'a/x/q', 'a/y/r', 'a/y/s', 'b'];
    // a/x/q alone → a/x (1, still rare) → a; a/y/r and a/y/s → a/y (2: enough)
    expect(collapseRareLabels(labels, 2)).toEqual(['a/x/p', 'a/x/p', 'a/x/p', 'a', 'a/y', 'a/y', 'b']);
    expect(collapseRareLabels(labels, 1)).toEqual(labels);
    expect(collapseRareLabels(labels, 100)).toEqual(['a', 'a', 'a', 'a', 'a', 'a', 'b']);
  });

  it('counts a coarser prediction that is an ancestor as agreeing', () => {
    expect(agreesWith('城乡建设', '城乡建设/市政设施/路灯')).toBe(true);
    expect(agreesWith('城乡建设/市政设施', '城乡建设/市政设施/路灯')).toBe(true);
    expect(agreesWith('城乡建设/市政', '城乡建设/市政设施/路灯')).toBe(false);
    expect(agreesWith('环境保护', '城乡建设')).toBe(false);
  });
});

const places = ['望湖路', '湘江路', '芙蓉路', '韶山路', '人民路', '解放路', '五一路', '劳动路', '车站路', '东风路', '桐梓坡路', '麓山路'];
const texts: Record<string, [string, string]> = {
  lights: ['路灯不亮', '路灯坏了很久，晚上一片漆黑，出行不安全'],
  roads: ['路面坑洼', '路面出现大坑，车辆通行困难，请尽快修补'],
  noise: ['夜间施工噪音', '工地夜间施工噪音扰民，严重影响休息'],
  fumes: ['餐馆油烟', '楼下餐馆油烟直排，熏得家里不能开窗'],
};

describe.each(testEngines)('the classifier learns levels 2–3 where the tickets support them [%s]', (engine) => {
  let hub: TestHub;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const config = {
      modules: { intel: { refreshIntervalSeconds: 0, classifier: { minTrainingTickets: 20, minExamplesPerCategory: 8, autoCategorize: { minConfidence: 0.6 } } } },
    } as unknown as Partial<Config>;
    hub = await createTestHub(engine, { config });
    const { auth, hotline: { reference: ref, intake: hotline } } = hub.services;
    const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government', parentId: null })).id;
    ids.lightsUnit = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    await ref.createCategory(admin, { level1: '城乡建设' });
    await ref.createCategory(admin, { level1: '环境保护' });
    ids.lights = (await ref.createCategory(admin, { level1: '城乡建设', level2: '市政设施', level3: '路灯' })).id;
    ids.roads = (await ref.createCategory(admin, { level1: '城乡建设', level2: '市政设施', level3: '道路维修' })).id;
    ids.noise = (await ref.createCategory(admin, { level1: '环境保护', level2: '噪声污染', level3: '施工噪声' })).id;
    ids.fumes = (await ref.createCategory(admin, { level1: '环境保护', level2: '大气污染', level3: '餐饮油烟' })).id;
    await ref.createRule(admin, { categoryId: ids.lights, unitId: ids.lightsUnit });
    for (const [key, count] of [['lights', 12], ['roads', 12], ['noise', 12], ['fumes', 3]] as const) {
      const [title, content] = texts[key];
      for (let i = 0; i < count; i++) await hotline.create(admin, { title: `${places[i]}${title}`, content: `${places[i]}${content}`, categoryId: ids[key] });
    }
    await hub.services.intel.index.refresh();
  }, 120_000);

  afterAll(async () => hub?.close());

  it('trains on leaf categories with enough tickets and on level 1 for the rest, scored at both', async () => {
    await hub.services.intel.classifier.train();
    const { models } = await hub.services.intel.models.list(admin);
    expect(models[0].labels).toEqual(['城乡建设/市政设施/路灯', '城乡建设/市政设施/道路维修', '环境保护', '环境保护/噪声污染/施工噪声']);
    expect(models[0].evaluation.level1).toMatchObject({ accuracy: expect.any(Number), macroF1: expect.any(Number) });
    const { cookie } = await hub.loginAs(['data_admin']);
    const listed = await hub.http.inject({ url: '/api/hotline/intel/models', headers: { cookie } });
    expect(listed.json().models[0].evaluation.level1).toEqual(models[0].evaluation.level1);
  });

  it('the assist proposes the leaf category, its level 1 and the unit its routing rule names', async () => {
    const res = await hub.services.intel.intake.assist(admin, { title: '路灯坏了', content: '麓山路的路灯坏了很久，晚上出行不安全' });
    expect(res.categories?.[0]).toMatchObject({ label: '城乡建设/市政设施/路灯', level1: '城乡建设', categoryId: ids.lights });
    expect(res.unit).toMatchObject({ unitId: ids.lightsUnit, source: 'rule', categoryId: ids.lights });
    const fumes = await hub.services.intel.intake.assist(admin, { title: '油烟扰民', content: '东风路餐馆油烟直排' });
    const guess = fumes.categories?.find((c) => c.level1 === '环境保护');
    expect(guess?.label).toMatch(/^环境保护/);
  });

  it('files a ticket without a category under the model\'s when it is confident, and leaves the rest to a person', async () => {
    const sure = await hub.services.hotline.intake.create(admin, { title: '五一路路灯不亮', content: '五一路路灯坏了很久，晚上出行不安全' });
    expect(sure.categoryId).toBe(ids.lights);
    const [created] = await hub.services.hotline.tickets.timeline(admin, sure.id);
    const version = hub.services.intel.status().modelVersion;
    expect(created.details).toMatchObject({ autoCategory: { category: ids.lights, model: version } });
    expect((created.details as { autoCategory: { confidence: number } }).autoCategory.confidence).toBeGreaterThanOrEqual(0.6);
    // a category given by the caller is kept
    const given = await hub.services.hotline.intake.create(admin, { title: '五一路路灯不亮', content: '路灯坏了', categoryId: ids.roads });
    expect(given.categoryId).toBe(ids.roads);
    // unsure: the ticket waits for an agent (what the model would say is below the threshold)
    const vague = { title: '咨询一下', content: '请问这个事情找哪个部门' };
    const guess = (await hub.services.intel.intake.assist(admin, vague)).categories![0];
    const unsure = await hub.services.hotline.intake.create(admin, vague);
    expect(unsure.categoryId).toBe(guess.confidence >= 0.6 ? guess.categoryId : null);
    const { models } = await hub.services.intel.models.list(admin);
    expect(models[0].evaluation.confident).toMatchObject({ minConfidence: 0.6, share: expect.any(Number) });
  });

  it('an agent\'s 改类 to a leaf is stored as that leaf\'s path', async () => {
    const agentOrg = (await hub.services.auth.insertOrg(admin, { name: '12345热线中心', kind: 'department', parentId: null })).id;
    const agent: Actor = { kind: 'user', id: '00000000-0000-4000-8000-00000000000a', roles: ['agent'], orgId: agentOrg };
    const t = await hub.services.hotline.intake.create(agent, { title: '桐梓坡路灯不亮', content: '桐梓坡路路灯坏了', categoryId: ids.roads });
    await hub.services.hotline.workflow.transition(agent, t.id, 'recategorize', { categoryId: ids.lights });
    const row = await hub.database.db.selectFrom('hotline_classifier_label').selectAll().where('ticket_id', '=', t.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ label: '城乡建设/市政设施/路灯', suggested: '城乡建设/市政设施/路灯' });
  });
});
