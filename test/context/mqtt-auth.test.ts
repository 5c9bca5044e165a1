import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * Issue 15, finding 4 (server part): anyone who could reach the embedded MQTT broker could publish readings,
 * written by an admin-like system actor past every access rule. Now a device logs in with an API key as its
 * MQTT password and is written as that key; anonymous publishers are refused unless `mqtt.allowAnonymous`.
 */
describe.each(testEngines)('finding 4: MQTT ingestion authenticates devices [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let url: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const setup = systemActor('test-setup');
  const until = async (cond: () => Promise<boolean>, ms = 5000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  };
  const exists = async (id: string) => (await req('GET', `/entities/${id}`)).statusCode === 200;
  /** Publishes one message with these credentials; resolves to how the attempt went. */
  const publish = async (topic: string, payload: unknown, password?: string): Promise<'connected' | 'refused'> => {
    try {
      const client = await mqtt.connectAsync(url, { username: 'device', password, reconnectPeriod: 0, connectTimeout: 3000, clientId: `t-${Math.random().toString(16).slice(2)}` });
      client.on('error', () => undefined);
      await client.publishAsync(topic, JSON.stringify(payload), { qos: 0 }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 150));
      await client.endAsync(true).catch(() => undefined);
      return 'connected';
    } catch {
      return 'refused';
    }
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: true, embeddedPort: 0 } } } } as never });
    await hub.start();
    url = hub.services.context.ingest.url!;
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    cookie = (await hub.loginAs(['data_admin'])).cookie;
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('finding 4: an anonymous MQTT publish does not create an entity; a publish with a valid API key does, as that key', async () => {
    expect(await publish('cityhub/AirQualityObserved/anon/attrs', { pm25: 35 })).toBe('refused');
    expect(await publish('cityhub/AirQualityObserved/anon/attrs', { pm25: 35 }, 'chk_not-a-key')).toBe('refused');
    expect(await until(() => exists('urn:ngsi-ld:AirQualityObserved:anon'), 1000)).toBe(false);

    const org = await hub.services.auth.insertOrg(setup, { name: '环境监测站', kind: 'department', parentId: null });
    const device = (await hub.services.auth.createApiKey(setup, { name: 'sensor-7', roles: ['dept_data_owner'], orgId: org.id })).key;
    expect(await publish('cityhub/AirQualityObserved/keyed/attrs', { pm25: 35 }, device)).toBe('connected');
    expect(await until(() => exists('urn:ngsi-ld:AirQualityObserved:keyed'))).toBe(true);
    expect((await req('GET', '/entities/urn:ngsi-ld:AirQualityObserved:keyed?options=keyValues')).json()).toMatchObject({ pm25: 35 });
  });

  it('finding 4: the key\'s permissions and access rules apply to what it publishes', async () => {
    // A key that may not write entities cannot publish to the ingestion topics.
    const reader = (await hub.services.auth.createApiKey(setup, { name: 'reader', roles: ['market_operator'], orgId: (await hub.services.auth.insertOrg(setup, { name: '运营方', kind: 'operator', parentId: null })).id })).key;
    await publish('cityhub/AirQualityObserved/reader/attrs', { pm25: 1 }, reader);
    // A key of no organisation writes nothing (deny by default).
    const orgless = (await hub.services.auth.createApiKey(setup, { name: 'orgless', roles: ['dept_data_owner'] })).key;
    await publish('cityhub/AirQualityObserved/orgless/attrs', { pm25: 1 }, orgless);
    // A key of an organisation whose rule lets it write only powerState of Streetlight.
    const org = await hub.services.auth.insertOrg(setup, { name: '路灯所', kind: 'department', parentId: null });
    expect((await req('POST', '/cityhub/accessRules', { orgId: org.id, entityType: 'Streetlight', attributes: ['powerState'], canWrite: true })).statusCode).toBe(201);
    const lamp = (await hub.services.auth.createApiKey(setup, { name: 'lamp', roles: ['dept_data_owner'], orgId: org.id })).key;
    await publish('cityhub/Streetlight/l1/attrs', { powerState: 'on' }, lamp);
    await publish('cityhub/Streetlight/l2/attrs', { powerState: 'on', powerConsumption: 99 }, lamp);
    expect(await until(() => exists('urn:ngsi-ld:Streetlight:l1'))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await exists('urn:ngsi-ld:Streetlight:l2')).toBe(false);
    expect(await exists('urn:ngsi-ld:AirQualityObserved:reader')).toBe(false);
    expect(await exists('urn:ngsi-ld:AirQualityObserved:orgless')).toBe(false);
  });

  it('finding 4: only admin and data_admin keys may subscribe to the ingestion topics', async () => {
    const org = await hub.services.auth.insertOrg(setup, { name: '订阅方', kind: 'enterprise', parentId: null });
    const key = (await hub.services.auth.createApiKey(setup, { name: 'listener', roles: ['dept_data_owner'], orgId: org.id })).key;
    const listener = await mqtt.connectAsync(url, { username: 'l', password: key, reconnectPeriod: 0, clientId: `l-${Math.random().toString(16).slice(2)}` });
    // The broker answers SUBACK 128 (failure), which mqtt.js reports as an error.
    await expect(listener.subscribeAsync('cityhub/#', { qos: 0 })).rejects.toThrow(/Subscribe error/);
    await expect(listener.subscribeAsync('cityhub/Streetlight/+/attrs', { qos: 0 })).rejects.toThrow(/Subscribe error/);
    expect((await listener.subscribeAsync('city/notifications', { qos: 0 }))[0].qos).toBe(0);
    await listener.endAsync(true);
    const bureau = (await hub.services.auth.createApiKey(setup, { name: 'bureau', roles: ['data_admin'] })).key;
    const admin = await mqtt.connectAsync(url, { username: 'b', password: bureau, reconnectPeriod: 0, clientId: `b-${Math.random().toString(16).slice(2)}` });
    expect((await admin.subscribeAsync('cityhub/#', { qos: 0 }))[0].qos).toBe(0);
    await admin.endAsync(true);
  });
});

describe('finding 4: mqtt.allowAnonymous is the documented opt-out [pglite]', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite', { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: true, embeddedPort: 0, allowAnonymous: true } } } } as never });
    await hub.start();
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('lets anonymous devices publish, written as system:mqtt-ingest', async () => {
    const client = await mqtt.connectAsync(hub.services.context.ingest.url!, { reconnectPeriod: 0 });
    await client.publishAsync('cityhub/WasteContainer/w1/attrs', JSON.stringify({ fillingLevel: 0.5 }), { qos: 1 });
    await client.endAsync();
    const end = Date.now() + 5000;
    while (Date.now() < end && (await hub.services.context.queries.findStored('', ['urn:ngsi-ld:WasteContainer:w1'])).length === 0) await new Promise((r) => setTimeout(r, 50));
    expect(await hub.services.context.queries.findStored('', ['urn:ngsi-ld:WasteContainer:w1'])).toHaveLength(1);
  });
});
