import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { zip } from '../../platform/csv/zip-fixture.js';
import { LlmConfigSchema, type LlmConfig } from '../../../src/platform/llm/index.js';
import type { Actor } from '../../../src/platform/auth/roles.js';
import { splitSections } from '../../../src/hotline/intel/knowledge-sections.js';
import { docx, pdf } from './knowledge-fixtures.js';

/**
 * The policy knowledge base, grounded drafts and the knowledge Q&A (issue 19 items 2 and 3), over HTTP on both
 * engines, with a small OpenAI-compatible model server that records what it received.
 */
const admin: Actor = { kind: 'user', id: 'admin', roles: ['admin'] };

interface Received { path: string; body: { stream: boolean; messages: { role: string; content: string }[] } }
const received: Received[] = [];
let server: Server;
let base = '';

/** Cites every marker it was sent plus one it was not ([P9]); streams when asked; reports usage. */
async function serve(req: IncomingMessage, res: ServerResponse) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as Received['body'];
  received.push({ path: req.url ?? '', body });
  if (req.url?.startsWith('/slow/')) return void setTimeout(() => res.writeHead(200).end('{}'), 5000).unref();
  if (req.url?.startsWith('/broken/')) return void res.writeHead(500).end('{"error":"down"}');
  const prompt = body.messages.at(-1)!.content;
  const refs = [...new Set(prompt.match(/\[[PC]\d\]/g) ?? [])];
  const text = `您好！经核实已处理${refs.join('')}，依据见[P9]。`;
  const usage = { prompt_tokens: [...prompt].length, completion_tokens: [...text].length };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: text } }], usage }));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const piece of text.match(/.{1,3}/gsu) ?? []) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
  res.end(`data: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`);
}

beforeAll(async () => {
  server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const llmConfig = (path: 'ok' | 'slow' | 'broken'): LlmConfig =>
  Value.Default(LlmConfigSchema, {
    enabled: true,
    endpoints: { default: { baseUrl: `${base}/${path}/v1`, model: 'qwen-test', timeoutMs: path === 'slow' ? 400 : 5000, retries: 0 } },
  }) as LlmConfig;

const STREETLIGHT_POLICY = [
  '临江市城市道路照明设施管理办法',
  '第一章 总则',
  '第一条 为加强城市道路照明设施管理，保障夜间出行安全，制定本办法。',
  '第二章 维护责任',
  '第五条 城市道路路灯由所在区城市管理部门负责维修，接到故障报告后应当在二十四小时内修复；需要更换灯杆的，七日内修复。',
  '第六条 小区内部路灯由物业服务企业负责维护。',
];
const NOISE_POLICY_2019 = '第三条 夜间施工须取得夜间施工许可证，夜间施工时段为二十二时至次日六时，施工单位应当公告周边居民。';

const secrets = ['张三', '13912345678', '43010219900101123X'];

describe('splitting documents into sections', () => {
  it('cuts at articles and chapters, keeps the chapter as heading, and cuts long articles at sentence ends', () => {
    const sections = splitSections(STREETLIGHT_POLICY.map((text) => ({ text })), 40);
    expect(sections.find((s) => s.article === '第五条')).toMatchObject({ heading: '第二章 维护责任' });
    expect(sections.filter((s) => s.article === '第五条').length).toBeGreaterThan(1);
    expect(sections.every((s) => s.text.length <= 40)).toBe(true);
    const numbered = splitSections([{ text: '一、办理流程' }, { text: '接件后一日内派单。' }, { text: '二、回访' }, { text: '办结后三日内回访。' }], 1200);
    expect(numbered).toEqual([
      { heading: '一、办理流程', article: null, text: '接件后一日内派单。' },
      { heading: '二、回访', article: null, text: '办结后三日内回访。' },
    ]);
  });
});

describe.each(testEngines)('knowledge base, grounded drafts and Q&A [%s]', (engine) => {
  let hub: TestHub;
  let supervisor: string;
  let agent: string;
  let citizen: string;
  const ticketIds: string[] = [];
  const kb = (cookie: string, method: 'GET' | 'POST', url: string, payload?: Buffer | object, contentType?: string) =>
    hub.http.inject({
      method, url: `/api/hotline/knowledge${url}`,
      headers: { cookie, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(payload ? { payload } : {}),
    });
  const upload = (bytes: Buffer, query: string, type = 'application/octet-stream', cookie = supervisor) =>
    kb(cookie, 'POST', `/documents?${query}`, bytes, type);
  const meta = (title: string, from = '2020-01-01', to?: string) =>
    `title=${encodeURIComponent(title)}&unit=${encodeURIComponent('临江市城市管理局')}&validFrom=${from}${to ? `&validTo=${to}` : ''}`;

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { intel: { knowledge: { uploadMaxBytes: 2_000_000, maxExpandedBytes: 1_000_000, maxPages: 50 } } } } });
    const { hotline: { intake } } = hub.services;
    const cases = [
      ['路灯不亮', '芙蓉路路灯坏了一周，晚上很黑', '您好！收到您的诉求后，区城管局立即安排维修人员到现场检查。经检查为线路老化，已更换线路，路灯已恢复照明。感谢您的支持！', 'satisfied'],
      ['路灯损坏', '湘江路多盏路灯不亮，存在安全隐患', '您好！经核实，湘江路路灯因电缆被盗不亮，区城管局已补装电缆，路灯恢复正常。感谢您的监督！', 'basically_satisfied'],
      ['路灯一直不亮', '韶山路路灯不亮很久了', '您好！该路段路灯已列入改造计划，暂无法修复。感谢您的理解！', 'unsatisfied'],
      ['夜间施工噪音', '工地夜间施工噪音扰民', '您好！经核查，该工地持有夜间施工许可证，已要求其降低噪音。感谢您的监督！', 'satisfied'],
    ];
    for (const [title, content, reply, satisfaction] of cases) {
      const t = await intake.create(admin, { title, content });
      ticketIds.push(t.id);
      await hub.database.db.updateTable('hotline_ticket')
        .set({ status: 'closed', reply_text: reply, satisfaction, updated_at: new Date() }).where('id', '=', t.id).execute();
    }
    // Other matters, so that the words of the street-light cases are rare enough to be searched (maxDfShare).
    const others = ['公交站台破损', '垃圾清运不及时', '小区停车位不足', '学校周边交通拥堵', '自来水水压低', '菜市场占道经营', '广告牌松动', '绿化带杂草丛生'];
    for (const [i, title] of [...others, ...others].entries()) await intake.create(admin, { title, content: `${title}，请尽快处理（第${i + 1}次反映）` });
    await hub.services.intel.index.refresh();
    supervisor = (await hub.loginAs(['supervisor'])).cookie;
    agent = (await hub.loginAs(['agent'])).cookie;
    citizen = (await hub.loginAs(['citizen'])).cookie;
  }, 120_000);

  afterAll(async () => hub?.close());

  it('reads text, Word and PDF uploads into sections with their validity and unit; agents read, only supervisors write', async () => {
    const text = await upload(Buffer.from(STREETLIGHT_POLICY.join('\n')), meta('临江市城市道路照明设施管理办法'), 'text/plain');
    expect(text.statusCode, text.body).toBe(201);
    expect(text.json()).toMatchObject({ format: 'text', unit: '临江市城市管理局', validFrom: '2020-01-01', validTo: null, status: 'active', sections: 4 });
    const word = await upload(docx([['噪声污染防治规定', 'Heading1'], NOISE_POLICY_2019]), meta('夜间施工噪声规定（旧）', '2019-01-01', '2021-12-31'));
    expect(word.statusCode, word.body).toBe(201);
    expect(word.json()).toMatchObject({ format: 'docx', sections: 1 });
    const paper = await upload(pdf(['12345热线工单办理规范', '第八条 承办单位应当在办结后三个工作日内回访来电人，回访结果记入工单。']), meta('12345热线工单办理规范'), 'application/pdf');
    expect(paper.statusCode, paper.body).toBe(201);
    expect(paper.json()).toMatchObject({ format: 'pdf' });
    const detail = await kb(agent, 'GET', `/documents/${paper.json().id}`);
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json().sectionList.find((s: { article: string }) => s.article === '第八条').text).toContain('三个工作日内回访');

    expect((await upload(Buffer.from('第一条 测试。'), meta('x'), 'text/plain', agent)).statusCode).toBe(403);
    expect((await kb(citizen, 'GET', '/documents')).statusCode).toBe(403);
    expect((await kb(agent, 'GET', '/documents')).json().documents).toHaveLength(3);
    const bad = await upload(Buffer.from('第一条 测试。'), meta('x', '2022-01-01', '2021-01-01'), 'text/plain');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/query/validTo');
  });

  it.each([
    ['a zip bomb posing as Word', () => docx([' '.repeat(3_000_000)]), 413],
    ['a ZIP whose directory lies about the size', () => zip([{ name: 'word/document.xml', data: `<w:p><w:t>${'a'.repeat(2_000_000)}</w:t></w:p>`, declaredSize: 100 }]), 422],
    ['a ZIP that is not a Word document', () => zip([{ name: 'xl/workbook.xml', data: '<workbook/>' }]), 422],
    ['a Word document with a DOCTYPE', () => zip([{ name: 'word/document.xml', data: '<!DOCTYPE x [<!ENTITY a "aaaa">]><w:p><w:t>&a;</w:t></w:p>' }]), 422],
    ['a PDF stream that inflates without end', () => pdf(['第一条 正文。'], { extraStream: Buffer.alloc(5_000_000) }), 413],
    ['a PDF of too many pages', () => pdf(['第一条 正文。'], { pages: 51 }), 413],
    ['an encrypted PDF', () => pdf(['第一条 正文。'], { encrypt: true }), 422],
    ['a scanned PDF without text', () => pdf([]), 422],
    ['a PNG image', () => Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'), 422],
    ['a legacy .doc', () => Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)]), 422],
    ['a file over the upload limit', () => Buffer.alloc(2_100_000, 0x61), 413],
  ])('refuses %s with a problem naming the file', async (_name, make, status) => {
    const started = Date.now();
    const res = await upload(make(), meta('攻击'));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an upload sent with a type that is not a document', async () => {
    const res = await upload(Buffer.from('<html></html>'), meta('x'), 'text/html');
    expect(res.statusCode).toBe(415);
  });

  it('searches the sections valid on the day asked, and forgets retired documents', async () => {
    const now = await kb(agent, 'GET', `/search?q=${encodeURIComponent('夜间施工许可证')}`);
    expect(now.json().hits.map((h: { label: string }) => h.label).join()).not.toContain('夜间施工噪声规定');
    const then = await kb(agent, 'GET', `/search?q=${encodeURIComponent('夜间施工许可证')}&asOf=2020-06-01`);
    expect(then.json().hits[0]).toMatchObject({ ref: 'P1', kind: 'policy', validTo: '2021-12-31' });
    const lamp = await kb(agent, 'GET', `/search?q=${encodeURIComponent('路灯坏了谁来修')}`);
    expect(lamp.json().hits[0].label).toContain('第五条');
    const temp = await upload(Buffer.from('第一条 共享单车停放点由街道办事处设置。'), meta('共享单车停放规定'), 'text/plain');
    const ask = () => kb(agent, 'GET', `/search?q=${encodeURIComponent('共享单车停放')}`);
    expect((await ask()).json().hits).toHaveLength(1);
    expect((await kb(agent, 'POST', `/documents/${temp.json().id}/retire`)).statusCode).toBe(403);
    const retired = await kb(supervisor, 'POST', `/documents/${temp.json().id}/retire`);
    expect(retired.json()).toMatchObject({ status: 'retired' });
    expect((await ask()).json().hits).toHaveLength(0);
    expect((await kb(supervisor, 'POST', `/documents/${temp.json().id}/retire`)).statusCode).toBe(404);
  });

  it('answers a question from the knowledge base with citations, and refuses when nothing is relevant', async () => {
    const res = await kb(agent, 'POST', '/ask', { question: '路灯坏了多久内要修好？' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ refused: false, method: 'offline' });
    expect(body.answer).toContain('二十四小时内修复');
    expect(body.answer).toContain('[P1]');
    expect(body.sources[0].label).toContain('第五条');
    const none = await kb(agent, 'POST', '/ask', { question: '公积金贷款额度怎么计算？' });
    expect(none.json()).toMatchObject({ refused: true, answer: '知识库中未找到相关依据', sources: [] });
  });

  it('drafts offline from the closed cases and the valid sections, each cited; the handler’s findings first; never itself', async () => {
    const api = (payload: object) => hub.http.inject({ method: 'POST', url: '/api/hotline/replies/draft', headers: { cookie: agent }, payload });
    const res = await api({ title: '路灯不亮', content: '芙蓉路北段路灯不亮好几天了', unitName: '临江区城管局', ticketId: ticketIds[0] });
    expect(res.statusCode, res.body).toBe(200);
    const draft = res.json();
    expect(draft.method).toBe('offline');
    const cases = draft.sources.filter((s: { kind: string }) => s.kind === 'case');
    expect(cases.map((c: { ticketId: string }) => c.ticketId)).not.toContain(ticketIds[0]);
    expect(cases.map((c: { ticketId: string }) => c.ticketId)).toContain(ticketIds[1]);
    // the reply the citizen rated unsatisfied comes after the others
    expect(cases.at(-1).satisfaction).toBe('unsatisfied');
    const policy = draft.sources.find((s: { kind: string }) => s.kind === 'policy');
    expect(policy.label).toContain('城市道路照明设施管理办法');
    for (const ref of draft.citations) expect(draft.sources.map((s: { ref: string }) => s.ref)).toContain(ref);
    expect(draft.citations).toEqual(expect.arrayContaining(['C1', policy.ref]));
    // not a result the case does not support
    expect(draft.parts.result).not.toMatch(/已修复|恢复/);

    const found = await api({ title: '路灯不亮', content: '芙蓉路北段路灯不亮', findings: '经现场检查，为灯泡损坏，已于12月3日更换灯泡，路灯恢复照明。' });
    expect(found.json().parts.handling).toContain('已于12月3日更换灯泡');
    expect(found.json().parts.handling).not.toContain('[C');

    const old = await api({ title: '夜间施工噪音', content: '工地夜间施工有没有许可证', asOf: '2020-05-01' });
    expect(old.json().sources.some((s: { validTo: string }) => s.validTo === '2021-12-31')).toBe(true);
    const today = await api({ title: '夜间施工噪音', content: '工地夜间施工有没有许可证' });
    expect(today.json().sources.some((s: { validTo: string }) => s.validTo === '2021-12-31')).toBe(false);
  });

  it('with a model: the draft cites only the sources retrieved, no personal data reaches the server, tokens add up', async () => {
    const withModel = await createTestHub(engine, { config: { llm: llmConfig('ok'), outbound: { allow: ['127.0.0.1'] } }, database: hub.database });
    try {
      await withModel.services.intel.index.refresh();
      const { cookie } = await withModel.loginAs(['agent']);
      const since = new Date(Date.now() - 1000);
      received.length = 0;
      const content = `我叫张三，电话${secrets[1]}，身份证${secrets[2]}，芙蓉路北段路灯不亮好几天了`;
      const draft = await withModel.http.inject({ method: 'POST', url: '/api/hotline/replies/draft', headers: { cookie }, payload: { title: '路灯不亮', content, findings: '张三反映的路灯已修复。' } });
      expect(draft.statusCode, draft.body).toBe(200);
      const body = draft.json();
      expect(body.method).toBe('llm');
      expect(body.text).not.toContain('[P9]');
      expect(body.citations).toContain('C1');
      const refs = body.sources.map((s: { ref: string }) => s.ref);
      for (const ref of body.citations) expect(refs).toContain(ref);
      const answer = await withModel.http.inject({ method: 'POST', url: '/api/hotline/knowledge/ask', headers: { cookie }, payload: { question: `路灯坏了多久内要修好？电话${secrets[1]}` } });
      expect(answer.json()).toMatchObject({ method: 'llm', refused: false });
      expect(answer.json().answer).toMatch(/\[P1\]/);
      expect(answer.json().answer).not.toContain('[P9]');
      const refused = await withModel.http.inject({ method: 'POST', url: '/api/hotline/knowledge/ask', headers: { cookie }, payload: { question: '公积金贷款额度怎么计算？' } });
      expect(refused.json()).toMatchObject({ refused: true, method: 'offline' });

      // streamed: the model is asked to stream, the pieces arrive as delta events, then the checked answer
      const streamed = await withModel.http.inject({ method: 'POST', url: '/api/hotline/knowledge/ask/stream', headers: { cookie }, payload: { question: '路灯坏了多久内要修好？' } });
      expect(streamed.statusCode).toBe(200);
      expect(streamed.headers['content-type']).toContain('text/event-stream');
      const events = streamed.body.trim().split('\n\n').map((e) => ({ event: /^event: (\w+)/.exec(e)![1], data: JSON.parse(e.slice(e.indexOf('data: ') + 6)) }));
      const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.delta as string);
      expect(deltas.length).toBeGreaterThan(3);
      expect(deltas.join('')).toContain('[P1]');
      expect(events.at(-1)).toMatchObject({ event: 'answer', data: { method: 'llm', refused: false } });
      expect(events.at(-1)!.data.answer).not.toContain('[P9]');
      expect(received.at(-1)!.body.stream).toBe(true);
      expect((await withModel.http.inject({ method: 'POST', url: '/api/hotline/knowledge/ask/stream', headers: { cookie: citizen }, payload: { question: '路灯坏了多久内要修好？' } })).statusCode).toBe(403);

      expect(received).toHaveLength(3);
      expect(received.map((r) => r.body.messages[1].content)).toEqual([expect.stringContaining('[C1] 工单'), expect.stringContaining('[P1] 《'), expect.stringContaining('[P1] 《')]);
      const sent = JSON.stringify(received.map((r) => r.body.messages));
      for (const secret of secrets) expect(sent).not.toContain(secret);
      expect(sent).toContain('第五条');
      const usage = (await withModel.services.llm.usage('module', since)).find((u) => u.key === 'intel')!;
      const expected = received.reduce((sum, r) => sum + [...r.body.messages.at(-1)!.content].length, 0);
      // the streamed call's usage (in its last chunk) is counted like the others
      expect(usage).toMatchObject({ calls: 3, promptTokens: expected });
      const prompts = await hub.database.db.selectFrom('llm_call').select(['prompt_name', 'prompt_version']).where('at', '>=', since).execute();
      expect(prompts.map((p) => p.prompt_name).sort()).toEqual(['intel.grounded-reply', 'intel.knowledge-answer', 'intel.knowledge-answer']);
    } finally {
      await withModel.close();
    }
  });

  it.each(['slow', 'broken'] as const)('a %s model falls back to the extractive draft within its timeout', async (path) => {
    const withModel = await createTestHub(engine, { config: { llm: llmConfig(path), outbound: { allow: ['127.0.0.1'] } }, database: hub.database });
    try {
      await withModel.services.intel.index.refresh();
      const { cookie } = await withModel.loginAs(['agent']);
      const started = Date.now();
      const res = await withModel.http.inject({ method: 'POST', url: '/api/hotline/knowledge/ask', headers: { cookie }, payload: { question: '路灯坏了多久内要修好？' } });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(res.json()).toMatchObject({ method: 'offline', refused: false });
      expect(res.json().llmError).toBeTruthy();
      expect(res.json().answer).toContain('二十四小时内修复');
    } finally {
      await withModel.close();
    }
  });
});
