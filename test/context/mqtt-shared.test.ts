import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { sql } from 'kysely';
import { openTestDatabase, testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';

/**
 * Issue 20, MQTT at scale: two ingesting nodes on the real Mosquitto (127.0.0.1:1883) share one MQTT 5 shared
 * subscription, so N device messages make N entity writes, split between the nodes and none applied twice. The
 * same nodes subscribed plainly (sharedGroup '') each ingest every message: the control that shows the count can fail.
 * With persistent sessions (a node id and `sessionExpirySeconds`), the messages the broker shares out to a node whose
 * connection died are stored when the node comes back under its id; with clean sessions they are lost (the control).
 */
const BROKER = 'mqtt://127.0.0.1:1883';
const N = 200;

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.each(testEngines)('MQTT shared subscriptions: each device message ingested by one node [%s]', (engine) => {
  const prefix = `cityhub-share-${randomBytes(4).toString('hex')}`;
  let database: DatabaseHandle;
  let device: MqttClient;
  const hubs: TestHub[] = [];

  const startNode = async (sharedGroup: string, topic: string, session: { nodeId?: string; sessionExpirySeconds?: number } = {}) => {
    const hub = await createTestHub(engine, {
      database,
      config: {
        nodeId: session.nodeId,
        modules: { context: { simulator: { enabled: false }, mqtt: { url: BROKER, sharedGroup, sessionExpirySeconds: session.sessionExpirySeconds ?? 0, mappings: [{ topic: `${topic}/+/+/attrs`, entityId: 'urn:ngsi-ld:{1}:{2}', entityType: '{1}' }] } } },
      } as never,
    });
    await hub.start();
    return hub;
  };
  const startNodes = async (sharedGroup: string, topic: string) => {
    for (const hub of hubs.splice(0)) await hub.close();
    for (let i = 0; i < 2; i++) hubs.push(await startNode(sharedGroup, topic));
  };
  const clientOf = (hub: TestHub) => (hub.services.context.ingest as unknown as { client: MqttClient }).client;
  /** From now on the node takes messages and never stores them (a node about to die): returns how many it holds. */
  const stall = (hub: TestHub) => {
    const held = { n: 0 };
    clientOf(hub).handleMessage = () => void held.n++;
    return held;
  };
  /** Cuts a node's broker connection the way a SIGKILL does (no DISCONNECT, no unsubscribe), then closes the node. */
  const crash = async (hub: TestHub) => {
    const client = clientOf(hub);
    client.options.reconnectPeriod = 0;
    client.stream.destroy();
    await until(() => !client.connected, 10_000, 'the connection cut');
    await hub.close();
  };
  const stored = async (ids: string[]) => {
    const { rows } = await sql<{ n: string }>`select count(*) as n from context_entity where id = any(${ids})`.execute(database.db);
    return Number(rows[0].n);
  };
  const applied = () => hubs.map((h) => h.services.context.ingest.stats.applied);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const publish = async (topic: string, n: number) => {
    for (let i = 0; i < n; i++) await device.publishAsync(`${topic}/Device/d${i}/attrs`, JSON.stringify({ reading: i }), { qos: 1 });
  };

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    device = await mqtt.connectAsync(BROKER, { clientId: `${prefix}-device` });
  }, 60_000);
  afterAll(async () => {
    for (const hub of hubs) await hub.close();
    await device?.endAsync();
    await database?.close();
  }, 60_000);

  it(`${N} messages to two nodes in one share group: ${N} stored, each once, both nodes working`, async () => {
    const topic = `${prefix}/a`;
    await startNodes(`g${randomBytes(4).toString('hex')}`, topic);
    await publish(topic, N);
    await until(() => sum(applied()) >= N, 60_000, `${N} messages applied`);
    await new Promise((r) => setTimeout(r, 1000)); // a duplicate would arrive meanwhile
    expect(sum(applied())).toBe(N);
    expect(Math.min(...applied())).toBeGreaterThan(0); // the broker shared them out
    expect(hubs.every((h) => h.services.context.ingest.stats.failed === 0)).toBe(true);
    const { rows } = await sql<{ n: string }>`select count(*) as n from context_entity where id like ${'urn:ngsi-ld:Device:d%'}`.execute(database.db);
    expect(Number(rows[0].n)).toBe(N);
  }, 120_000);

  for (const persistent of [true, false]) {
    it(`a node dies holding messages it had not stored, then comes back under its id: ${persistent ? 'every message stored (persistent session)' : 'its share lost (the control: clean session)'}`, async () => {
      const topic = `${prefix}/${persistent ? 'p' : 'c'}`;
      const group = `g${randomBytes(4).toString('hex')}`;
      const session = persistent ? { sessionExpirySeconds: 60 } : {};
      for (const hub of hubs.splice(0)) await hub.close();
      const survivor = await startNode(group, topic, { ...session, nodeId: `${group}-a` });
      const victim = await startNode(group, topic, { ...session, nodeId: `${group}-b` });
      hubs.push(survivor);
      const held = stall(victim);
      const ids = Array.from({ length: 20 }, (_, i) => `urn:ngsi-ld:Device:${group}-${i}`);
      for (let i = 0; i < ids.length; i++) await device.publishAsync(`${topic}/Device/${group}-${i}/attrs`, JSON.stringify({ reading: i }), { qos: 1 });
      await until(() => held.n >= 1 && sum(applied()) >= 1, 30_000, 'both nodes handed messages');
      await crash(victim);
      hubs.push(await startNode(group, topic, { ...session, nodeId: `${group}-b` }));
      if (persistent) {
        await until(() => sum(applied()) >= ids.length, 30_000, 'every message applied');
        expect(await stored(ids)).toBe(ids.length);
        expect(Math.min(...applied())).toBeGreaterThan(0); // the returning node stored its share
      } else {
        await until(() => sum(applied()) >= 1, 30_000, 'the survivor\'s share');
        await new Promise((r) => setTimeout(r, 1500)); // the rest would arrive meanwhile
        expect(await stored(ids)).toBeLessThan(ids.length);
      }
    }, 120_000);
  }

  it('the control: subscribed plainly, every node ingests every message', async () => {
    const topic = `${prefix}/b`;
    await startNodes('', topic);
    await publish(topic, 20);
    await until(() => sum(applied()) >= 40, 30_000, '40 applications');
    expect(applied()).toEqual([20, 20]);
  }, 120_000);
});
