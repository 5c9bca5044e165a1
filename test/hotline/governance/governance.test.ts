import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { demoCityPlan } from '../../../src/server/demo-city.js';
import { seedHotlineDemo } from '../../../src/hotline/demo-seed.js';
import { LlmConfigSchema, type LlmConfig } from '../../../src/platform/llm/index.js';
import { inflateEntry, readZipDirectory } from '../../../src/platform/csv/zip-reader.js';
import type { Actor } from '../../../src/platform/auth/roles.js';

/** A small OpenAI-compatible server: the inspection's JSON, or a narrative; it records what it was sent. */
const received: string[] = [];
let server: Server;
let base = '';
async function serve(req: IncomingMessage, res: ServerResponse) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as { messages: { content: string }[] };
  received.push(body.messages.map((m) => m.content).join('\n'));
  if (req.url?.startsWith('/broken/')) return void res.writeHead(500).end('{"error":"down"}');
  const text = body.messages[0].content.includes('质检员')
    ? '```json\n{"requests":[{"text":"维修路灯","answered":true},{"text":"增设减速带","answered":false}],"stance":0.9,"politeness":1,"notes":[]}\n```'
    : '本月全市接诉即办工作总体平稳。';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: text } }], usage: { prompt_tokens: 10, completion_tokens: 5 } }));
}
const llmConfig = (path: 'ok' | 'broken'): LlmConfig =>
  Value.Default(LlmConfigSchema, { enabled: true, endpoints: { default: { baseUrl: `${base}/${path}/v1`, model: 'qwen-test', timeoutMs: 3000, retries: 0 } } }) as LlmConfig;

beforeAll(async () => {
  server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const appeal = '我是幸福小区居民王建华，电话13812345678。路灯已经连续一周不亮。希望尽快维修路灯，并在路口增设减速带。';

describe.each(testEngines)('quality inspection, 每月一题 and the monthly report [%s]', (engine) => {
  let hub: TestHub;
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const now = new Date('2026-11-26T06:00:00Z');
  const month = '2026-11';
  const orgs = new Map<string, string>();
  const cookies = {} as Record<'agent' | 'supervisor' | 'leader' | 'citizen' | 'handler' | 'otherHandler' | 'orphanHandler', string>;
  const inject = (cookie: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    hub.http.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now });
    for (const name of demoCityPlan.departments) orgs.set(name, (await hub.services.auth.insertOrg(admin, { name, kind: 'department' })).id);
    for (const d of demoCityPlan.districts) orgs.set(d.name, (await hub.services.auth.insertOrg(admin, { name: d.name, kind: 'district' })).id);
    await seedHotlineDemo({
      db: hub.database.db, deadlines: hub.services.hotline.deadlines.settings, timeZone: hub.config.city.timeZone, now,
      districts: demoCityPlan.districts, orgs, users: new Map(), ticketCount: 900,
    });
    const urban = orgs.get('市城市管理局')!;
    cookies.agent = (await hub.loginAs(['agent'])).cookie;
    cookies.supervisor = (await hub.loginAs(['supervisor'])).cookie;
    cookies.leader = (await hub.loginAs(['leader'])).cookie;
    cookies.citizen = (await hub.loginAs(['citizen'])).cookie;
    cookies.handler = (await hub.loginAs(['handler'], urban)).cookie;
    cookies.otherHandler = (await hub.loginAs(['handler'], orgs.get('市水务局')!)).cookie;
    cookies.orphanHandler = (await hub.loginAs(['handler'])).cookie;
  }, 300_000);
  afterAll(async () => hub?.close());

  it('inspects a reply on the form: the leak blocks it, the finding does not repeat it; deny by default', async () => {
    const reply = '您好！已安排维修路灯，已告知来电人王建华。感谢您的支持！';
    const res = await inject(cookies.agent, 'POST', '/api/hotline/inspection/check', { appeal, reply });
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.method).toBe('offline');
    expect(r.passed).toBe(false);
    // 减速带 is not answered: a third of the request's words are not enough
    expect(r.requests).toEqual([{ text: '希望尽快维修路灯，并在路口增设减速带。', answered: false }]);
    expect(r.findings.find((f: { check: string }) => f.check === 'privacy')).toMatchObject({ blocking: true, excerpt: '姓名' });
    expect(res.body).not.toContain('王建华');
    for (const who of ['citizen', 'leader'] as const) {
      expect((await inject(cookies[who], 'POST', '/api/hotline/inspection/check', { appeal, reply })).statusCode, who).toBe(403);
    }
    expect((await hub.http.inject({ method: 'POST', url: '/api/hotline/inspection/check', payload: { appeal, reply } })).statusCode).toBe(401);
    const bad = await inject(cookies.agent, 'POST', '/api/hotline/inspection/check', { appeal, reply: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].pointer ?? bad.json().errors[0].field).toContain('reply');
  });

  it('inspects a month in the background with progress; units see only their own scores', async () => {
    expect((await inject(cookies.leader, 'POST', '/api/hotline/inspection/runs', { month })).statusCode).toBe(403);
    const started = await inject(cookies.supervisor, 'POST', '/api/hotline/inspection/runs', { month });
    expect(started.statusCode).toBe(202);
    let run = started.json();
    expect(run.total).toBeGreaterThan(50);
    for (let i = 0; i < 200 && run.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await inject(cookies.supervisor, 'GET', `/api/hotline/inspection/runs/${run.id}`)).json();
    }
    expect(run).toMatchObject({ status: 'done', done: run.total, error: null });

    const all = (await inject(cookies.leader, 'GET', `/api/hotline/inspection/units?month=${month}`)).json();
    expect(all.scopeUnitId).toBeNull();
    expect(all.units.length).toBeGreaterThan(3);
    expect(all.total.replies).toBe(run.total);
    // the demo's template replies answer nothing of the case: the lowest cases name what is missing
    expect(all.lowest[0].findings.some((f: { check: string }) => f.check === 'completeness')).toBe(true);

    const own = (await inject(cookies.handler, 'GET', `/api/hotline/inspection/units?month=${month}`)).json();
    expect(own.scopeUnitId).toBe(orgs.get('市城市管理局'));
    expect(own.units.map((u: { unitId: string }) => u.unitId)).toEqual([orgs.get('市城市管理局')]);
    expect((await inject(cookies.orphanHandler, 'GET', `/api/hotline/inspection/units?month=${month}`)).statusCode).toBe(403);
    expect((await inject(cookies.agent, 'GET', `/api/hotline/inspection/units?month=${month}`)).statusCode).toBe(403);
    expect((await inject(cookies.leader, 'GET', '/api/hotline/inspection/units?month=2026-13')).statusCode).toBe(400);
  });

  it('proposes recurring problems, tracks tasks by unit, shows the effect; a unit updates only its own task', async () => {
    const proposals = (await inject(cookies.supervisor, 'GET', `/api/hotline/governance/proposals?month=2026-12`)).json().proposals;
    expect(proposals.length).toBeGreaterThan(0);
    expect(proposals[0].months).toBeGreaterThanOrEqual(3);
    expect(proposals[0].series).toHaveLength(6);
    const p = proposals[0];
    const created = await inject(cookies.supervisor, 'POST', '/api/hotline/governance/topics', {
      month, title: p.title, categoryId: p.categoryId, ...(p.districtId ? { districtId: p.districtId } : {}),
      tasks: [{ unitId: orgs.get('市城市管理局'), action: '排查整治', dueAt: '2026-12-20T00:00:00Z' }],
    });
    expect(created.statusCode).toBe(201);
    const topic = created.json();
    expect(topic.effect.before).toHaveLength(3);
    expect(topic.effect.before.reduce((s: number, x: { count: number }) => s + x.count, 0)).toBeGreaterThan(0);
    const task = topic.tasks[0];
    expect((await inject(cookies.otherHandler, 'PATCH', `/api/hotline/governance/tasks/${task.id}`, { progress: 50 })).statusCode).toBe(403);
    expect((await inject(cookies.handler, 'POST', '/api/hotline/governance/topics', { month, title: 'x', categoryId: p.categoryId, tasks: [] })).statusCode).toBe(403);
    const updated = await inject(cookies.handler, 'PATCH', `/api/hotline/governance/tasks/${task.id}`, { progress: 60, note: '已完成一半' });
    expect(updated.statusCode).toBe(200);
    const listed = (await inject(cookies.leader, 'GET', `/api/hotline/governance/topics?month=${month}`)).json().topics;
    expect(listed[0]).toMatchObject({ id: topic.id, progress: 60 });
    const wrongUnit = await inject(cookies.supervisor, 'POST', '/api/hotline/governance/topics', {
      month, title: 'x', categoryId: p.categoryId, tasks: [{ unitId: '00000000-0000-4000-8000-000000000001', action: 'x', dueAt: '2026-12-20T00:00:00Z' }],
    });
    expect(wrongUnit.statusCode).toBe(400);
    expect(JSON.stringify(wrongUnit.json().errors)).toContain('unitId');
  });

  it('writes the monthly report as data and as a Word document, for the centre and leaders only', async () => {
    const res = await inject(cookies.leader, 'GET', `/api/hotline/report?month=${month}`);
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.method).toBe('offline');
    expect(r.total.visited).toBeGreaterThan(0);
    expect(r.best.length).toBeGreaterThan(0);
    expect(r.trend).toHaveLength(6);
    expect(r.topics.length).toBeGreaterThan(0);
    expect(r.inspection.replies).toBeGreaterThan(0);
    expect(r.narrative).toContain('2026年11月');
    for (const who of ['handler', 'agent', 'citizen'] as const) expect((await inject(cookies[who], 'GET', `/api/hotline/report?month=${month}`)).statusCode, who).toBe(403);

    const docx = await inject(cookies.supervisor, 'GET', `/api/hotline/report.docx?month=${month}`);
    expect(docx.statusCode).toBe(200);
    expect(docx.headers['content-type']).toContain('wordprocessingml');
    const bytes = docx.rawPayload;
    const entries = readZipDirectory(bytes, { maxExpandedBytes: 10 << 20, maxCompressionRatio: 200 });
    expect([...entries.keys()].sort()).toEqual(['[Content_Types].xml', '_rels/.rels', 'word/document.xml']);
    const chunks: Buffer[] = [];
    for await (const c of inflateEntry(bytes, entries.get('word/document.xml')!, { remaining: 10 << 20, max: 10 << 20 })) chunks.push(c);
    const xml = Buffer.concat(chunks).toString('utf8');
    expect(xml).toContain('12345热线2026年11月接诉即办工作通报');
    expect(xml).toContain(r.best[0].name);
  });

  it('with a model: the model splits the appeal and writes the narrative, never sees the phone or name; falls back when it fails', async () => {
    const withModel = await createTestHub(engine, { clock: () => now, config: { llm: llmConfig('ok'), outbound: { allow: ['127.0.0.1'] } }, database: hub.database });
    try {
      received.length = 0;
      const { cookie } = await withModel.loginAs(['agent']);
      const r = (await withModel.http.inject({ method: 'POST', url: '/api/hotline/inspection/check', headers: { cookie }, payload: { appeal, reply: '您好！已于11月20日维修路灯。感谢您的支持！' } })).json();
      expect(r.method).toBe('llm');
      expect(r.requests).toEqual([{ text: '维修路灯', answered: true }, { text: '增设减速带', answered: false }]);
      expect(r.checks.completeness).toBe(0.5);
      expect(received).toHaveLength(1);
      expect(received[0]).not.toMatch(/13812345678|王建华/);
      const leader = await withModel.loginAs(['leader']);
      const report = (await withModel.http.inject({ method: 'GET', url: `/api/hotline/report?month=${month}`, headers: { cookie: leader.cookie } })).json();
      expect(report).toMatchObject({ method: 'llm', narrative: '本月全市接诉即办工作总体平稳。' });
    } finally {
      await withModel.close();
    }
    const broken = await createTestHub(engine, { clock: () => now, config: { llm: llmConfig('broken'), outbound: { allow: ['127.0.0.1'] } }, database: hub.database });
    try {
      const { cookie } = await broken.loginAs(['agent']);
      const r = (await broken.http.inject({ method: 'POST', url: '/api/hotline/inspection/check', headers: { cookie }, payload: { appeal, reply: '您好！已维修路灯。感谢您的支持！' } })).json();
      expect(r.method).toBe('offline');
      expect(r.llmError).toBeTruthy();
    } finally {
      await broken.close();
    }
  });
});
