import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { logged, type AccessLogSettings } from '../../../src/platform/http/access-log.js';
import { createHttpServer } from '../../../src/platform/http/server.js';
import { HttpMetrics } from '../../../src/platform/http/metrics.js';
import { loadConfig } from '../../../src/platform/config/config.js';

const settings = (access: AccessLogSettings['access'], sampleRate = 0.5): AccessLogSettings => ({ access, sampleRate, slowMs: 1000 });

describe('the access log (log.access)', () => {
  it('chooses the requests it writes by mode, status and time', () => {
    expect(logged(settings('all'), 200, 1)).toBe(true);
    expect(logged(settings('off'), 500, 5000)).toBe(false);
    expect(logged(settings('errors-and-slow'), 200, 999)).toBe(false);
    expect(logged(settings('errors-and-slow'), 200, 1000)).toBe(true);
    expect(logged(settings('errors-and-slow'), 404, 1)).toBe(true);
    expect(logged(settings('sampled'), 200, 1, () => 0.49)).toBe(true);
    expect(logged(settings('sampled'), 200, 1, () => 0.5)).toBe(false);
    expect(logged(settings('sampled'), 401, 1, () => 0.99)).toBe(true);
  });

  it('writes one line per request (not Fastify\'s two), with the node, and no query string', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const logger = pino({ base: { node: 'n1' }, serializers: { req: (r: { method: string; url: string }) => ({ method: r.method, url: r.url.split('?')[0] }) } }, sink);
    const config = { ...loadConfig({}), log: settings('all') };
    const app = await createHttpServer({ config, resolver: { actorForSession: async () => undefined, actorForApiKey: async () => undefined }, metrics: new HttpMetrics('n1'), logger });
    app.get('/ok', { config: { access: 'public' } }, async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject('/ok?phone=13900000000')).statusCode).toBe(200);
    expect((await app.inject('/missing')).statusCode).toBe(404);
    await app.close();
    const requests = lines.filter((l) => l.msg !== 'Server listening at' && (l.req || l.status));
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ node: 'n1', msg: 'request', status: 200, req: { method: 'GET', url: '/ok' } });
    expect(JSON.stringify(lines)).not.toContain('13900000000');
    expect(lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toBe(false);
  });
});
