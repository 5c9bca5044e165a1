import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { contextLink, ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 v1.8 §5.13 / §6.29–6.30 (@context API) and §5.5.7 (contexts): hosting a context, using it by its
 * URL, serving, listing, deleting; remote contexts that list further contexts are followed (through the
 * outbound guard, here allowed for a local server), an unknown entry fails, reload and drop of cached copies.
 */
describe.each(testEngines)('NGSI-LD @context API [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let server: Server;
  let base = '';
  const served: Record<string, unknown> = {};
  const req = ngsiRequester(() => hub, () => cookie, {});

  beforeAll(async () => {
    server = createServer((r, res) => {
      const doc = served[r.url ?? ''];
      res.writeHead(doc ? 200 : 404, { 'content-type': 'application/ld+json' }).end(doc ? JSON.stringify(doc) : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    served['/outer.jsonld'] = { '@context': [`${base}/inner.jsonld`, { speed: 'https://example.org/vocab/speed' }] };
    served['/inner.jsonld'] = { '@context': { Bus: 'https://example.org/vocab/Bus', 'ex': 'https://example.org/vocab/', plate: 'ex:plate' } };
    served['/broken.jsonld'] = { '@context': [`${base}/missing.jsonld`, { a: 'https://example.org/a' }] };
    hub = await createTestHub(engine, {
      config: {
        outbound: { allow: ['127.0.0.1'] },
        modules: { context: { fetchRemoteContexts: true, maxHostedContexts: 3, simulator: { enabled: false }, mqtt: { ingest: false } } },
      } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    server?.close();
  }, 60_000);

  it('hosts a context, resolves a Link to it, serves, lists and deletes it', async () => {
    let res = await req('POST', '/jsonldContexts', { '@context': { Truck: 'https://example.org/fleet/Truck', load: 'https://example.org/fleet/load' } });
    expect(res.statusCode, res.body).toBe(201);
    const path = res.headers.location as string;
    expect(path).toMatch(/^\/ngsi-ld\/v1\/jsonldContexts\/[0-9a-f-]{36}$/);
    const url = `http://localhost:80${path}`;
    res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Truck:1', type: 'Truck', load: 7 }, { link: contextLink(url) });
    expect(res.statusCode, res.body).toBe(201);
    // Stored under the hosted context's IRIs: read with the core context, the names are full IRIs.
    expect((await req('GET', '/entities/urn:ngsi-ld:Truck:1?options=keyValues')).json()).toEqual({ id: 'urn:ngsi-ld:Truck:1', type: 'https://example.org/fleet/Truck', 'https://example.org/fleet/load': 7 });
    res = await req('GET', path.replace('/ngsi-ld/v1', ''));
    expect(res.json()).toEqual({ '@context': { Truck: 'https://example.org/fleet/Truck', load: 'https://example.org/fleet/load' } });
    res = await req('GET', `${path.replace('/ngsi-ld/v1', '')}?details=true`);
    expect(res.json()).toMatchObject({ kind: 'Hosted', localId: path.split('/').pop() });
    const list = (await req('GET', '/jsonldContexts?kind=Hosted')).json();
    expect(list).toEqual([expect.stringMatching(new RegExp(`${path}$`))]);
    expect((await req('GET', '/jsonldContexts')).json()).toContain('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld');
    expect((await req('DELETE', path.replace('/ngsi-ld/v1', ''), undefined, { 'content-type': 'application/json' })).statusCode).toBe(204);
    expect((await req('GET', path.replace('/ngsi-ld/v1', ''))).statusCode).toBe(404);
    expect((await req('DELETE', path.replace('/ngsi-ld/v1', ''))).statusCode).toBe(404);
  });

  it('refuses bad documents, the core context deletion, too many hosted contexts, and writes without the permission', async () => {
    for (const body of [{}, { '@context': 3 }, { '@context': [] }, { '@context': 'not a url' }]) {
      const res = await req('POST', '/jsonldContexts', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await req('DELETE', `/jsonldContexts/${encodeURIComponent('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld')}`)).statusCode).toBe(400);
    const reader = (await hub.loginAs(['market_operator'])).cookie;
    expect((await req('POST', '/jsonldContexts', { '@context': { a: 'https://example.org/a' } }, {}, reader)).statusCode).toBe(403);
    expect((await req('GET', '/jsonldContexts', undefined, {}, '')).statusCode).toBe(401);
    for (let i = 0; i < 3; i++) expect((await req('POST', '/jsonldContexts', { '@context': { a: `https://example.org/a${i}` } })).statusCode).toBe(201);
    const over = await req('POST', '/jsonldContexts', { '@context': { a: 'https://example.org/a9' } });
    expect(over.statusCode).toBe(400);
    expect(over.json().limit).toBe(3);
  });

  it('follows a remote context that lists further contexts; an unknown entry fails; cached copies drop and reload', async () => {
    let res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Bus:1', type: 'Bus', speed: 40, plate: 'A1' }, { link: contextLink(`${base}/outer.jsonld`) });
    expect(res.statusCode, res.body).toBe(201);
    res = await req('GET', '/entities/urn:ngsi-ld:Bus:1?options=keyValues');
    expect(res.json()).toEqual({ id: 'urn:ngsi-ld:Bus:1', type: 'https://example.org/vocab/Bus', 'https://example.org/vocab/speed': 40, 'https://example.org/vocab/plate': 'A1' });
    res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Bus:2', type: 'Bus', a: 1 }, { link: contextLink(`${base}/broken.jsonld`) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable', contextUrl: `${base}/missing.jsonld` });
    const cached = (await req('GET', '/jsonldContexts?details=true&kind=Cached')).json() as { URL: string; timestamp?: string }[];
    expect(cached.find((c) => c.URL === `${base}/inner.jsonld`)?.timestamp).toBeDefined();
    res = await req('GET', `/jsonldContexts/${encodeURIComponent(`${base}/inner.jsonld`)}`);
    expect(res.json()['@context']).toMatchObject({ Bus: 'https://example.org/vocab/Bus', plate: 'https://example.org/vocab/plate' });
    served['/inner.jsonld'] = { '@context': { Bus: 'https://example.org/vocab2/Bus' } };
    expect((await req('DELETE', `/jsonldContexts/${encodeURIComponent(`${base}/inner.jsonld`)}?reload=true`)).statusCode).toBe(204);
    expect((await req('GET', `/jsonldContexts/${encodeURIComponent(`${base}/inner.jsonld`)}`)).json()).toEqual({ '@context': { Bus: 'https://example.org/vocab2/Bus' } });
    expect((await req('DELETE', `/jsonldContexts/${encodeURIComponent(`${base}/inner.jsonld`)}`)).statusCode).toBe(204);
    expect((await req('GET', `/jsonldContexts/${encodeURIComponent(`${base}/inner.jsonld`)}`)).statusCode).toBe(404);
  });

  it('makes an ImplicitlyCreated context of a subscription\'s list @context, named by its jsonldContext', async () => {
    const own = ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld', { Tram: 'https://example.org/rail/Tram' }];
    const sub = (id: string) => ({ id, type: 'Subscription', entities: [{ type: 'Tram' }], notification: { endpoint: { uri: `${base}/notify` } }, '@context': own });
    let res = await req('POST', '/subscriptions', sub('urn:ngsi-ld:Subscription:implicit1'), { 'content-type': 'application/ld+json' });
    expect(res.statusCode, res.body).toBe(201);
    const url = (await req('GET', '/subscriptions/urn:ngsi-ld:Subscription:implicit1')).json().jsonldContext as string;
    expect(url).toMatch(/\/ngsi-ld\/v1\/jsonldContexts\/[0-9a-f-]{36}$/);
    const localId = url.split('/').pop()!;
    // The same @context again: the same implicit context, kept once.
    expect((await req('POST', '/subscriptions', sub('urn:ngsi-ld:Subscription:implicit2'), { 'content-type': 'application/ld+json' })).statusCode).toBe(201);
    expect((await req('GET', '/subscriptions/urn:ngsi-ld:Subscription:implicit2')).json().jsonldContext).toBe(url);
    const implicit = (await req('GET', '/jsonldContexts?details=true&kind=ImplicitlyCreated')).json() as { URL: string; localId: string; kind: string }[];
    expect(implicit).toEqual([expect.objectContaining({ URL: url, localId, kind: 'ImplicitlyCreated' })]);
    expect((await req('GET', '/jsonldContexts?kind=Hosted')).json()).not.toContain(url);
    expect((await req('GET', `/jsonldContexts/${localId}`)).json()).toEqual({ '@context': own });
    expect((await req('GET', `/jsonldContexts/${localId}?details=true`)).json().kind).toBe('ImplicitlyCreated');
    // An implicit context is not a cached copy: no reload (400); it can be deleted.
    res = await req('DELETE', `/jsonldContexts/${localId}?reload=true`);
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    expect((await req('DELETE', `/jsonldContexts/${localId}`)).statusCode).toBe(204);
    expect((await req('GET', '/jsonldContexts?kind=ImplicitlyCreated')).json()).toEqual([]);
  });
});
