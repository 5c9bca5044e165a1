import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import aedes from 'aedes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';
import { SDM, ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §5.2.12 / §5.8.6 (v1.6–v1.8 notification members): `notificationTrigger` (entity and attribute
 * created / updated / deleted, default attributes created and updated), deleted attributes and entities shown
 * with NGSI-LD Null and `deletedAt`, `showChanges` (previousValue, previousObject, previousLanguageMap),
 * `sysAttrs`, `pick`/`omit`, `join`/`joinLevel` and `jsonldContext` in notifications; the forbidden combinations
 * answer 400 naming the member. v1.8 `datasetId` (only those instances notified); the @context of JSON (Link
 * header) and JSON-LD (in the body) notifications; MQTT notifications (real broker at 127.0.0.1:1883) with the
 * protocol version and QoS of `notifierInfo`.
 */
describe.each(testEngines)('NGSI-LD notification members [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const drain = () => hub.services.context.dispatcher.drain();
  let n = 0;
  /** A fresh entity type per test, so one test's subscriptions do not see the next one's entities. */
  let type = '';

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      config: { outbound: { allow: ['127.0.0.1'] }, modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    sink = await startSink();
  }, 120_000);
  afterAll(async () => {
    await sink?.close();
    await hub?.close();
  }, 60_000);
  beforeEach(() => {
    sink.received.length = 0;
    type = `Tower${++n}`;
  });

  const subscribe = async (body: Record<string, unknown>, notification: Record<string, unknown> = {}) => {
    const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type }], ...body, notification: { endpoint: { uri: sink.url }, ...notification } });
    expect(res.statusCode, res.body).toBe(201);
    return res.headers.location!.replace('/ngsi-ld/v1', '');
  };
  const create = async (id: string, attrs: Record<string, unknown> = {}) => {
    const res = await req('POST', '/entities', {
      id, type,
      name: { type: 'Property', value: 'Old Tower' },
      street: { type: 'LanguageProperty', languageMap: { fr: 'Grand-Rue', de: 'Hauptstrasse' } },
      partOf: { type: 'Relationship', object: 'urn:ngsi-ld:District:North' },
      height: { type: 'Property', value: 40 },
      ...attrs,
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  /** The entities notified since the test began, in order. */
  const notified = async () => {
    await drain();
    return sink.received.flatMap((r) => r.body.data as Record<string, unknown>[]);
  };

  it('notificationTrigger entityCreated / entityDeleted: only those; a deleted entity has deletedAt and its attributes Null', async () => {
    await subscribe({ notificationTrigger: ['entityCreated', 'entityDeleted'] }, { format: 'keyValues' });
    await create('urn:ngsi-ld:T:1');
    expect((await req('PATCH', '/entities/urn:ngsi-ld:T:1/attrs', { height: { type: 'Property', value: 41 } })).statusCode).toBe(204);
    expect((await req('DELETE', '/entities/urn:ngsi-ld:T:1')).statusCode).toBe(204);
    // Deliveries run side by side: the order they arrive in is not the order of the changes.
    const data = await notified();
    expect(data).toHaveLength(2);
    const deleted = data.find((e) => 'deletedAt' in e)!;
    expect(data.find((e) => e !== deleted)).toMatchObject({ id: 'urn:ngsi-ld:T:1', type, name: 'Old Tower', height: 40 });
    expect(deleted).toMatchObject({ id: 'urn:ngsi-ld:T:1', type, name: 'urn:ngsi-ld:null', height: 'urn:ngsi-ld:null', partOf: 'urn:ngsi-ld:null' });
    expect(Date.parse(deleted.deletedAt as string)).not.toBeNaN();
  });

  it('default triggers: attributes created and updated notify, an attribute or entity deleted does not', async () => {
    const path = await subscribe({});
    expect((await req('GET', path)).json().notificationTrigger).toBeUndefined();
    await create('urn:ngsi-ld:T:2');
    expect((await req('POST', '/entities/urn:ngsi-ld:T:2/attrs', { floors: { type: 'Property', value: 9 } })).statusCode).toBe(204);
    expect((await req('DELETE', '/entities/urn:ngsi-ld:T:2/attrs/floors')).statusCode).toBe(204);
    expect((await req('DELETE', '/entities/urn:ngsi-ld:T:2')).statusCode).toBe(204);
    const data = await notified();
    expect(data).toHaveLength(2);
    expect(data.map((e) => (e.floors as { value?: number } | undefined)?.value)).toContain(9);
  });

  it('attributeDeleted: the entity as it is, the deleted attribute Null (normalized and keyValues), with its previous value on showChanges', async () => {
    await subscribe({ notificationTrigger: ['attributeDeleted'] }, { showChanges: true });
    await subscribe({ notificationTrigger: ['attributeDeleted'] }, { format: 'keyValues' });
    await create('urn:ngsi-ld:T:3');
    expect(await notified()).toHaveLength(0);
    for (const attr of ['name', 'partOf', 'street']) expect((await req('DELETE', `/entities/urn:ngsi-ld:T:3/attrs/${attr}`)).statusCode).toBe(204);
    const data = await notified();
    expect(data).toHaveLength(6);
    const normalized = data.filter((e) => typeof e.height === 'object');
    const keyValues = data.filter((e) => e.height === 40);
    const shown = (attr: string) => normalized.map((e) => e[attr]).filter((v) => (v as { type?: string } | undefined)?.type !== undefined && JSON.stringify(v).includes('urn:ngsi-ld:null'));
    expect(shown('name')).toEqual([{ type: 'Property', value: 'urn:ngsi-ld:null', previousValue: 'Old Tower' }]);
    expect(shown('partOf')).toEqual([{ type: 'Relationship', object: 'urn:ngsi-ld:null', previousObject: 'urn:ngsi-ld:District:North' }]);
    expect(shown('street')).toEqual([{ type: 'LanguageProperty', languageMap: 'urn:ngsi-ld:null', previousLanguageMap: { fr: 'Grand-Rue', de: 'Hauptstrasse' } }]);
    // An attribute deleted by an earlier change is absent, not Null again.
    expect(normalized.filter((e) => e.name === undefined)).toHaveLength(2);
    expect(keyValues.find((e) => e.name === 'urn:ngsi-ld:null')).toMatchObject({ id: 'urn:ngsi-ld:T:3', type, partOf: 'urn:ngsi-ld:District:North', height: 40 });
  });

  it('showChanges: previous values of the updated attributes only, none on creation; sysAttrs in notifications', async () => {
    const path = await subscribe({ notificationTrigger: ['entityCreated', 'attributeUpdated'] }, { showChanges: true, sysAttrs: true });
    const shown = (await req('GET', path)).json();
    expect(shown.notificationTrigger).toEqual(['entityCreated', 'attributeUpdated']);
    expect(shown.notification).toMatchObject({ showChanges: true, sysAttrs: true });
    await create('urn:ngsi-ld:T:4');
    expect((await req('PATCH', '/entities/urn:ngsi-ld:T:4/attrs', { name: { type: 'Property', value: 'New Tower' }, partOf: { type: 'Relationship', object: 'urn:ngsi-ld:District:South' } })).statusCode).toBe(204);
    const data = await notified();
    const created = data.find((e) => (e.name as { value: string }).value === 'Old Tower')!;
    const updated = data.find((e) => (e.name as { value: string }).value === 'New Tower')!;
    expect(JSON.stringify(created)).not.toContain('previous');
    expect(typeof created.createdAt).toBe('string');
    expect(updated.name).toMatchObject({ type: 'Property', value: 'New Tower', previousValue: 'Old Tower' });
    expect(updated.partOf).toMatchObject({ type: 'Relationship', object: 'urn:ngsi-ld:District:South', previousObject: 'urn:ngsi-ld:District:North' });
    expect(updated.height).not.toHaveProperty('previousValue');
    expect(typeof (updated.name as { modifiedAt: string }).modifiedAt).toBe('string');
    // Without sysAttrs none are sent.
    sink.received.length = 0;
    await subscribe({}, {});
    expect((await req('PATCH', '/entities/urn:ngsi-ld:T:4/attrs', { height: { type: 'Property', value: 42 } })).statusCode).toBe(204);
    const plain = (await notified()).find((e) => !('createdAt' in e))!;
    expect(plain.height).toEqual({ type: 'Property', value: 42 });
  });

  it('pick and omit in notifications; pick with omit or attributes, a bad trigger, a bad showChanges are 400 naming the member', async () => {
    await subscribe({}, { pick: ['id', 'name'] });
    const lang = await subscribe({ lang: 'de' }, { pick: ['id', 'street'] });
    expect((await req('GET', lang)).json().lang).toBe('de');
    await subscribe({}, { omit: ['type', 'street', 'partOf', 'height'], format: 'simplified' });
    await create('urn:ngsi-ld:T:5');
    const data = await notified();
    expect(data).toContainEqual({ id: 'urn:ngsi-ld:T:5', name: { type: 'Property', value: 'Old Tower' } });
    expect(data).toContainEqual({ id: 'urn:ngsi-ld:T:5', name: 'Old Tower' });
    // lang (v1.8 §5.2.12): the LanguageProperty in that language, as the lang query parameter gives it.
    expect(data).toContainEqual({ id: 'urn:ngsi-ld:T:5', street: { type: 'Property', value: 'Hauptstrasse', lang: 'de' } });
    const refused: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{}, { pick: ['name'], omit: ['height'] }, 'notification.pick'],
      [{}, { pick: ['name'], attributes: ['name'] }, 'notification.attributes'],
      [{}, { omit: 'name' }, 'notification.omit'],
      [{}, { showChanges: 'yes' }, 'notification.showChanges'],
      [{ notificationTrigger: ['entityMoved'] }, {}, 'notificationTrigger'],
      [{ notificationTrigger: [] }, {}, 'notificationTrigger'],
      [{}, { joinLevel: 2 }, 'notification.joinLevel'],
      [{ jsonldContext: 'not a uri' }, {}, 'jsonldContext'],
      [{}, { format: 'simplified', showChanges: true }, 'notification.showChanges'],
      [{}, { attributes: [] }, 'notification.attributes'],
      [{}, { pick: [] }, 'notification.pick'],
      [{}, { endpoint: { uri: sink.url, notifierInfo: [{ key: 'K', value: 42 }] } }, 'notification.endpoint.notifierInfo.0'],
      [{}, { endpoint: { uri: sink.url, notifierInfo: [{ key: 'MQTT-Version', value: 'mqtt4' }] } }, 'notification.endpoint.notifierInfo.0.value'],
      [{ datasetId: ['not a uri'] }, {}, 'datasetId'],
      [{ csf: '((' }, {}, 'csf'],
      [{ lang: 'not a tag!' }, {}, 'lang'],
    ];
    for (const [body, notification, field] of refused) {
      const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type }], ...body, notification: { endpoint: { uri: sink.url }, ...notification } });
      expect(res.statusCode, JSON.stringify([body, notification])).toBe(400);
      expect(res.json().errors?.[0]?.field, res.body).toBe(`/body/${field.replaceAll('.', '/')}`);
    }
  });

  it('join inline / flat in notifications: the linked entity in its relationship, or after the entity', async () => {
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:District:North', type: 'District', label: { type: 'Property', value: 'North' } })).statusCode).toBe(201);
    const path = await subscribe({}, { join: 'inline', joinLevel: 1, attributes: ['partOf'] });
    expect((await req('GET', path)).json().notification).toMatchObject({ join: 'inline', joinLevel: 1 });
    await subscribe({ notificationTrigger: ['entityCreated'] }, { join: 'flat', format: 'concise' });
    await create('urn:ngsi-ld:T:6');
    await drain();
    const byMode = sink.received.map((r) => r.body.data as Record<string, unknown>[]);
    const inline = byMode.find((d) => d.length === 1)!;
    expect(inline[0]).toEqual({
      id: 'urn:ngsi-ld:T:6', type,
      partOf: { type: 'Relationship', object: 'urn:ngsi-ld:District:North', entity: { id: 'urn:ngsi-ld:District:North', type: 'District', label: { type: 'Property', value: 'North' } } },
    });
    const flat = byMode.find((d) => d.length === 2)!;
    expect(flat[1]).toEqual({ id: 'urn:ngsi-ld:District:North', type: 'District', label: 'North' });
  });

  it('jsonldContext: notifications compacted with the @context it names, not the subscription one', async () => {
    const own = { '@context': [{ height: 'https://example.org/terms/height' }, 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld'] };
    const res = await req('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type }], ...own, jsonldContext: 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld',
      notification: { format: 'keyValues', endpoint: { uri: sink.url, accept: 'application/ld+json' } },
    }, { 'content-type': 'application/ld+json' });
    expect(res.statusCode, res.body).toBe(201);
    expect((await req('GET', res.headers.location!.replace('/ngsi-ld/v1', ''))).json().jsonldContext).toBe('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld');
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:T:7', type, ...own, height: 12 }, { 'content-type': 'application/ld+json' })).statusCode).toBe(201);
    const [e] = await notified();
    expect(e['https://example.org/terms/height']).toBe(12);
    expect(e.height).toBeUndefined();
    // §5.8.1: a jsonldContext that cannot be had now is refused when the subscription is made or changed.
    const unavailable = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type }], jsonldContext: 'https://example.org/unavailable.jsonld', notification: { endpoint: { uri: sink.url } } });
    expect(unavailable.statusCode, unavailable.body).toBe(503);
    expect(unavailable.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable');
    const changed = await req('PATCH', res.headers.location!.replace('/ngsi-ld/v1', ''), { jsonldContext: 'https://example.org/unavailable.jsonld' });
    expect(changed.statusCode).toBe(503);
  });

  it('datasetId: only the attribute instances of those datasetIds are notified (@none: the default ones); kept and shown', async () => {
    const fr = 'urn:ngsi-ld:Dataset:fr';
    const path = await subscribe({ datasetId: [fr] });
    expect((await req('GET', path)).json().datasetId).toEqual([fr]);
    await subscribe({ datasetId: ['@none'] }, { format: 'keyValues' });
    await create('urn:ngsi-ld:T:8', {
      name: [{ type: 'Property', value: 'Old Tower' }, { type: 'Property', value: 'Vieille Tour', datasetId: fr }],
      partOf: { type: 'Relationship', object: 'urn:ngsi-ld:District:North', datasetId: fr },
    });
    const data = await notified();
    expect(data).toHaveLength(2);
    expect(data).toContainEqual({
      id: 'urn:ngsi-ld:T:8', type,
      name: { type: 'Property', value: 'Vieille Tour', datasetId: fr },
      partOf: { type: 'Relationship', object: 'urn:ngsi-ld:District:North', datasetId: fr },
    });
    const plain = data.find((e) => e.name === 'Old Tower')!;
    expect(plain).toMatchObject({ id: 'urn:ngsi-ld:T:8', type, height: 40 });
    expect(plain.partOf).toBeUndefined();
  });

  it('the @context of notifications: JSON ones name it in a Link header (a list of one URL is that URL), JSON-LD ones carry it in the body', async () => {
    for (const accept of ['application/json', 'application/ld+json']) {
      const res = await req('POST', '/subscriptions', {
        type: 'Subscription', entities: [{ type }], '@context': [SDM], notification: { endpoint: { uri: sink.url, accept } },
      }, { 'content-type': 'application/ld+json' });
      expect(res.statusCode, res.body).toBe(201);
      // No ImplicitlyCreated context for one URL: the subscription's @context is that URL.
      expect((await req('GET', res.headers.location!.replace('/ngsi-ld/v1', ''))).json().jsonldContext).toBeUndefined();
    }
    await create('urn:ngsi-ld:T:9');
    await drain();
    expect(sink.received).toHaveLength(2);
    const json = sink.received.find((r) => r.headers['content-type'] === 'application/json')!;
    expect(json.headers.link).toBe(`<${SDM}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`);
    expect(json.body['@context']).toBeUndefined();
    expect((json.body.data as Record<string, unknown>[])[0]['@context']).toBeUndefined();
    const ld = sink.received.find((r) => r.headers['content-type'] === 'application/ld+json')!;
    expect(ld.headers.link).toBeUndefined();
    expect([ld.body['@context']].flat()).toEqual([SDM]);
  });

  it('MQTT endpoints: notifierInfo MQTT-Version and MQTT-QoS used (MQTT 5.0 and QoS 0 by default); {metadata, body} with receiverInfo, Content-Type and Link', async () => {
    const topic = `cityhub-test-${randomBytes(4).toString('hex')}`;
    const listener = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `${topic}-listener` });
    const got: { topic: string; qos: number; contentType?: string; message: { metadata: Record<string, string>; body: Record<string, unknown> } }[] = [];
    listener.on('message', (t, payload, packet) => got.push({ topic: t, qos: packet.qos, contentType: packet.properties?.contentType, message: JSON.parse(payload.toString()) }));
    try {
      await listener.subscribeAsync(`${topic}/#`, { qos: 2 });
      const endpoint = (leaf: string, notifierInfo?: { key: string; value: string }[]) => ({
        uri: `mqtt://127.0.0.1:1883/${topic}/${leaf}`, receiverInfo: [{ key: 'test-receiver-key', value: 'test-receiver-info' }], ...(notifierInfo ? { notifierInfo } : {}),
      });
      await subscribe({}, { endpoint: endpoint('default') });
      const v3 = await subscribe({}, { endpoint: endpoint('v3', [{ key: 'MQTT-Version', value: 'mqtt3.1.1' }, { key: 'MQTT-QoS', value: '2' }]) });
      await subscribe({}, { endpoint: endpoint('v5', [{ key: 'MQTT-Version', value: 'mqtt5.0' }, { key: 'MQTT-QoS', value: '1' }]) });
      expect((await req('GET', v3)).json().notification.endpoint.notifierInfo).toEqual([{ key: 'MQTT-Version', value: 'mqtt3.1.1' }, { key: 'MQTT-QoS', value: '2' }]);
      await create('urn:ngsi-ld:T:10');
      await drain();
      const end = Date.now() + 10_000;
      while (got.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const of = (leaf: string) => got.find((g) => g.topic === `${topic}/${leaf}`)!;
      expect([of('default').qos, of('v3').qos, of('v5').qos]).toEqual([0, 2, 1]);
      // MQTT 5 names the media type in the packet; MQTT 3.1.1 has no properties.
      expect([of('default').contentType, of('v3').contentType, of('v5').contentType]).toEqual(['application/json', undefined, 'application/json']);
      for (const { message } of got) {
        expect(message.metadata).toMatchObject({ 'test-receiver-key': 'test-receiver-info', 'Content-Type': 'application/json' });
        expect(message.metadata.Link).toContain('ngsi-ld-core-context');
        expect(message.body).toMatchObject({ type: 'Notification', data: [{ id: 'urn:ngsi-ld:T:10', type }] });
      }
      expect(got).toHaveLength(3);
    } finally {
      await listener.endAsync();
    }
  });

  it('MQTT 5.0 is only the default: a broker that speaks 3.1.1 only (aedes) is notified in 3.1.1 unless the subscription asks for 5.0', async () => {
    const broker = aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const listener = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
    const got: string[] = [];
    listener.on('message', (t) => got.push(t));
    try {
      await listener.subscribeAsync('old/#', { qos: 1 });
      await subscribe({}, { endpoint: { uri: `mqtt://127.0.0.1:${port}/old/default` } });
      const strict = await subscribe({}, { endpoint: { uri: `mqtt://127.0.0.1:${port}/old/v5`, notifierInfo: [{ key: 'MQTT-Version', value: 'mqtt5.0' }] } });
      await create('urn:ngsi-ld:T:11');
      await drain();
      const end = Date.now() + 5_000;
      while (got.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['old/default']);
      const status = (await req('GET', strict)).json().notification;
      expect(status.status).toBe('failed');
      expect(status.timesFailed).toBeGreaterThanOrEqual(1);
    } finally {
      await listener.endAsync();
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
    }
  });

  it('§4.14 tenants: a subscription is seen and notified in its tenant only, its notifications name the tenant; a tenant never made is NonexistentTenant', async () => {
    const tenant = `subs_t${n}`;
    const inTenant = { 'ngsild-tenant': tenant };
    const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type }], notification: { endpoint: { uri: sink.url } } }, inTenant);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['ngsild-tenant']).toBe(tenant);
    const path = res.headers.location!.replace('/ngsi-ld/v1', '');
    const id = decodeURIComponent(path.split('/').pop()!);
    expect((await req('GET', path)).statusCode).toBe(404);
    expect((await req('GET', path, undefined, inTenant)).json().id).toBe(id);
    expect((await req('GET', '/subscriptions')).json().map((x: { id: string }) => x.id)).not.toContain(id);
    expect((await req('DELETE', path)).statusCode).toBe(404);
    // The same entity in the default tenant notifies nothing; in the subscription's tenant it does.
    await create('urn:ngsi-ld:T:12');
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:T:12', type, height: { type: 'Property', value: 1 } }, inTenant)).statusCode).toBe(201);
    await drain();
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0].headers['ngsild-tenant']).toBe(tenant);
    expect(sink.received[0].body.data).toEqual([{ id: 'urn:ngsi-ld:T:12', type, height: { type: 'Property', value: 1 } }]);
    const never = await req('GET', '/subscriptions', undefined, { 'ngsild-tenant': 'never_made_subs' });
    expect([never.statusCode, never.json().type]).toEqual([404, 'https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant']);
  });

  it('§4.17 entity type selection in entities[].type: , and | any of, ; all of, parentheses; kept and shown; a malformed one 400', async () => {
    const other = `Other${n}`;
    const either = await subscribe({ entities: [{ type: `(${type}|${other})` }], notificationTrigger: ['entityCreated'] }, { format: 'keyValues', attributes: ['height'] });
    expect((await req('GET', either)).json().entities).toEqual([{ type: `(${type}|${other})` }]);
    await subscribe({ entities: [{ type: `${type};Extra${n}` }], notificationTrigger: ['entityCreated'] }, { format: 'keyValues', attributes: ['name'] });
    for (const [id, types] of [['urn:ngsi-ld:T:13', type], ['urn:ngsi-ld:T:14', other], ['urn:ngsi-ld:T:15', `Third${n}`], ['urn:ngsi-ld:T:16', [type, `Extra${n}`]]] as const) {
      expect((await req('POST', '/entities', { id, type: types, name: 'x', height: 1 })).statusCode).toBe(201);
    }
    const data = await notified();
    // The alternative selects 13, 14 and 16; the conjunction only 16 (both types).
    expect(data.filter((e) => 'height' in e).map((e) => e.id).sort()).toEqual(['urn:ngsi-ld:T:13', 'urn:ngsi-ld:T:14', 'urn:ngsi-ld:T:16']);
    expect(data.filter((e) => 'name' in e).map((e) => e.id)).toEqual(['urn:ngsi-ld:T:16']);
    for (const bad of [`(${type}|`, `${type};;X`, '()', `${type} X`]) {
      const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: bad }], notification: { endpoint: { uri: sink.url } } });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().errors?.[0]?.field).toBe('/body/entities/0/type');
    }
  });
});
