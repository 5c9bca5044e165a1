import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { Actor } from '../../../src/platform/auth/roles.js';
import { fields, parseXml } from './xml-tree.js';
import Fastify from 'fastify';
import { Value } from 'typebox/value';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerCors } from '../../../src/platform/http/cors.js';
import { Open311ConfigSchema, Open311Service, type Open311Config } from '../../../src/hotline/open311/index.js';
import type { Open311ServiceDeps } from '../../../src/hotline/open311/open311-service.js';
import { CatalogConfigSchema, type CatalogConfig } from '../../../src/catalog/config.js';

/**
 * Issue 18, Open311 to the letter: what the SeeClickFix validator, codeforamerica's node client and FixMyStreet's
 * client found — each item as a test, on both engines.
 */
const BASE = '/open311/v2';
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const form = (data: Record<string, string>) => new URLSearchParams(data).toString();

/** A raw HTTP/1.1 request over TCP: a 16 KB URL never reaches Fastify's inject path, only a real socket. */
const rawGet = (port: number, path: string) =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });

describe.each(testEngines)('Open311 conformance (issue 18) [%s]', (engine) => {
  let hub: TestHub;
  let admin: Actor;
  let now = new Date('2026-11-20T08:00:00Z');
  let key: string;
  let code: string;
  let unitId: string;

  const post = (url: string, data: Record<string, string>) => hub.http.inject({ method: 'POST', url: `${BASE}${url}`, headers: FORM, payload: form(data) });
  const get = (url: string, headers: Record<string, string> = {}) => hub.http.inject({ method: 'GET', url: `${BASE}${url}`, headers });
  const file = async (extra: Record<string, string>) => {
    const res = await post('/requests.json', { api_key: key, service_code: code, lat: '30.5', long: '114.3', ...extra });
    expect(res.statusCode, res.body).toBe(200);
    return res.json()[0].service_request_id as string;
  };
  const expectErrors = (res: { statusCode: number; json(): unknown }, status: number, pattern: RegExp) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { code: number; description: string }[];
    expect(Array.isArray(body)).toBe(true);
    expect(body.every((e) => e.code === status && Object.keys(e).length === 2)).toBe(true);
    expect(body.map((e) => e.description).join(' | ')).toMatch(pattern);
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { modules: { open311: { cors: { origins: ['https://app.example.org'] } }, catalog: { cors: { origins: ['*'] } } } },
    });
    admin = { kind: 'user', id: (await hub.loginAs(['admin'])).userId, roles: ['admin'] };
    await hub.services.hotline.reference.importTaxonomy(admin, [{ level1: '城乡建设', level2: '市政设施', level3: '路灯照明' }]);
    code = (await hub.services.hotline.reference.listCategories(admin)).find((c) => c.level3 === '路灯照明')!.code;
    unitId = (await hub.services.auth.createOrg(admin, { name: '市城市管理局', kind: 'department' })).id;
    key = (await hub.services.auth.createApiKey(admin, { name: 'citizen-app', roles: ['citizen'] })).key;
  });
  afterAll(async () => hub?.close());

  it('hands the description back byte for byte: spaces, CR LF, tabs, 4,000 characters, no title prepended', async () => {
    const texts = [
      '  路灯不亮\r\n\r\n第二段：灯杆倾斜。\n\t缩进的一行  ',
      // 4,000 characters, astral ones among them (a character is not a UTF-16 unit)
      `${'路灯坏了，'.repeat(799)}😀😀`,
    ];
    expect([...texts[1]].length).toBeLessThanOrEqual(4000);
    const long = `${'长'.repeat(3999)}。`;
    expect([...long].length).toBe(4000);
    for (const description of [...texts, long]) {
      const id = await file({ description });
      const [json] = (await get(`/requests/${id}.json`)).json();
      expect(json.description).toBe(description);
      const xml = parseXml((await get(`/requests/${id}.xml`)).body);
      expect(fields(xml.children[0]).description).toBe(description);
      const listed = (await get(`/requests.json?service_request_id=${id}`)).json();
      expect(listed[0].description).toBe(description);
    }
    expectErrors(await post('/requests.json', { api_key: key, service_code: code, lat: '30.5', long: '114.3', description: `${long}x` }), 400, /description: is limited to 4,000 characters/);
  });

  it('publishes its own URL and an ISO 8601 changeset in discovery, and a key service that exists', async () => {
    const d = (await get('/discovery.json', { host: '12345.city.example:8443', 'x-forwarded-proto': 'https' })).json();
    // X-Forwarded-Proto counts only from a trusted proxy; the host is the one the client used.
    expect(d.endpoints[0].url).toBe('http://12345.city.example:8443/open311/v2');
    expect(d.changeset).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Number.isNaN(Date.parse(d.changeset))).toBe(false);
    expect(d.endpoints[0].changeset).toBe(d.changeset);
    // A Host header that is not a host cannot inject markup or a path into the document.
    const evil = (await get('/discovery.xml', { host: 'evil.example/<x>' })).body;
    expect(evil).toContain('<url>http://localhost/open311/v2</url>');
    // key_service names an endpoint that exists: POST /api/keys (auth.key.manage).
    expect(d.key_service).toContain('POST /api/keys');
    expect(hub.http.routeTable.some((r) => r.method === 'POST' && r.url === '/api/keys' && r.access === 'auth.key.manage')).toBe(true);
    // A configured public URL (behind a proxy that rewrites paths) wins over the request's.
    const config = { ...Value.Default(Open311ConfigSchema, {}) as Open311Config, baseUrl: 'https://12345.gov.example/open311/v2' };
    const configured = new Open311Service({ ...({} as Open311ServiceDeps), config });
    expect(configured.discovery('http://internal:8080/open311/v2').endpoints[0].url).toBe('https://12345.gov.example/open311/v2');
  });

  it('echoes address_id', async () => {
    const id = await file({ lat: '', long: '', address_id: 'ADDR-0042', description: '井盖缺失' });
    const [r] = (await get(`/requests/${id}.json`)).json();
    expect(r.address_id).toBe('ADDR-0042');
    expect(fields(parseXml((await get(`/requests/${id}.xml`)).body).children[0]).address_id).toBe('ADDR-0042');
    // …through the public-text mask all the same: a phone number sent as an id is not published.
    const phoneId = await file({ lat: '', long: '', address_id: '13912345678', description: '井盖缺失' });
    expect((await get(`/requests/${phoneId}.json`)).json()[0].address_id).not.toContain('13912345678');
  });

  it('reads numbers and dates strictly', async () => {
    const base = { api_key: key, service_code: code, description: 'x' };
    for (const lat of ['0x1E', '1e1', 'Infinity', '30,5', '0b11', '30.5.1']) {
      expectErrors(await post('/requests.json', { ...base, lat, long: '114.3' }), 400, /^lat: /);
    }
    expect((await post('/requests.json', { ...base, lat: '-30.5', long: '+114' })).statusCode).toBe(200);
    for (const date of ['2026-02-30', '2026-02-29T00:00:00Z', '2026-11-01T24:00:00Z', '2026-13-01T00:00:00Z', '2026-11-01T10:60:00Z', '2026-11-01T00:00:00+25:00']) {
      expectErrors(await get(`/requests.json?start_date=${encodeURIComponent(date)}`), 400, /^start_date: /);
    }
    expect((await get('/requests.json?start_date=2024-02-29T00:00:00Z&end_date=2024-03-01T00:00:00Z')).statusCode).toBe(200);
  });

  it('reads a repeated list argument as the comma list and refuses a repeated single one in Open311 form', async () => {
    const both = await get('/requests.json?status=open&status=closed');
    expect(both.statusCode).toBe(200);
    expect(both.json()).toEqual((await get('/requests.json?status=open,closed')).json());
    expectErrors(await get('/requests.json?status=open&status=pending'), 400, /^status: /);
    expectErrors(await get('/requests.json?start_date=2026-11-01T00:00:00Z&start_date=2026-11-02T00:00:00Z'), 400, /^start_date: give this argument once/);
    const xml = await get('/requests.xml?end_date=a&end_date=b');
    expect(xml.statusCode).toBe(400);
    expect(parseXml(xml.body).name).toBe('errors');
  });

  it('answers an over-long URL with the errors array: 414 when it reaches a route, 431 past Node\'s 16 KiB', async () => {
    const ids = Array.from({ length: 900 }, (_, i) => `20261120-${String(i).padStart(6, '0')}`).join(',');
    expectErrors(await get(`/requests.json?service_request_id=${ids}`), 414, /longer than 8192/);
    const address = await hub.http.listen({ port: 0, host: '127.0.0.1' });
    const port = (hub.http.server.address() as AddressInfo).port;
    expect(address).toContain('127.0.0.1');
    const huge = `?service_request_id=${'20261120-000001,'.repeat(1100)}`; // ~17.6 KB
    const json = await rawGet(port, `${BASE}/requests.json${huge}`);
    expect(json.status).toBe(431);
    expect(json.type).toMatch(/^application\/json/);
    expect(JSON.parse(json.body)).toEqual([{ code: 431, description: expect.stringMatching(/too large/) }]);
    const xml = await rawGet(port, `${BASE}/requests.xml${huge}`);
    expect(xml.status).toBe(431);
    expect(fields(parseXml(xml.body).children[0])).toEqual({ code: '431', description: expect.stringMatching(/too large/) });
    // Elsewhere the platform answers problem+json, not Fastify's own shape.
    const other = await rawGet(port, `/api/hotline/tickets${huge}`);
    expect(other.status).toBe(431);
    expect(other.type).toBe('application/problem+json');
    expect(JSON.parse(other.body)).toMatchObject({ status: 431, code: 'REQUEST_HEADERS_TOO_LARGE' });
  });

  it('limits every text field', async () => {
    const base = { api_key: key, service_code: code, lat: '30.5', long: '114.3', description: 'x' };
    const cases: [string, string][] = [
      ['address_string', '路'.repeat(501)], ['address_id', 'a'.repeat(101)], ['first_name', '明'.repeat(51)], ['last_name', '李'.repeat(51)],
      ['phone', '1'.repeat(31)], ['email', `${'a'.repeat(250)}@x.cn`], ['device_id', 'd'.repeat(101)], ['account_id', 'a'.repeat(101)],
      ['media_url', `https://x.cn/${'a'.repeat(2040)}`], ['service_code', 'C'.repeat(51)],
    ];
    for (const [field, value] of cases) expectErrors(await post('/requests.json', { ...base, [field]: value }), 400, new RegExp(`^${field}: is limited`));
    expectErrors(await post('/requests.json', { ...base, phone: '<script>' }), 400, /^phone: /);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`attribute[A${i}]`, 'v']));
    expectErrors(await post('/requests.json', { ...base, ...many }), 400, /^attribute: /);
    // At the limits everything is accepted and kept.
    const id = await file({ address_string: '路'.repeat(500), first_name: '明'.repeat(50), last_name: '李'.repeat(50), phone: '+86 (139) 1234-5678' });
    const row = await hub.database.db.selectFrom('hotline_ticket').select(['address', 'citizen_name', 'citizen_phone']).where('number', '=', id).executeTakeFirstOrThrow();
    expect(row.address).toBe('路'.repeat(500));
    expect(row.citizen_phone).toBe('+86 (139) 1234-5678');
  });

  it('answers browsers of configured origins only, never with credentials', async () => {
    const allowed = await get('/services.json', { origin: 'https://app.example.org' });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await get('/services.json', { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await hub.http.inject({
      method: 'OPTIONS', url: `${BASE}/requests.json`,
      headers: { origin: 'https://app.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST');
    // The public catalogue (origins: *) answers any origin; its authenticated routes answer none.
    const catalog = await hub.http.inject({ method: 'GET', url: '/api/catalog/public/datasets', headers: { origin: 'https://portal.example' } });
    expect(catalog.statusCode).toBe(200);
    expect(catalog.headers['access-control-allow-origin']).toBe('*');
    const dcat = await hub.http.inject({ method: 'GET', url: '/api/catalog/dcat', headers: { origin: 'https://portal.example' } });
    expect(dcat.headers['access-control-allow-origin']).toBe('*');
    const closed = await hub.http.inject({ method: 'GET', url: '/api/catalog/datasets', headers: { origin: 'https://portal.example' } });
    expect(closed.headers['access-control-allow-origin']).toBeUndefined();
    // Off by default: no origin is listed, and a scope with none gets no CORS headers at all.
    expect((Value.Default(Open311ConfigSchema, {}) as Open311Config).cors.origins).toEqual([]);
    expect((Value.Default(CatalogConfigSchema, {}) as CatalogConfig).cors.origins).toEqual([]);
    const bare = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    registerCors(bare, { origins: [], maxAgeSeconds: 600 }, { methods: ['GET'], headers: [] });
    bare.get('/x', { config: { access: 'public' } }, async () => 'ok');
    const res = await bare.inject({ method: 'GET', url: '/x', headers: { origin: 'https://app.example.org' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await bare.close();
  });

  it('serves mySociety\'s servicerequestupdates: status changes of published requests in a date range', async () => {
    now = new Date('2026-11-24T01:00:00Z');
    const id = await file({ description: '路灯闪烁' });
    const ticket = await hub.database.db.selectFrom('hotline_ticket').select('id').where('number', '=', id).executeTakeFirstOrThrow();
    now = new Date('2026-11-24T02:00:00Z');
    await hub.services.hotline.workflow.transition(admin, ticket.id, 'dispatch', { unitId });
    const privateTicket = await hub.services.hotline.intake.create(admin, { title: '私下来电', content: '不公开' });
    await hub.services.hotline.workflow.transition(admin, privateTicket.id, 'dispatch', { unitId });

    const range = 'start_date=2026-11-24T00:00:00Z&end_date=2026-11-24T03:00:00Z';
    const res = await get(`/servicerequestupdates.json?${range}`);
    expect(res.statusCode).toBe(200);
    const updates = res.json() as Record<string, string>[];
    expect(updates.map((u) => [u.service_request_id, u.status, u.updated_datetime])).toEqual([
      [id, 'open', '2026-11-24T01:00:00Z'],
      [id, 'investigating', '2026-11-24T02:00:00Z'],
    ]);
    expect(Object.keys(updates[0]).sort()).toEqual(['description', 'media_url', 'service_request_id', 'status', 'update_id', 'updated_datetime']);
    expect(new Set(updates.map((u) => u.update_id)).size).toBe(2);
    expect(JSON.stringify(updates)).not.toContain(privateTicket.number);
    const xml = parseXml((await get(`/servicerequestupdates.xml?${range}`)).body);
    expect(xml.name).toBe('service_request_updates');
    expect(xml.children.map((c) => [c.name, fields(c).status])).toEqual([['request_update', 'open'], ['request_update', 'investigating']]);
    expect((await get('/servicerequestupdates.json?start_date=2026-11-24T04:00:00Z&end_date=2026-11-24T05:00:00Z')).json()).toEqual([]);
    expectErrors(await get('/servicerequestupdates.json?start_date=2026-02-30T00:00:00Z'), 400, /^start_date: /);
  });
});
