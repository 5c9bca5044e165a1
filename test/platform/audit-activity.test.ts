import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';

/**
 * The security administrator's activity chart (issue 21): denials, failed logins and reads of personal data per
 * hour or day of the city's time zone (Asia/Shanghai by default), empty buckets included; for the security
 * administrator only.
 */
describe.each(testEngines)('audit activity [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-12-02T09:10:00.000Z'); // 17:10 in Shanghai
  const clock = () => now;
  const get = (url: string, cookie?: string, remoteAddress?: string) => hub.http.inject({ url, headers: cookie ? { cookie } : {}, ...(remoteAddress ? { remoteAddress } : {}) });
  // a fresh session after each move of the clock (hours on, an old one has ended by the idle timeout)
  const securityAdmin = async () => (await hub.loginAs(['security_admin'])).cookie;
  type Bucket = { start: string; denied: number; failedLogins: number; personalReads: number };

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock });
  });
  afterAll(async () => hub?.close());

  it('counts denials, failed logins and personal reads per hour, empty hours included', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/api/keys', undefined, '203.0.113.7')).statusCode).toBe(401);
    const failed = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody', password: 'wrong-password-1' } });
    expect(failed.statusCode).toBe(401);
    await hub.services.audit.recordRead(systemActor('test-reader', ['agent']), 'ticket', 'ticket:t-1');
    now = new Date('2026-12-02T11:20:00.000Z'); // two hours on: one more denial
    expect((await get('/api/orgs', undefined, '203.0.113.7')).statusCode).toBe(401);
    await hub.services.audit.flush();
    const security = await securityAdmin();

    const res = await get('/api/audit/activity?bucket=hour&from=2026-12-02T08:00:00Z&to=2026-12-02T12:00:00Z', security);
    expect(res.statusCode).toBe(200);
    const view = res.json() as { bucket: string; timeZone: string; buckets: Bucket[] };
    expect(view).toMatchObject({ bucket: 'hour', timeZone: 'Asia/Shanghai' });
    expect(view.buckets.map((b) => b.start)).toEqual(['08', '09', '10', '11'].map((h) => `2026-12-02T${h}:00:00.000Z`));
    expect(view.buckets[0]).toMatchObject({ denied: 0, failedLogins: 0, personalReads: 0 });
    // the failed login's own 401 is a failed login, not a denial of the gate
    expect(view.buckets[1]).toMatchObject({ failedLogins: 1, personalReads: 1 });
    expect(view.buckets[1].denied).toBeGreaterThanOrEqual(3);
    expect(view.buckets[2]).toMatchObject({ denied: 0, failedLogins: 0, personalReads: 0 });
    expect(view.buckets[3]).toMatchObject({ denied: 1 });
  });

  it('counts per day of the city, not of UTC', async () => {
    now = new Date('2026-12-02T17:00:00.000Z'); // 01:00 on 3 December in Shanghai, still 2 December in UTC
    expect((await get('/api/orgs', undefined, '203.0.113.8')).statusCode).toBe(401);
    await hub.services.audit.flush();
    const security = await securityAdmin();
    const res = await get('/api/audit/activity?bucket=day&from=2026-12-01T16:00:00Z&to=2026-12-03T16:00:00Z', security);
    expect(res.statusCode).toBe(200);
    const days = (res.json() as { buckets: Bucket[] }).buckets;
    // Shanghai's days start at 16:00 UTC
    expect(days.map((b) => b.start)).toEqual(['2026-12-01T16:00:00.000Z', '2026-12-02T16:00:00.000Z']);
    expect(days[1].denied).toBe(1);
    expect(days[0].denied).toBeGreaterThanOrEqual(4);
    // by default the last 30 days up to now: the newest bucket is today's
    const recent = (await get('/api/audit/activity?bucket=day', security)).json() as { buckets: Bucket[] };
    expect(recent.buckets.length).toBeGreaterThanOrEqual(30);
    expect(recent.buckets.at(-1)).toMatchObject({ start: '2026-12-02T16:00:00.000Z', denied: 1 });
  });

  it('is for the security administrator only, and refuses a bad period naming the field', async () => {
    for (const roles of [['audit_admin'], ['admin'], ['citizen']] as const) {
      expect((await get('/api/audit/activity', (await hub.loginAs([...roles])).cookie)).statusCode).toBe(403);
    }
    expect((await get('/api/audit/activity')).statusCode).toBe(401);
    const security = await securityAdmin();
    const long = await get('/api/audit/activity?bucket=hour&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z', security);
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: 'AUDIT_BAD_RANGE', errors: [{ field: '/query/from' }] });
    const reversed = await get('/api/audit/activity?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', security);
    expect(reversed.json()).toMatchObject({ code: 'AUDIT_BAD_RANGE', errors: [{ field: '/query/from' }] });
    expect((await get('/api/audit/activity?to=soon', security)).json()).toMatchObject({ errors: [{ field: '/query/to' }] });
    const week = (await get('/api/audit/activity?bucket=week', security)).json() as { code: string; errors: { field: string }[] };
    expect(week.code).toBe('VALIDATION_FAILED');
    expect(new Set(week.errors.map((e) => e.field))).toEqual(new Set(['/query/bucket']));
  });
});
