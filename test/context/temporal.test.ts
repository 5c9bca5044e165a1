import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { rollUpHistory } from '../../src/context/history-store.js';
import { ngsiRequester } from './ngsi-support.js';
import { systemActor } from '../../src/platform/auth/roles.js';


describe.each(testEngines)('context temporal and access rules [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const id = 'urn:ngsi-ld:AirQualityObserved:t1';

  beforeAll(async () => {
    hub = await createTestHub(engine);
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    expect((await req('POST', '/entities', { id, type: 'AirQualityObserved', pm25: { type: 'Property', value: 10, observedAt: '2026-11-26T00:00:00Z' }, status: 'ok' })).statusCode).toBe(201);
    // Six more readings, 20 minutes apart: 10, 20, 30 | 40, 50, 60 | 70 over three hours.
    for (let i = 1; i <= 6; i++) {
      const at = new Date(Date.UTC(2026, 10, 26, 0, i * 20)).toISOString();
      const res = await req('PATCH', `/entities/${id}/attrs`, { pm25: { type: 'Property', value: 10 + i * 10, observedAt: at } });
      expect(res.statusCode, res.body).toBe(204);
    }
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('keeps every change and filters with timerel and lastN', async () => {
    let res = await req('GET', `/temporal/entities/${id}?attrs=pm25`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().pm25.map((i: { value: number }) => i.value)).toEqual([10, 20, 30, 40, 50, 60, 70]);
    res = await req('GET', `/temporal/entities/${id}?attrs=pm25&timerel=between&timeAt=2026-11-26T00:20:00Z&endTimeAt=2026-11-26T01:20:00Z`);
    expect(res.json().pm25.map((i: { value: number }) => i.value)).toEqual([20, 30, 40]);
    res = await req('GET', `/temporal/entities/${id}?attrs=pm25&timerel=before&timeAt=2026-11-26T00:30:00Z`);
    expect(res.json().pm25).toHaveLength(2);
    res = await req('GET', `/temporal/entities/${id}?attrs=pm25&timerel=after&timeAt=2026-11-26T01:30:00Z&lastN=2`);
    expect(res.json().pm25.map((i: { value: number }) => i.value)).toEqual([60, 70]);
    res = await req('GET', `/temporal/entities/${id}?attrs=pm25&options=temporalValues&lastN=3`);
    expect(res.json().pm25).toEqual({ type: 'Property', values: [[50, '2026-11-26T01:20:00.000Z'], [60, '2026-11-26T01:40:00.000Z'], [70, '2026-11-26T02:00:00.000Z']] });
    res = await req('GET', `/temporal/entities?type=AirQualityObserved&attrs=pm25&lastN=1`);
    expect(res.json()).toEqual([{ id, type: 'AirQualityObserved', pm25: [{ type: 'Property', value: 70, observedAt: '2026-11-26T02:00:00.000Z', instanceId: expect.stringMatching(/^urn:ngsi-ld:Instance:/) }] }]);
  });

  it('aggregates per period', async () => {
    const res = await req('GET', `/temporal/entities/${id}?attrs=pm25&aggrMethods=avg,max,totalCount,distinctCount,sum,min&aggrPeriodDuration=PT1H&timerel=after&timeAt=2026-11-26T00:00:00Z`);
    expect(res.statusCode, res.body).toBe(200);
    const pm = res.json().pm25;
    expect(pm.avg).toEqual([[20, '2026-11-26T00:00:00.000Z', '2026-11-26T01:00:00.000Z'], [50, '2026-11-26T01:00:00.000Z', '2026-11-26T02:00:00.000Z'], [70, '2026-11-26T02:00:00.000Z', '2026-11-26T03:00:00.000Z']]);
    expect(pm.max.map((x: unknown[]) => x[0])).toEqual([30, 60, 70]);
    expect(pm.totalCount.map((x: unknown[]) => x[0])).toEqual([3, 3, 1]);
    expect(pm.distinctCount.map((x: unknown[]) => x[0])).toEqual([3, 3, 1]);
    expect(pm.sum.map((x: unknown[]) => x[0])).toEqual([60, 150, 70]);
    // Numeric methods over whole hours come from the hourly rollup and must agree with the raw history.
    const rolled = (await req('GET', `/temporal/entities/${id}?attrs=pm25&aggrMethods=avg,max,min,sum&aggrPeriodDuration=PT1H&timerel=after&timeAt=2026-11-26T00:00:00Z`)).json().pm25;
    expect(rolled.avg).toEqual(pm.avg);
    expect(rolled.max).toEqual(pm.max);
    expect(rolled.min).toEqual(pm.min);
    expect(rolled.sum).toEqual(pm.sum);
    // The same once the background job folded the history into the rollup, and with rows written after that.
    expect(await rollUpHistory(hub.database.db)).toBeGreaterThan(0);
    expect(await rollUpHistory(hub.database.db)).toBe(0);
    const hourly = `/temporal/entities/${id}?attrs=pm25&aggrMethods=avg,max,min,sum&aggrPeriodDuration=PT1H&timerel=after&timeAt=2026-11-26T00:00:00Z`;
    const folded = (await req('GET', hourly)).json().pm25;
    expect(folded).toEqual(rolled);
    const late = await req('PATCH', `/entities/${id}/attrs`, { pm25: { type: 'Property', value: 80, observedAt: '2026-11-26T02:30:00Z' } });
    expect(late.statusCode, late.body).toBe(204);
    const mixed = (await req('GET', hourly)).json().pm25;
    expect(mixed.avg.at(-1)).toEqual([75, '2026-11-26T02:00:00.000Z', '2026-11-26T03:00:00.000Z']);
    expect(mixed.max.at(-1)[0]).toBe(80);
    expect(mixed.sum.map((x: unknown[]) => x[0])).toEqual([60, 150, 150]);
    await rollUpHistory(hub.database.db);
    expect((await req('GET', hourly)).json().pm25).toEqual(mixed);
    const daily = (await req('GET', `/temporal/entities/${id}?attrs=pm25&aggrMethods=avg&aggrPeriodDuration=P1D&timerel=between&timeAt=2026-11-26T00:00:00Z&endTimeAt=2026-11-27T00:00:00Z`)).json().pm25;
    expect(daily.avg).toEqual([[45, '2026-11-26T00:00:00.000Z', '2026-11-27T00:00:00.000Z']]);
    for (const bad of ['aggrMethods=median', 'aggrMethods=avg&aggrPeriodDuration=P1M', 'aggrMethods=avg&aggrPeriodDuration=1h', 'timerel=between&timeAt=2026-11-26T00:00:00Z', 'timerel=soon&timeAt=2026-11-26T00:00:00Z', 'timerel=after&timeAt=yesterday']) {
      const r = await req('GET', `/temporal/entities/${id}?${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('restricts an organisation to allowed types and attributes', async () => {
    const org = await hub.services.auth.insertOrg(systemActor('test-setup'), { name: '市生态环境局', kind: 'department', parentId: null });
    const owner = (await hub.loginAs(['dept_data_owner'], org.id)).cookie;
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:a1', type: 'Streetlight', powerState: 'on' })).statusCode).toBe(201);
    // Without rules the organisation sees everything its roles allow.
    expect((await req('GET', '/entities?type=Streetlight', undefined, {}, owner)).json()).toHaveLength(1);
    const rule = await req('POST', '/cityhub/accessRules', { orgId: org.id, entityType: 'AirQualityObserved', attributes: ['pm25'], canWrite: false });
    expect(rule.statusCode, rule.body).toBe(201);
    expect((await req('GET', '/entities?type=Streetlight', undefined, {}, owner)).json()).toHaveLength(0);
    const seen = (await req('GET', `/entities/${id}?options=keyValues`, undefined, {}, owner)).json();
    expect(seen).toEqual({ id, type: 'AirQualityObserved', pm25: 80 });
    const history = (await req('GET', `/temporal/entities/${id}?lastN=1`, undefined, {}, owner)).json();
    expect(Object.keys(history).sort()).toEqual(['id', 'pm25', 'type']);
    const write = await req('PATCH', `/entities/${id}/attrs`, { pm25: 1 }, {}, owner);
    expect(write.statusCode).toBe(403);
    expect(write.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/Forbidden');
    expect((await req('GET', '/entities/urn:ngsi-ld:Streetlight:a1', undefined, {}, owner)).statusCode).toBe(404);
    expect((await req('GET', '/cityhub/accessRules', undefined, {}, owner)).statusCode).toBe(403);
    const rules = (await req('GET', '/cityhub/accessRules')).json();
    expect(rules).toHaveLength(1);
    expect((await req('DELETE', `/cityhub/accessRules/${rules[0].id}`)).statusCode).toBe(204);
    expect((await req('DELETE', `/cityhub/accessRules/${rules[0].id}`)).statusCode).toBe(404);
    // Grants and revocations are in the ledger (ids and names only).
    const { rows } = await hub.database.pool.query(`select kind, subject, body from ledger_entry where kind like 'context.access.%' order by idx`);
    expect(rows.map((r: { kind: string; subject: string }) => [r.kind, r.subject])).toEqual([
      ['context.access.granted', `context-access-rule:${rules[0].id}`], ['context.access.revoked', `context-access-rule:${rules[0].id}`],
    ]);
    expect(JSON.parse(rows[0].body).facts).toEqual({ orgId: org.id, tenant: '', entityType: 'https://smartdatamodels.org/dataModel.Environment/AirQualityObserved', attributes: ['https://smartdatamodels.org/dataModel.Environment/pm25'], canWrite: false });
    expect((await req('GET', '/entities?type=Streetlight', undefined, {}, owner)).json()).toHaveLength(1);
  });

  it('deletes the temporal history', async () => {
    // One attribute first: the rest of the history (the same changes wrote pm25 and status) stays.
    expect((await req('GET', `/temporal/entities/${id}?attrs=status`)).json().status).toHaveLength(1);
    expect((await req('DELETE', `/temporal/entities/${id}/attrs/status`)).statusCode).toBe(204);
    const left = (await req('GET', `/temporal/entities/${id}`)).json();
    expect(left.status).toBeUndefined();
    expect(left.pm25.map((i: { value: number }) => i.value)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect((await req('DELETE', `/temporal/entities/${id}/attrs/status`)).statusCode).toBe(404);
    expect((await req('DELETE', `/temporal/entities/${id}`)).statusCode).toBe(204);
    // A temporal entity without history is gone from the temporal API (the entity itself stays).
    expect((await req('GET', `/temporal/entities/${id}`)).statusCode).toBe(404);
    expect((await req('GET', `/entities/${id}`)).statusCode).toBe(200);
    expect((await req('DELETE', `/temporal/entities/${id}`)).statusCode).toBe(404);
  });
});
