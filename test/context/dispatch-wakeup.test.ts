import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { dropTestStream, testEventsConfig } from '../support/nats.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { startSink, type Sink } from './http-sink.js';
import { SDM_LINK } from './ngsi-support.js';

/**
 * Issue 20, bus wake-ups: node A takes the entity write, node B (on the same database, the NATS bus between them)
 * is the only node delivering notifications and has been idle long enough for its poll to have grown to many
 * seconds. The event A publishes when it queues the notification makes B deliver it at once; without it, B would
 * find it on its next poll only (the second check shows that wait is real).
 */
describe.each(testEngines)('context notifications: a node woken over the bus [%s]', (engine) => {
  const events = testEventsConfig();
  let database: DatabaseHandle;
  let writer: TestHub;
  let deliverer: TestHub;
  let sink: Sink;
  let cookie = '';
  const context = (maxPollMs: number) => ({
    outbound: { allow: ['127.0.0.1'] }, events,
    modules: { context: { notifications: { pollMs: 100, maxPollMs }, simulator: { enabled: false }, mqtt: { ingest: false } } },
  });
  const ngsi = (method: 'POST' | 'PATCH', url: string, payload: object) =>
    writer.http.inject({ method, url: `/ngsi-ld/v1${url}`, payload, headers: { cookie, link: SDM_LINK } });
  const idle = () => new Promise((r) => setTimeout(r, 4000));

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    writer = await createTestHub(engine, { database, config: context(60_000) as never });
    deliverer = await createTestHub(engine, { database, config: context(60_000) as never });
    await deliverer.start(); // the writer's dispatcher never runs
    cookie = (await writer.loginAs(['data_admin'])).cookie;
    sink = await startSink();
    const res = await ngsi('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type: 'Streetlight' }], watchedAttributes: ['status'],
      notification: { format: 'keyValues', attributes: ['status'], endpoint: { uri: sink.url } },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((await ngsi('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:w1', type: 'Streetlight', status: { type: 'Property', value: 'on' } })).statusCode).toBe(201);
    await sink.waitFor(1, 15_000);
  }, 240_000);
  afterAll(async () => {
    await sink?.close();
    await deliverer?.close();
    await writer?.close();
    await database?.close();
    await dropTestStream(events.stream!);
  }, 60_000);

  it('an idle node delivers a notification queued on another node within a second', async () => {
    await idle(); // B's poll wait grows 100 → 200 → … → 3200 ms and beyond
    const before = sink.received.length;
    const t0 = Date.now();
    expect((await ngsi('PATCH', '/entities/urn:ngsi-ld:Streetlight:w1/attrs', { status: { type: 'Property', value: 'off' } })).statusCode).toBe(204);
    await sink.waitFor(before + 1, 10_000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sink.received.at(-1)!.body.data).toEqual([{ id: 'urn:ngsi-ld:Streetlight:w1', type: 'Streetlight', status: 'off' }]);
  }, 60_000);

  it('the control: with the wake-up unheard, the idle node takes its long poll to find it', async () => {
    await idle();
    // B stops listening for the event (its timer keeps running): only its poll finds the notification now
    (deliverer.services.context.dispatcher as unknown as { unsubscribe?: () => void }).unsubscribe?.();
    const before = sink.received.length;
    const t0 = Date.now();
    expect((await ngsi('PATCH', '/entities/urn:ngsi-ld:Streetlight:w1/attrs', { status: { type: 'Property', value: 'on' } })).statusCode).toBe(204);
    await sink.waitFor(before + 1, 70_000);
    expect(Date.now() - t0).toBeGreaterThan(1000);
  }, 90_000);
});
