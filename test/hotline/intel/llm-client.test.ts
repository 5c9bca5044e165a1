import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatCompletionClient, createLlmClient, withLlmFallback } from '../../../src/hotline/intel/llm-client.js';

/** A small local server that speaks OpenAI's chat-completions protocol, standing in for a served Qwen. */
let server: Server;
let baseUrl = '';
const received: { auth?: string; body: { model: string; stream: boolean; messages: { content: string }[] } }[] = [];

const readBody = async (req: IncomingMessage) => {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return JSON.parse(raw);
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    received.push({ auth: req.headers.authorization, body });
    const prompt: string = body.messages.at(-1).content;
    if (req.url === '/broken/chat/completions') {
      res.writeHead(500).end('{"error":"boom"}');
      return;
    }
    if (req.url === '/slow/chat/completions') {
      setTimeout(() => res.writeHead(200).end('{}'), 4000);
      return;
    }
    const reply = `摘要：${prompt.slice(0, 6)}`;
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of [...reply]) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: reply } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// generous: the test machine may be busy; the timeout test sets its own short one
const config = { model: 'qwen-test', timeoutMs: 10_000, maxTokens: 64, temperature: 0 };

describe('OpenAI-compatible chat completions', () => {
  it('sends model, messages and key, and returns the reply', async () => {
    const llm = new ChatCompletionClient({ ...config, baseUrl: `${baseUrl}/v1`, apiKey: 'sk-local' });
    const text = await llm.complete([{ role: 'user', content: '小区路灯不亮了' }]);
    expect(text).toBe('摘要：小区路灯不亮');
    expect(received.at(-1)).toMatchObject({ auth: 'Bearer sk-local', body: { model: 'qwen-test', stream: false } });
  });

  it('streams the reply piece by piece', async () => {
    const llm = new ChatCompletionClient({ ...config, baseUrl: `${baseUrl}/v1` });
    const pieces: string[] = [];
    const text = await llm.complete([{ role: 'user', content: '噪音扰民严重' }], (p) => pieces.push(p));
    expect(text).toBe('摘要：噪音扰民严重');
    expect(pieces.length).toBe([...text].length);
    expect(received.at(-1)!.body.stream).toBe(true);
  });

  it('falls back to the offline method when the endpoint fails, times out or is not configured', async () => {
    const offline = () => 'offline summary';
    const broken = createLlmClient({ ...config, baseUrl: `${baseUrl}/broken` });
    const a = await withLlmFallback(broken, (c) => c.complete([{ role: 'user', content: 'x' }]), offline);
    expect(a).toMatchObject({ value: 'offline summary', method: 'offline' });
    expect(a.llmError).toContain('500');

    const slow = createLlmClient({ ...config, timeoutMs: 300, baseUrl: `${baseUrl}/slow` });
    const started = Date.now();
    const b = await withLlmFallback(slow, (c) => c.complete([{ role: 'user', content: 'x' }]), offline);
    expect(b.method).toBe('offline');
    expect(b.llmError).toContain('timed out');
    expect(Date.now() - started).toBeLessThan(3500);

    const none = createLlmClient({ ...config });
    expect(none).toBeUndefined();
    expect((await withLlmFallback(none, async () => 'never', offline)).method).toBe('offline');

    const working = createLlmClient({ ...config, baseUrl: `${baseUrl}/v1` });
    const c = await withLlmFallback(working, (cl) => cl.complete([{ role: 'user', content: '积水严重' }]), offline);
    expect(c).toEqual({ value: '摘要：积水严重', method: 'llm' });
  });
});
