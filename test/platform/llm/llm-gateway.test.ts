import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { definePrompt, LlmConfigSchema, LlmGateway, Placeholders, type LlmConfig } from '../../../src/platform/llm/index.js';
import { SseReader } from '../../../src/platform/llm/sse.js';
import type { Actor } from '../../../src/platform/auth/roles.js';

/**
 * A small model server speaking the OpenAI-compatible chat-completions protocol (JSON and server-sent events),
 * standing in for vLLM or Ollama. Its answer repeats every placeholder it was sent, so restoring can be checked;
 * it reports usage (prompt tokens = characters of the user message, completion tokens = characters answered).
 */
interface Received { path: string; auth?: string; body: { model: string; stream: boolean; messages: { role: string; content: string }[] } }
const received: Received[] = [];
let flakyCalls = 0;
let inFlight = 0;
let maxInFlight = 0;
let server: Server;
let base = '';

const answerFor = (prompt: string) => `已收悉。${(prompt.match(/〔[^〕]+〕/g) ?? []).join('、')}，请放心。`;

async function serve(req: IncomingMessage, res: ServerResponse) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as Received['body'];
  received.push({ path: req.url ?? '', auth: req.headers.authorization, body });
  const prompt = body.messages.at(-1)!.content;
  if (req.url?.startsWith('/slow/')) return void setTimeout(() => res.writeHead(200).end('{}'), 3000).unref();
  if (req.url?.startsWith('/flaky/') && flakyCalls++ % 2 === 0) return void res.writeHead(500).end('{"error":"overloaded"}');
  if (req.url?.startsWith('/busy/')) {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 120));
    inFlight--;
  }
  const text = answerFor(prompt);
  const usage = { prompt_tokens: [...prompt].length, completion_tokens: [...text].length };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: text } }], usage }));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // Two characters a piece, so placeholders arrive cut in half; CRLF line ends on every other event.
  const chars = [...text];
  for (let i = 0; i < chars.length; i += 2) {
    const eol = i % 4 === 0 ? '\r\n' : '\n';
    res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: chars.slice(i, i + 2).join('') } }] })}${eol}${eol}`);
  }
  res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
  res.end('data: [DONE]\n\n');
}

beforeAll(async () => {
  server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const llmConfig = (): LlmConfig =>
  Value.Default(LlmConfigSchema, {
    enabled: true,
    endpoints: {
      default: { baseUrl: `${base}/ok/v1`, model: 'qwen-test', apiKeyEnv: 'CITYHUB_TEST_LLM_KEY', timeoutMs: 10_000 },
      slow: { baseUrl: `${base}/slow/v1`, model: 'slow', timeoutMs: 300, retries: 2 },
      flaky: { baseUrl: `${base}/flaky/v1`, model: 'flaky', retries: 2, retryBaseMs: 50 },
      busy: { baseUrl: `${base}/busy/v1`, model: 'busy', maxConcurrent: 2 },
    },
  }) as LlmConfig;

const echo = definePrompt({ name: 'test.echo', version: 3, system: '复述诉求中的联系人信息。', user: (text: string) => text });

const citizenText = '我叫张三，电话 139 1234 5678，身份证43010219900101123X，住望湖路12号3栋2单元501室，路灯坏了。';
const secrets = ['张三', '13912345678', '139 1234 5678', '43010219900101123X', '3栋2单元501室'];
const alice: Actor = { kind: 'user', id: '00000000-0000-4000-8000-00000000a11c', roles: ['agent'] };
const bob: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000b0b', roles: ['agent'] };

describe('the reading parts', () => {
  it('reads server-sent events cut anywhere, with CRLF, comments and [DONE]', () => {
    const sse = new SseReader();
    const text = ': keep-alive\r\ndata: {"a":1}\r\n\r\ndata: x\ndata: y\n\ndata: [DONE]\n\n';
    const events = [...Buffer.from(text)].flatMap((byte) => sse.push(Uint8Array.of(byte)));
    expect(events).toEqual([{ done: false, data: '{"a":1}' }, { done: false, data: 'x\ny' }, { done: true }]);
  });

  it('hides a name found by its context where the call writes it bare later, and restores it', () => {
    const p = new Placeholders();
    const hidden = p.hide('我叫欧阳娜娜，路灯坏了。欧阳娜娜说已经两周了。');
    expect(hidden).not.toContain('欧阳娜娜');
    expect(p.hide('办理情况：欧阳娜娜反映的路灯已修复。')).toBe('办理情况：〔姓名1〕反映的路灯已修复。');
    expect(p.restore(hidden)).toBe('我叫欧阳娜娜，路灯坏了。欧阳娜娜说已经两周了。');
  });

  it('gives one value one placeholder and restores a stream cut inside a placeholder', () => {
    const p = new Placeholders();
    expect(p.hide('张先生电话13912345678，再说一遍13912345678')).toBe('〔姓名1〕先生电话〔电话1〕，再说一遍〔电话1〕');
    const r = p.streamRestorer();
    const out = ['回电〔电', '话1〕给〔姓', '名1〕先生', '〔电话9〕'].map((piece) => r.push(piece)).join('') + r.flush();
    expect(out).toBe('回电13912345678给张先生〔电话9〕');
  });
});

describe('placeholders round trip', () => {
  it.each([
    '我叫欧阳娜娜，手机+86 138-1234-5678，座机0571-8888 6666，邮箱 zhang.san@example.com',
    'QQ:12345678 微信 abc_12345，车牌浙A·12345，住12号楼3单元1101，另一套3-2-501',
    '身份证号 43010219900101123x，电话021-12340071栋101，李女士和王先生都在',
    '没有个人信息的诉求：望湖路12号路灯坏了，2026-11-26起，工单20261126-000001',
  ])('hides and restores %s', (text) => {
    const p = new Placeholders();
    const hidden = p.hide(text);
    expect(hidden.replace(/20\d{6}-\d{6}/g, '')).not.toMatch(/\d{7,}/); // ticket numbers are no personal data
    expect(p.restore(hidden)).toBe(text);
  });
});

describe.each(testEngines)('LLM gateway on %s', (engine) => {
  let hub: TestHub;
  let llm: LlmGateway;
  beforeAll(async () => {
    process.env.CITYHUB_TEST_LLM_KEY = 'sk-from-env';
    hub = await createTestHub(engine, { config: { llm: llmConfig(), outbound: { allow: ['127.0.0.1'] } } });
    llm = hub.services.llm;
  });
  afterAll(() => hub?.close());

  it('sends placeholders, never the name, phone, ID number or flat, and restores them in the answer (JSON and stream)', async () => {
    const before = received.length;
    const plain = await llm.complete({ module: 'test', actor: alice, prompt: echo, input: citizenText });
    const pieces: string[] = [];
    const streamed = await llm.complete({ module: 'test', actor: alice, prompt: echo, input: citizenText, onDelta: (p) => pieces.push(p) });
    const sent = received.slice(before);
    expect(sent.map((r) => r.body.stream)).toEqual([false, true]);
    expect(sent[0].auth).toBe('Bearer sk-from-env');
    for (const r of sent) {
      const wire = JSON.stringify(r.body);
      for (const secret of secrets) expect(wire).not.toContain(secret);
      expect(r.body.messages[1].content).toContain('〔电话1〕');
    }
    for (const answer of [plain.text, streamed.text, pieces.join('')]) {
      for (const secret of ['张三', '139 1234 5678', '43010219900101123X', '3栋2单元501室']) expect(answer).toContain(secret);
      expect(answer).not.toContain('〔');
    }
    expect(pieces.length).toBeGreaterThan(3);
    expect(streamed.usage.completionTokens).toBeGreaterThan(0); // from the stream's last chunk
  });

  it('the intake assist summarises through the gateway: the model writes it and sees no phone', async () => {
    const { cookie } = await hub.loginAs(['agent']);
    const before = received.length;
    const res = await hub.http.inject({
      method: 'POST', url: '/api/hotline/assist', headers: { cookie },
      payload: { title: '污水管破裂', content: '望湖路小区门口污水管道破裂，我是李四，电话13912345678。' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().summary.method).toBe('llm');
    const wire = JSON.stringify(received.slice(before));
    expect(wire).toContain('污水管');
    for (const secret of ['13912345678', '李四']) expect(wire).not.toContain(secret);
  });

  it('a slow model times out and the caller falls back within the timeout; no retry after a timeout', async () => {
    const before = received.length;
    const started = Date.now();
    const r = await llm.withFallback((g) => g.complete({ module: 'test', actor: alice, prompt: echo, input: '路灯', endpoint: 'slow' }).then((a) => a.text), () => 'offline');
    expect(r).toMatchObject({ value: 'offline', method: 'offline' });
    expect(r.llmError).toMatch(/no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(received.length - before).toBe(1);
  });

  it('a 500 is retried with backoff and the retry answers', async () => {
    const before = received.length;
    const a = await llm.complete({ module: 'test', actor: alice, prompt: echo, input: '电话13800001111', endpoint: 'flaky' });
    expect(a.text).toContain('13800001111');
    expect(received.slice(before).map((r) => r.path)).toEqual(['/flaky/v1/chat/completions', '/flaky/v1/chat/completions']);
  });

  it('holds the concurrency limit per endpoint', async () => {
    maxInFlight = 0;
    await Promise.all(Array.from({ length: 6 }, () => llm.complete({ module: 'test', actor: bob, prompt: echo, input: '噪音', endpoint: 'busy' })));
    expect(maxInFlight).toBe(2);
  });

  it('accounts tokens per module and per user, and records each call in the ledger without the text', async () => {
    const since = new Date(0);
    const intelBefore = (await llm.usage('module', since)).find((u) => u.key === 'intel')?.promptTokens ?? 0;
    const bobBefore = (await llm.usage('actor', since)).find((u) => u.key === `user:${bob.id}`) ?? { calls: 0, promptTokens: 0, completionTokens: 0 };
    const before = received.length;
    const answers = [];
    for (const input of ['路灯不亮', '井盖缺失，电话13912345678', '噪音扰民']) {
      answers.push(await llm.complete({ module: 'intel', actor: bob, prompt: echo, input }));
    }
    const sentPrompt = received.slice(before).reduce((n, r) => n + [...r.body.messages[1].content].length, 0);
    const byModule = (await llm.usage('module', since)).find((u) => u.key === 'intel')!;
    expect(byModule.promptTokens - intelBefore).toBe(sentPrompt);
    const byBob = (await llm.usage('actor', since)).find((u) => u.key === `user:${bob.id}`)!;
    expect(byBob.calls - bobBefore.calls).toBe(3);
    expect(byBob.completionTokens - bobBefore.completionTokens).toBe(answers.reduce((n, a) => n + a.usage.completionTokens, 0));
    expect(byBob.promptTokens - bobBefore.promptTokens).toBe(answers.reduce((n, a) => n + a.usage.promptTokens, 0));

    const entries = await hub.database.db.selectFrom('ledger_entry').select(['body', 'actor', 'subject']).where('kind', '=', 'llm.call').execute();
    expect(entries.length).toBeGreaterThanOrEqual(14);
    const ledger = entries.map((e) => e.body).join('\n');
    expect(ledger).toContain('"prompt":"test.echo"');
    expect(ledger).toContain('"promptVersion":3');
    expect(ledger).toContain('"model":"qwen-test"');
    for (const secret of [...secrets, '13800001111', '路灯不亮', '井盖']) expect(ledger).not.toContain(secret);
    expect(entries.some((e) => e.subject === 'prompt:test.echo@3' && e.actor === `user:${bob.id}`)).toBe(true);
  });

  it('off (llm.enabled false) calls nothing and every caller gets its offline answer', async () => {
    const off = new LlmGateway({ db: hub.database.db, ledger: hub.services.ledger, clock: hub.services.clock, outbound: { allow: ['127.0.0.1'] } }, { ...llmConfig(), enabled: false });
    const before = received.length;
    expect(off.enabled).toBe(false);
    expect(await off.withFallback(async () => 'model', () => 'offline')).toEqual({ value: 'offline', method: 'offline' });
    await expect(off.complete({ module: 'test', actor: alice, prompt: echo, input: 'x' })).rejects.toThrow(/llm.enabled is false/);
    expect(received.length).toBe(before);
  });

  it('refuses a model server in a private range unless outbound.allow lists it', async () => {
    const guarded = new LlmGateway({ db: hub.database.db, ledger: hub.services.ledger, clock: hub.services.clock, outbound: { allow: [] } }, llmConfig());
    const before = received.length;
    await expect(guarded.complete({ module: 'test', actor: alice, prompt: echo, input: 'x' })).rejects.toThrow(/refused/);
    expect(received.length).toBe(before);
  });
});
