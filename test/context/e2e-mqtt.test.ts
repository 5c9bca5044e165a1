import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { testEngines, openTestDatabase } from '../support/engines.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createCityHub, type CityHub } from '../../src/server/app.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { CITYHUB_CONTEXT_URL } from '../../src/context/jsonld-context.js';
import { startSink, type Sink } from './http-sink.js';

/**
 * End to end on the real Mosquitto (127.0.0.1:1883): a device publishes, the entity changes, the subscription's
 * HTTP endpoint and MQTT topic each get exactly one notification; then the server goes down between a change
 * and its delivery, a new one starts on the same database, and the notification still arrives.
 */
const BROKER = 'mqtt://127.0.0.1:1883';
const admin = { kind: 'api_key' as const, id: 'e2e', roles: ['admin' as const] };

const until = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.each(testEngines)('context end to end over MQTT [%s]', (engine) => {
  const prefix = `cityhub-e2e-${randomBytes(4).toString('hex')}`;
  let database: DatabaseHandle;
  let sink: Sink;
  let device: MqttClient;
  let listener: MqttClient;
  const mqttReceived: Record<string, unknown>[] = [];
  const config = {
    ...loadConfig({ LOG_LEVEL: 'silent' }),
    modules: {
      context: {
        mqtt: { url: BROKER, mappings: [{ topic: `${prefix}/+/+/attrs`, entityId: 'urn:ngsi-ld:{1}:{2}', entityType: '{1}' }] },
        notifications: { pollMs: 50, leaseSeconds: 1 },
        simulator: { enabled: false },
      },
    },
  };
  const hubs: CityHub[] = [];
  const startHub = async () => {
    const hub = await createCityHub({ config, database, logger: false });
    hubs.push(hub);
    await hub.services.context.start();
    return hub;
  };
  const pm25 = async (hub: CityHub) => {
    const [e] = await hub.services.context.entities.findStored('', ['urn:ngsi-ld:AirQualityObserved:e2e']);
    return (e?.attrs['https://smartdatamodels.org/dataModel.Environment/pm25']?.[0]?.value as number | undefined) ?? null;
  };

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    sink = await startSink();
    device = await mqtt.connectAsync(BROKER, { clientId: `${prefix}-device` });
    listener = await mqtt.connectAsync(BROKER, { clientId: `${prefix}-listener` });
    listener.on('message', (_t, payload) => mqttReceived.push(JSON.parse(payload.toString())));
    await listener.subscribeAsync(`${prefix}/notify`, { qos: 1 });
  }, 240_000);
  afterAll(async () => {
    for (const hub of hubs) await hub.close().catch(() => undefined);
    await device?.endAsync();
    await listener?.endAsync();
    await sink?.close();
    await database?.close();
  }, 60_000);

  it('delivers exactly one notification per endpoint, and survives a restart between change and delivery', async () => {
    const hub1 = await startHub();
    const ctx = await hub1.services.context.contexts.resolve(CITYHUB_CONTEXT_URL);
    const scope = { actor: admin, tenant: '', ctx };
    for (const uri of [sink.url, `mqtt://127.0.0.1:1883/${prefix}/notify`]) {
      await hub1.services.context.subscriptions.create(scope, {
        type: 'Subscription', entities: [{ type: 'AirQualityObserved' }], watchedAttributes: ['pm25'],
        notification: { format: 'keyValues', attributes: ['pm25'], endpoint: { uri } },
      });
    }

    device.publish(`${prefix}/AirQualityObserved/e2e/attrs`, JSON.stringify({ pm25: { value: 42, unitCode: 'GQ' } }), { qos: 1 });
    await until(async () => (await pm25(hub1)) === 42);
    await until(() => sink.received.length >= 1 && mqttReceived.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received).toHaveLength(1);
    expect(mqttReceived).toHaveLength(1);
    expect(sink.received[0].body.data).toEqual([{ id: 'urn:ngsi-ld:AirQualityObserved:e2e', type: 'AirQualityObserved', pm25: 42 }]);
    expect((mqttReceived[0].body as { data: unknown[] }).data).toEqual([{ id: 'urn:ngsi-ld:AirQualityObserved:e2e', type: 'AirQualityObserved', pm25: 42 }]);

    // The sender stops (as if the process died) before the next change is delivered.
    await hub1.services.context.dispatcher.stop();
    device.publish(`${prefix}/AirQualityObserved/e2e/attrs`, JSON.stringify({ pm25: 43 }), { qos: 1 });
    await until(async () => (await pm25(hub1)) === 43);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(1);
    await hub1.services.context.stop();
    await hub1.close();

    // A new server on the same database delivers what was pending.
    const hub2 = await startHub();
    await until(() => sink.received.length >= 2 && mqttReceived.length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received).toHaveLength(2);
    expect(mqttReceived).toHaveLength(2);
    expect(sink.received[1].body.data).toEqual([{ id: 'urn:ngsi-ld:AirQualityObserved:e2e', type: 'AirQualityObserved', pm25: 43 }]);
    expect(hub2.services.context.ingest.stats.failed).toBe(0);
  });
});
