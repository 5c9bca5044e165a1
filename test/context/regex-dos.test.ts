import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';
import { ngsiRequester } from './ngsi-support.js';
import { timedAnswer } from '../support/timing.js';

/**
 * Issue 15, finding 5: a subscription with `q=name~=(a+)+$` (or such an `idPattern`) made every write of a
 * matching entity stall the event loop, its time doubling with each character. Patterns are now matched by RE2
 * in linear time, and what RE2 cannot match in linear time (backreferences, lookaround) is refused.
 */
describe.each(testEngines)('finding 5: regular expressions in q and idPattern [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  const req = ngsiRequester(() => hub, () => cookie);
  const evil = `${'a'.repeat(30)}!`;

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      config: { outbound: { allow: ['127.0.0.1'] }, modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    sink = await startSink();
  }, 240_000);
  afterAll(async () => {
    await sink?.close();
    await hub?.close();
  }, 60_000);

  it('finding 5: a catastrophic regex in a subscription q or idPattern is matched in linear time, writes stay fast', async () => {
    for (const body of [
      { entities: [{ type: 'Sensor' }], q: 'name~=(a+)+$' },
      { entities: [{ type: 'Sensor', idPattern: '^urn:ngsi-ld:Sensor:(a+)+$' }] },
      { entities: [{ type: 'Sensor' }], q: 'name~="((a|aa)+)+$"' },
    ]) {
      const res = await req('POST', '/subscriptions', { type: 'Subscription', notification: { endpoint: { uri: sink.url } }, ...body });
      expect(res.statusCode, res.body).toBe(201);
    }
    // The write matches every subscription against a 30-character "aaaa…!": with a backtracking engine this takes
    // minutes and blocks every other request meanwhile.
    // asked once: a second create of the same id would be a 409, not the same answer
    const { result: created, ms } = await timedAnswer(() => req('POST', '/entities', { id: `urn:ngsi-ld:Sensor:${evil}`, type: 'Sensor', name: evil }), 1000, 1);
    expect(created.statusCode, created.body).toBe(201);
    expect(ms).toBeLessThan(1000);
    const { result: patched, ms: ms2 } = await timedAnswer(() => req('PATCH', `/entities/urn:ngsi-ld:Sensor:${evil}/attrs`, { name: `${'a'.repeat(5000)}!` }), 1000);
    expect(patched.statusCode).toBe(204);
    expect(ms2).toBeLessThan(1000);
  });

  it('finding 5: the same patterns in GET queries answer at once, in the database too', async () => {
    for (const url of [
      `/entities?type=Sensor&idPattern=${encodeURIComponent('^urn:ngsi-ld:Sensor:(a+)+$')}`,
      `/entities?type=Sensor&q=${encodeURIComponent('name~=(a+)+$')}`,
      `/temporal/entities?type=Sensor&q=${encodeURIComponent('name~="((a|aa)+)+$"')}`,
      `/entities?type=Sensor&q=${encodeURIComponent('name!~=(a*)*b')}`,
    ]) {
      const { result: res, ms } = await timedAnswer(() => req('GET', url), 1000);
      expect(res.statusCode, `${url} ${res.body}`).toBe(200);
      expect(ms, url).toBeLessThan(1000);
    }
  });

  it('finding 5: patterns RE2 cannot match in linear time, or too long, are refused naming the field', async () => {
    const refused: [string, string][] = [
      [`/entities?type=Sensor&idPattern=${encodeURIComponent('^(a)\\1$')}`, '/query/idPattern'],
      [`/entities?type=Sensor&idPattern=${encodeURIComponent('(?=a)a')}`, '/query/idPattern'],
      [`/entities?type=Sensor&q=${encodeURIComponent('name~=(a)\\1')}`, '/query/q'],
      [`/entities?type=Sensor&q=${encodeURIComponent(`name~=${'a'.repeat(300)}`)}`, '/query/q'],
    ];
    for (const [url, field] of refused) {
      const res = await req('GET', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().errors[0].field, url).toBe(field);
    }
    for (const [body, field] of [
      [{ entities: [{ type: 'Sensor', idPattern: '(a)\\1' }] }, '/body/entities/0/idPattern'],
      [{ entities: [{ type: 'Sensor' }], q: 'name~=(?<!a)b' }, '/body/q'],
    ] as const) {
      const res = await req('POST', '/subscriptions', { type: 'Subscription', notification: { endpoint: { uri: sink.url } }, ...body });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors[0].field).toBe(field);
    }
  });
});
