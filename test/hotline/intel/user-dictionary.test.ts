import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { Actor } from '../../../src/platform/auth/roles.js';
import type { Config } from '../../../src/platform/config/config.js';

const admin: Actor = { kind: 'user', id: 'admin', roles: ['admin'] };
const config = { modules: { intel: { refreshIntervalSeconds: 0, classifier: { trainAtStart: false } } } } as unknown as Partial<Config>;

describe.each(testEngines)('the segmenter\'s user dictionary (用户词典) [%s]', (engine) => {
  let hub: TestHub;
  let nodeB: TestHub;
  const cookies: Record<string, string> = {};
  const call = (who: string | null, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    hub.http.inject({ method, url: `/api/hotline/intel/dictionary${url}`, headers: who ? { cookie: cookies[who] } : {}, ...(payload ? { payload } : {}) });
  const tokens = (h: TestHub, text: string) => h.services.intel.index.tokenize(text, '');

  beforeAll(async () => {
    hub = await createTestHub(engine, { config });
    nodeB = await createTestHub(engine, { database: hub.database, config });
    await hub.services.hotline.reference.createArea(admin, { name: '桐梓坡街道' });
    await hub.services.auth.insertOrg(admin, { name: '望城区住建局', kind: 'department' });
    for (const role of ['agent', 'citizen', 'data_admin'] as const) cookies[role] = (await hub.loginAs([role])).cookie;
    await hub.services.intel.index.refresh();
  });
  afterAll(async () => {
    await nodeB?.close();
    await hub?.close();
  });

  it('keeps the city\'s area and organisation names whole without anyone adding them', () => {
    expect(tokens(hub, '桐梓坡街道的路灯坏了')).toContain('桐梓坡街道');
    expect(tokens(hub, '向望城区住建局反映')).toContain('望城区住建局');
  });

  it('lets staff read it, administrators change it, and nobody else', async () => {
    expect((await call(null, 'GET', '')).statusCode).toBe(401);
    expect((await call('citizen', 'GET', '')).statusCode).toBe(403);
    expect((await call('agent', 'GET', '')).statusCode).toBe(200);
    expect((await call('agent', 'POST', '', { words: [{ word: '丽发新城', kind: 'place' }] })).statusCode).toBe(403);
    expect((await call('agent', 'DELETE', '/丽发新城')).statusCode).toBe(403);
  });

  it('refuses a word with spaces or an unknown kind, naming the field', async () => {
    const spaced = await call('data_admin', 'POST', '', { words: [{ word: '丽发 新城', kind: 'place' }] });
    expect(spaced.statusCode).toBe(400);
    expect(spaced.json().errors[0].field).toBe('/body/words/0/word');
    const kind = await call('data_admin', 'POST', '', { words: [{ word: '丽发新城', kind: 'road' }] });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().errors[0].field).toMatch(/^\/body\/words\/0\/kind/);
    expect((await call('data_admin', 'GET', '')).json().words).toEqual([]);
  });

  it('an added place name stays whole and a stop word is dropped, on this node and on the next refresh of another', async () => {
    expect(tokens(hub, '丽发新城旁的市场')).not.toContain('丽发新城');
    expect(tokens(hub, '我要投诉噪音')).toContain('投诉');
    const res = await call('data_admin', 'POST', '', { words: [{ word: '丽发新城', kind: 'place' }, { word: '投诉', kind: 'stop' }, { word: '丽发新城', kind: 'place' }] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().added.map((w: { word: string }) => w.word).sort()).toEqual(['丽发新城', '投诉']);
    expect((await call('data_admin', 'POST', '', { words: [{ word: '丽发新城', kind: 'place' }] })).json()).toEqual({ added: [], existing: ['丽发新城'] });
    await hub.services.intel.index.refresh();
    expect(tokens(hub, '丽发新城旁的市场')).toContain('丽发新城');
    expect(tokens(hub, '我要投诉噪音')).not.toContain('投诉');
    expect(tokens(nodeB, '丽发新城旁的市场')).not.toContain('丽发新城'); // until its refresh
    await nodeB.services.intel.index.refresh();
    expect(tokens(nodeB, '丽发新城旁的市场')).toContain('丽发新城');
    const listed = (await call('agent', 'GET', '')).json().words;
    expect(listed.map((w: { word: string; kind: string }) => `${w.kind}:${w.word}`)).toEqual(['place:丽发新城', 'stop:投诉']);
  });

  it('the index is rebuilt with the new words: a ticket filed before them is found by them', async () => {
    const t = await hub.services.hotline.intake.create(admin, { title: '雅塘村水管爆裂', content: '雅塘村村口水管爆裂，水流满地' });
    await hub.services.intel.index.refresh();
    await call('data_admin', 'POST', '', { words: [{ word: '雅塘村', kind: 'place' }] });
    await hub.services.intel.index.refresh();
    expect(hub.services.intel.index.current.terms()).toContain('雅塘村');
    expect(hub.services.intel.index.similar('雅塘村停水', '')[0]?.ticket.id).toBe(t.id);
  });

  it('removes a word (404 for one that is not there) and ledgers every change', async () => {
    expect((await call('data_admin', 'DELETE', `/${encodeURIComponent('丽发新城')}`)).statusCode).toBe(204);
    expect((await call('data_admin', 'DELETE', `/${encodeURIComponent('丽发新城')}`)).json().code).toBe('HOTLINE_INTEL_WORD_NOT_FOUND');
    await hub.services.intel.index.refresh();
    expect(tokens(hub, '丽发新城旁的市场')).not.toContain('丽发新城');
    const kinds = await hub.database.db.selectFrom('ledger_entry').select('kind').where('kind', 'like', 'hotline.intel.dictionary.%').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['hotline.intel.dictionary.add', 'hotline.intel.dictionary.add', 'hotline.intel.dictionary.remove']);
  });
});
