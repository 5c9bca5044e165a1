import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { Actor } from '../../../src/platform/auth/roles.js';
import { fields, parseXml, type XmlElement } from './xml-tree.js';

const BASE = '/open311/v2';

/** The spec's element names of a request in GET Service Request(s), in its order. */
const REQUEST_ELEMENTS = [
  'service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible',
  'service_notice', 'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode',
  'lat', 'long', 'media_url',
];
const SERVICE_ELEMENTS = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'];

const form = (data: Record<string, string>) => new URLSearchParams(data).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

describe.each(testEngines)('Open311 GeoReport v2 [%s]', (engine) => {
  let hub: TestHub;
  let admin: Actor;
  let now = new Date('2026-11-20T08:00:00Z');
  let citizenKey: string;
  let leaderKey: string;
  let lightCode: string;
  let noiseCode: string;
  let unitId: string;
  const created: { id: string; token: string }[] = [];

  const get = (url: string) => hub.http.inject({ method: 'GET', url: `${BASE}${url}` });
  const getJson = async (url: string) => {
    const res = await get(url);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return { status: res.statusCode, body: res.json() };
  };
  const getXml = async (url: string) => {
    const res = await get(url);
    expect(res.headers['content-type']).toMatch(/^text\/xml; charset=utf-8/);
    return { status: res.statusCode, root: parseXml(res.body), raw: res.body };
  };
  const expectErrorsXml = (root: XmlElement, code: number) => {
    expect(root.name).toBe('errors');
    expect(root.children.length).toBeGreaterThan(0);
    for (const e of root.children) {
      expect(e.name).toBe('error');
      expect(e.children.map((c) => c.name)).toEqual(['code', 'description']);
      expect(fields(e).code).toBe(String(code));
      expect(fields(e).description.length).toBeGreaterThan(0);
    }
  };
  const expectErrorsJson = (body: unknown, code: number) => {
    expect(Array.isArray(body)).toBe(true);
    for (const e of body as { code: number; description: string }[]) {
      expect(Object.keys(e).sort()).toEqual(['code', 'description']);
      expect(e.code).toBe(code);
    }
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now });
    admin = { kind: 'user', id: (await hub.loginAs(['admin'])).userId, roles: ['admin'] };
    await hub.services.hotline.reference.importTaxonomy(admin, [
      { level1: '城乡建设', level2: '市政设施', level3: '路灯照明' },
      { level1: '环境保护', level2: '噪声污染' },
    ]);
    const cats = await hub.services.hotline.reference.listCategories(admin);
    lightCode = cats.find((c) => c.level3 === '路灯照明')!.code;
    noiseCode = cats.find((c) => c.level2 === '噪声污染' && !c.level3)!.code;
    unitId = (await hub.services.auth.createOrg(admin, { name: '市城市管理局', kind: 'department' })).id;
    citizenKey = (await hub.services.auth.createApiKey(admin, { name: 'citizen-app', roles: ['citizen'] })).key;
    leaderKey = (await hub.services.auth.createApiKey(admin, { name: 'cockpit', roles: ['leader'] })).key;
  });
  afterAll(async () => hub?.close());

  it('serves the discovery document in XML and JSON', async () => {
    const x = await getXml('/discovery.xml');
    expect(x.status).toBe(200);
    expect(x.root.name).toBe('discovery');
    expect(x.root.children.map((c) => c.name)).toEqual(['changeset', 'contact', 'key_service', 'endpoints']);
    const endpoint = x.root.children[3].children[0];
    expect(endpoint.name).toBe('endpoint');
    expect(endpoint.children.map((c) => c.name)).toEqual(['specification', 'url', 'changeset', 'type', 'formats']);
    expect(endpoint.children[4].children.map((c) => [c.name, c.text])).toEqual([['format', 'text/xml'], ['format', 'application/json']]);
    const j = await getJson('/discovery.json');
    expect(j.body.endpoints[0].specification).toBe('http://wiki.open311.org/GeoReport_v2');
    expect(j.body.endpoints[0].formats).toEqual(['text/xml', 'application/json']);
  });

  it('lists categories as services and serves their definitions', async () => {
    const j = await getJson('/services.json');
    expect(j.status).toBe(200);
    const light = j.body.find((s: { service_code: string }) => s.service_code === lightCode);
    expect(light).toEqual({
      service_code: lightCode, service_name: '路灯照明', description: '城乡建设 / 市政设施 / 路灯照明',
      metadata: false, type: 'realtime', keywords: '城乡建设, 市政设施, 路灯照明', group: '城乡建设',
    });
    const x = await getXml('/services.xml');
    expect(x.root.name).toBe('services');
    expect(x.root.children.length).toBe(j.body.length);
    for (const s of x.root.children) {
      expect(s.name).toBe('service');
      expect(s.children.map((c) => c.name)).toEqual(SERVICE_ELEMENTS);
    }
    const d = await getJson(`/services/${lightCode}.json`);
    expect(d.body).toEqual({ service_code: lightCode, attributes: [] });
    const dx = await getXml(`/services/${lightCode}.xml`);
    expect(dx.root.name).toBe('service_definition');
    expect(dx.root.children.map((c) => c.name)).toEqual(['service_code', 'attributes']);
    const missing = await getXml('/services/NOPE.xml');
    expect(missing.status).toBe(404);
    expectErrorsXml(missing.root, 404);
    const missingJ = await getJson('/services/NOPE.json');
    expect(missingJ.status).toBe(404);
    expectErrorsJson(missingJ.body, 404);
  });

  it('creates a request by a form-encoded POST with the api_key and finds it by token and by id', async () => {
    const res = await hub.http.inject({
      method: 'POST', url: `${BASE}/requests.xml`, headers: FORM,
      payload: form({
        api_key: citizenKey, service_code: lightCode, lat: '30.5728', long: '114.2793', address_string: '滨江路 18 号',
        first_name: '明', last_name: '李', phone: '13912345678', email: 'li.ming@example.com', device_id: 'dev-1',
        description: '滨江路 18 号路灯连续三晚不亮\n请尽快维修，联系电话 13912345678', media_url: 'https://img.example.com/p/1.jpg',
        'attribute[WHEN]': 'night',
      }),
    });
    expect(res.statusCode).toBe(200);
    const root = parseXml(res.body);
    expect(root.name).toBe('service_requests');
    expect(root.children[0].name).toBe('request');
    const r = fields(root.children[0]);
    expect(r.service_request_id).toMatch(/^20261120-\d{6}$/);
    expect(r.token.length).toBeGreaterThan(10);
    created.push({ id: r.service_request_id, token: r.token });

    const byToken = await getJson(`/tokens/${r.token}.json`);
    expect(byToken.body).toEqual([{ service_request_id: r.service_request_id, token: r.token }]);
    const byTokenX = await getXml(`/tokens/${r.token}.xml`);
    expect(fields(byTokenX.root.children[0])).toEqual({ service_request_id: r.service_request_id, token: r.token });

    const one = await getJson(`/requests/${r.service_request_id}.json`);
    expect(one.status).toBe(200);
    expect(one.body).toHaveLength(1);
    const req = one.body[0];
    expect(Object.keys(req)).toEqual(REQUEST_ELEMENTS);
    expect(req).toMatchObject({
      service_request_id: r.service_request_id, status: 'open', service_code: lightCode, service_name: '路灯照明',
      address: '滨江路 18 号', lat: 30.5728, long: 114.2793, media_url: 'https://img.example.com/p/1.jpg',
      requested_datetime: '2026-11-20T08:00:00Z',
    });
    expect(req.description).toContain('联系电话 【电话已隐藏】');
    const oneX = await getXml(`/requests/${r.service_request_id}.xml`);
    expect(oneX.root.name).toBe('service_requests');
    expect(oneX.root.children[0].children.map((c) => c.name)).toEqual(REQUEST_ELEMENTS);
    // Personal data never leaves through Open311: not the name, not the phone, not the e-mail.
    for (const body of [JSON.stringify(one.body), oneX.raw]) {
      expect(body).not.toContain('13912345678');
      expect(body).not.toContain('李');
      expect(body).not.toContain('li.ming');
    }
    // …but the ticket keeps them for the handlers.
    const row = await hub.database.db.selectFrom('hotline_ticket').selectAll().where('number', '=', r.service_request_id).executeTakeFirstOrThrow();
    expect(row.citizen_phone).toBe('13912345678');
    expect(row.channel).toBe('open311');
    expect(row.open311_token).toBe(r.token);
  });

  it('accepts a JSON body and a Bearer key too', async () => {
    now = new Date('2026-11-21T09:30:00Z');
    const res = await hub.http.inject({
      method: 'POST', url: `${BASE}/requests.json`,
      payload: { api_key: citizenKey, service_code: noiseCode, lat: 30.58, long: 114.3, address_string: '望湖街道 5 栋', description: '夜间施工噪音' },
    });
    expect(res.statusCode).toBe(200);
    const [r] = res.json();
    expect(Object.keys(r).sort()).toEqual(['account_id', 'service_notice', 'service_request_id', 'token']);
    created.push({ id: r.service_request_id, token: r.token });
    const bearer = await hub.http.inject({
      method: 'POST', url: `${BASE}/requests.json`, headers: { ...FORM, authorization: `Bearer ${citizenKey}` },
      payload: form({ service_code: noiseCode, address_id: 'A-1001', description: '广场舞音响太吵' }),
    });
    expect(bearer.statusCode).toBe(200);
    created.push({ id: bearer.json()[0].service_request_id, token: bearer.json()[0].token });
  });

  it('lists requests with each filter, in JSON and XML', async () => {
    // An old closed ticket (outside the default 90-day window) and a closed one inside it.
    now = new Date('2026-06-01T00:00:00Z');
    // Filed for publication (the feed lists nothing else: open311-privacy.test.ts).
    const old = await hub.services.hotline.intake.create(admin, { title: '旧诉求', content: '很久以前', categoryId: null, public: true });
    now = new Date('2026-11-22T00:00:00Z');
    const closed = await hub.services.hotline.intake.create(admin, { title: '已办结', content: '处理完毕', public: true });
    await hub.services.hotline.intake.create(admin, { title: '私下来电', content: '不公开' });
    await hub.database.db.updateTable('hotline_ticket').set({ status: 'closed', closed_at: new Date('2026-11-22T06:00:00Z') })
      .where('number', 'in', [closed.number, old.number]).execute();
    await hub.database.db.updateTable('hotline_ticket').set({ unit_id: unitId }).where('number', '=', closed.number).execute();
    now = new Date('2026-11-25T00:00:00Z');

    const all = await getJson('/requests.json');
    const ids = all.body.map((r: { service_request_id: string }) => r.service_request_id);
    expect(ids).toEqual([closed.number, created[2].id, created[1].id, created[0].id]); // newest first, old one outside 90 days
    const xml = await getXml('/requests.xml');
    expect(xml.root.name).toBe('service_requests');
    expect(xml.root.children.map((c) => fields(c).service_request_id)).toEqual(ids);
    for (const r of xml.root.children) {
      expect(r.name).toBe('request');
      expect(r.children.map((c) => c.name)).toEqual(REQUEST_ELEMENTS);
    }

    const byIds = await getJson(`/requests.json?service_request_id=${created[0].id},${old.number}&status=open`);
    // service_request_id overrides every other argument (the old and closed one comes back).
    expect(byIds.body.map((r: { service_request_id: string }) => r.service_request_id).sort()).toEqual([created[0].id, old.number].sort());
    expect(byIds.body.find((r: { service_request_id: string }) => r.service_request_id === old.number).status).toBe('closed');

    const byCode = await getJson(`/requests.json?service_code=${noiseCode}`);
    expect(byCode.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([created[2].id, created[1].id]);
    const byCodes = await getJson(`/requests.json?service_code=${noiseCode},${lightCode}`);
    expect(byCodes.body).toHaveLength(3);

    const open = await getJson('/requests.json?status=open');
    expect(open.body.every((r: { status: string }) => r.status === 'open')).toBe(true);
    expect(open.body).toHaveLength(3);
    const closedList = await getXml('/requests.xml?status=closed');
    expect(closedList.root.children.map((c) => fields(c))).toEqual([expect.objectContaining({ service_request_id: closed.number, status: 'closed', status_notes: '已办结 Closed', agency_responsible: '市城市管理局', updated_datetime: '2026-11-22T06:00:00Z' })]);
    const both = await getJson('/requests.json?status=open,closed');
    expect(both.body).toHaveLength(4);

    const ranged = await getJson('/requests.json?start_date=2026-11-20T00:00:00Z&end_date=2026-11-21T00:00:00Z');
    expect(ranged.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([created[0].id]);
    const fromOld = await getJson('/requests.json?start_date=2026-05-15T00:00:00%2B08:00');
    expect(fromOld.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([old.number]);
    const empty = await getJson('/requests.json?service_code=&status=');
    expect(empty.body).toHaveLength(4); // empty optional arguments are the same as absent ones
  });

  it('answers errors as the spec says', async () => {
    const post = (url: string, data: Record<string, string>) =>
      hub.http.inject({ method: 'POST', url: `${BASE}${url}`, headers: FORM, payload: form(data) });
    const base = { service_code: lightCode, lat: '30.1', long: '114.2', description: 'x' };

    const noKey = await post('/requests.xml', base);
    expect(noKey.statusCode).toBe(403);
    expectErrorsXml(parseXml(noKey.body), 403);
    const badKey = await post('/requests.json', { ...base, api_key: 'chk_not-a-key' });
    expect(badKey.statusCode).toBe(403);
    expectErrorsJson(badKey.json(), 403);
    const weakKey = await post('/requests.json', { ...base, api_key: leaderKey });
    expect(weakKey.statusCode).toBe(403);
    const noCode = await post('/requests.json', { ...base, api_key: citizenKey, service_code: '' });
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json()[0].description).toMatch(/service_code/);
    const unknownCode = await post('/requests.xml', { ...base, api_key: citizenKey, service_code: 'NOPE' });
    expect(unknownCode.statusCode).toBe(404);
    expectErrorsXml(parseXml(unknownCode.body), 404);
    const noPlace = await post('/requests.json', { api_key: citizenKey, service_code: lightCode, description: 'x' });
    expect(noPlace.statusCode).toBe(400);
    const halfPlace = await post('/requests.json', { api_key: citizenKey, service_code: lightCode, lat: '30.1' });
    expect(halfPlace.statusCode).toBe(400);
    const badLat = await post('/requests.json', { ...base, api_key: citizenKey, lat: '123' });
    expect(badLat.statusCode).toBe(400);

    const unknownId = await getXml('/requests/20990101-000001.xml');
    expect(unknownId.status).toBe(404);
    expectErrorsXml(unknownId.root, 404);
    const unknownToken = await getJson('/tokens/nope.json');
    expect(unknownToken.status).toBe(404);
    expectErrorsJson(unknownToken.body, 404);
    const badStatus = await getJson('/requests.json?status=pending');
    expect(badStatus.status).toBe(400);
    const badDate = await getJson('/requests.json?start_date=2026-11-01T00:00:00');
    expect(badDate.status).toBe(400); // the spec requires a zone
    const tooLong = await getJson('/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z');
    expect(tooLong.status).toBe(400);
    expect(tooLong.body[0].description).toMatch(/90 days/);
    const badFormat = await get('/requests.html');
    expect(badFormat.statusCode).toBe(400);
    const noRoute = await getXml('/nothing.xml');
    expect(noRoute.status).toBe(404);
    expectErrorsXml(noRoute.root, 404);
    const badBearer = await hub.http.inject({ method: 'GET', url: `${BASE}/services.json`, headers: { authorization: 'Bearer nope' } });
    expect(badBearer.statusCode).toBe(403);
    expectErrorsJson(badBearer.json(), 403);
  });

  it('files a request once per Idempotency-Key: a retry gets the first request and token back', async () => {
    const post = (description: string) => hub.http.inject({
      method: 'POST', url: `${BASE}/requests.json`, headers: { 'idempotency-key': 'o311-retry-1' },
      payload: { api_key: citizenKey, service_code: noiseCode, lat: 30.58, long: 114.3, description },
    });
    const first = await post('凌晨装修电钻声');
    expect(first.statusCode, first.body).toBe(200);
    const again = await post('凌晨装修电钻声');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(first.json());
    // the same key with another body: refused (GeoReport v2 answers its client errors as 400), nothing filed
    const other = await post('另一件事');
    expect(other.statusCode, other.body).toBe(400);
    expect(await hub.database.db.selectFrom('hotline_ticket').select('id').where('content', '=', '另一件事').execute()).toEqual([]);
    const rows = await hub.database.db.selectFrom('hotline_ticket').select('number').where('content', '=', '凌晨装修电钻声').execute();
    expect(rows.map((r) => r.number)).toEqual([first.json()[0].service_request_id]);
  });
});
