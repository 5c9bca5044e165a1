import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ConfigError, loadConfig } from '../../src/platform/config/config.js';
import { systemActor } from '../../src/platform/auth/roles.js';

/**
 * 等保 2.0 level 3 audit (issue 21): denied requests, reads of personal data and permission and configuration
 * changes recorded with who, what, when and from where; the trail readable by auditors and by each user for
 * their own records; retention and export; alerts on repeated denials and unusual reads for the security
 * administrator.
 */
describe.each(testEngines)('audit trail [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-12-02T09:00:00.000Z');
  const clock = () => now;
  const get = (url: string, cookie?: string, remoteAddress?: string) => hub.http.inject({ url, headers: cookie ? { cookie } : {}, ...(remoteAddress ? { remoteAddress } : {}) });
  const entries = async (kind: string) =>
    (await sql<{ idx: number; actor: string; subject: string; body: string }>`select idx, actor, subject, body from ledger_entry where kind = ${kind} order by idx`.execute(hub.database.db)).rows
      .map((r) => ({ ...r, idx: Number(r.idx), ...JSON.parse(r.body) as { facts: Record<string, unknown>; time: string } }));
  let auditor: string;
  let security: string;

  beforeAll(async () => {
    const base = loadConfig({});
    hub = await createTestHub(engine, { clock, config: { audit: { ...base.audit, alerts: { windowMinutes: 15, deniedThreshold: 5, readThreshold: 3 } } } });
    auditor = (await hub.loginAs(['audit_admin'])).cookie;
    security = (await hub.loginAs(['security_admin'])).cookie;
  });
  afterAll(async () => hub?.close());

  it('records denied requests (401 and 403) with who, what, when and from where, and raises an alert on repeats', async () => {
    const citizen = await hub.loginAs(['citizen']);
    expect((await get('/api/users', undefined, '198.51.100.9')).statusCode).toBe(401);
    // a denial is written behind the answer; on PostgreSQL the next one's write could overtake it in the ledger
    await hub.services.audit.flush();
    expect((await get('/api/keys', citizen.cookie, '198.51.100.10')).statusCode).toBe(403);
    await hub.services.audit.flush();
    const denied = await entries('audit.access.denied');
    expect(denied.at(-2)).toMatchObject({ actor: 'anonymous', subject: 'route:GET /api/users', time: now.toISOString(), facts: { status: 401, code: 'UNAUTHENTICATED', address: '198.51.100.9' } });
    expect(denied.at(-1)).toMatchObject({ actor: `user:${citizen.userId}`, facts: { route: '/api/keys', status: 403, code: 'FORBIDDEN', address: '198.51.100.10' } });
    // an attacker probing from one address: an alert for the security administrator, and for nobody else
    for (let i = 0; i < 5; i++) await get('/api/keys', undefined, '203.0.113.66');
    await hub.services.audit.flush();
    const alerts = await get('/api/audit/alerts', security);
    expect(alerts.statusCode).toBe(200);
    expect(alerts.json()).toContainEqual(expect.objectContaining({ kind: 'repeated_denials', actor: 'anonymous', address: '203.0.113.66', count: 5, threshold: 5 }));
    expect(alerts.json().find((a: { address: string }) => a.address === '198.51.100.9')).toBeUndefined();
    expect((await get('/api/audit/alerts', auditor)).statusCode).toBe(403);
    expect((await get('/api/audit/alerts', (await hub.loginAs(['admin'])).cookie)).statusCode).toBe(403);
    // the window passes: the alert goes
    now = new Date(now.getTime() + 16 * 60_000);
    expect((await get('/api/audit/alerts', security)).json().filter((a: { kind: string }) => a.kind === 'repeated_denials')).toEqual([]);
  });

  it('bounds what one prober writes: past deniedPerMinute one burst entry stands for the rest of the minute', async () => {
    await hub.services.audit.flush(); // the earlier tests' last denials are written before counting
    const before = (await entries('audit.access.denied')).length;
    for (let i = 0; i < 40; i++) await get('/api/orgs', undefined, '203.0.113.99');
    await hub.services.audit.flush();
    expect((await entries('audit.access.denied')).length - before).toBe(30);
    expect((await entries('audit.access.denied_burst')).filter((e) => e.facts.address === '203.0.113.99')).toHaveLength(1);
  });

  it('records reads of a citizen\'s ticket in clear (not the citizen\'s own), and alerts on unusual volume', async () => {
    const agent = await hub.loginAs(['agent']);
    const ticket = await hub.services.hotline.intake.create(systemActor('test-setup'), { title: '路灯不亮', content: '小区门口路灯坏了', citizenName: '王芳', citizenPhone: '13800138000' });
    for (let i = 0; i < 3; i++) expect((await get(`/api/hotline/tickets/${ticket.id}`, agent.cookie, '10.20.0.7')).statusCode).toBe(200);
    const reads = (await entries('audit.personal_data.read')).filter((e) => e.subject === `ticket:${ticket.id}`);
    expect(reads).toHaveLength(3);
    expect(reads[0]).toMatchObject({ actor: `user:${agent.userId}`, facts: { what: 'ticket', address: '10.20.0.7' } });
    expect(JSON.stringify(reads)).not.toContain('王芳');
    expect((await get('/api/audit/alerts', security)).json()).toContainEqual(expect.objectContaining({ kind: 'unusual_reads', actor: `user:${agent.userId}`, count: 3 }));
  });

  it('records permission and configuration changes with the address; a restart with the same configuration records nothing', async () => {
    const target = await hub.loginAs(['agent']);
    const res = await hub.http.inject({ method: 'PUT', url: `/api/users/${target.userId}/roles`, headers: { cookie: security }, payload: { roles: ['supervisor'] }, remoteAddress: '10.0.0.8' });
    expect(res.statusCode).toBe(200);
    expect((await entries('auth.user.permissions_changed')).at(-1)).toMatchObject({ subject: `user:${target.userId}`, facts: { roles: ['supervisor'], address: '10.0.0.8' } });
    const configs = await entries('audit.config.changed');
    expect(configs).toHaveLength(1);
    expect(configs[0].facts.sha256).toMatch(/^[0-9a-f]{64}$/);
    const same = await createTestHub(engine, { database: hub.database, clock, config: { audit: hub.config.audit } });
    await same.close();
    expect(await entries('audit.config.changed')).toHaveLength(1);
    const changed = await createTestHub(engine, { database: hub.database, clock, config: { audit: { ...hub.config.audit, retentionDays: 365 } } });
    await changed.close();
    const after = await entries('audit.config.changed');
    expect(after).toHaveLength(2);
    expect(after[1].facts.previous).toBe(configs[0].facts.sha256);
  });

  it('lets only auditors read the whole trail; the operation supervisor the operation entries; everyone their own records', async () => {
    const citizen = await hub.loginAs(['citizen']);
    const supervisor = await hub.loginAs(['operation_supervisor']);
    const op = await hub.services.ledger.append('operation.licence.approved', systemActor('test-setup'), 'licence:1', {});
    const ownLogin = (await entries('auth.login')).find((e) => e.subject === `user:${citizen.userId}`)!;
    const foreign = (await entries('auth.login')).find((e) => e.subject !== `user:${citizen.userId}`)!;
    // before issue 21 a citizen read every entry of the ledger
    expect((await get(`/api/ledger/entries/${foreign.idx}`, citizen.cookie)).statusCode).toBe(404);
    expect((await get(`/api/ledger/entries/${ownLogin.idx}`, citizen.cookie)).statusCode).toBe(200);
    expect((await get(`/api/ledger/entries/${foreign.idx}`, auditor)).statusCode).toBe(200);
    expect((await get(`/api/ledger/entries/${op.index}`, supervisor.cookie)).statusCode).toBe(200);
    expect((await get(`/api/ledger/entries/${foreign.idx}`, supervisor.cookie)).statusCode).toBe(404);
    expect((await get(`/api/ledger/entries/${foreign.idx}`, (await hub.loginAs(['admin'])).cookie)).statusCode).toBe(404);
    expect((await get('/api/audit/trail', citizen.cookie)).statusCode).toBe(403);
    const mine = (await get('/api/audit/mine', citizen.cookie)).json() as { actor: string; subject: string }[];
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => r.actor === `user:${citizen.userId}` || r.subject === `user:${citizen.userId}`)).toBe(true);
    const supervised = (await get('/api/audit/trail', supervisor.cookie)).json() as { kind: string }[];
    expect(supervised.map((r) => r.kind)).toEqual(['operation.licence.approved']);
    const all = (await get('/api/audit/trail?kind=auth.login&limit=5', auditor)).json() as { kind: string }[];
    expect(all).toHaveLength(5);
    expect(all.every((r) => r.kind.startsWith('auth.login'))).toBe(true);
  });

  it('keeps at least 6 months (configurable, 180 days or more) and exports a period as CSV or JSON, recording the export', async () => {
    expect(() => loadConfig({ CITYHUB_CONFIG_FILE: undefined }, {})).not.toThrow();
    expect(hub.config.audit.retentionDays).toBe(180);
    const bad = { ...loadConfig({}), audit: { retentionDays: 90 } };
    expect(() => loadConfigFromObject(bad)).toThrow(ConfigError);
    await get('/api/keys', undefined, '203.0.113.77');
    await hub.services.audit.flush();
    const retention = (await get('/api/audit/retention', auditor)).json();
    expect(retention).toMatchObject({ retentionDays: 180, pruned: false });
    const csv = await get(`/api/audit/export?from=2026-01-01T00:00:00Z&to=${encodeURIComponent(new Date(now.getTime() + 1000).toISOString())}&format=csv`, auditor);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('audit-2026-01-01-');
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('index,time,kind,actor,subject,address,facts');
    expect(lines.some((l) => l.includes('audit.access.denied') && l.includes('203.0.113.77'))).toBe(true);
    const json = await get('/api/audit/export?format=json', auditor);
    const records = json.json() as { index: number; kind: string }[];
    expect(records.length).toBe(lines.length - 1 + 1); // the CSV export itself is recorded before the JSON one
    expect(records.map((r) => r.index)).toEqual([...records.map((r) => r.index)].sort((a, b) => a - b));
    expect((await entries('audit.trail.exported')).length).toBe(2);
    expect((await get('/api/audit/export?from=2026-12-05T00:00:00Z&to=2026-12-01T00:00:00Z', auditor)).json()).toMatchObject({ code: 'AUDIT_BAD_RANGE', errors: [{ field: '/query/from' }] });
    expect((await get('/api/audit/export?from=yesterday', auditor)).statusCode).toBe(400);
    expect((await get('/api/audit/export', security)).statusCode).toBe(403);
  });
});

/** loadConfig over an object, as a config file would give it. */
function loadConfigFromObject(value: unknown) {
  const file = `${mkdtempSync(`${tmpdir()}/cfg-`)}/config.json`;
  writeFileSync(file, JSON.stringify({ audit: (value as { audit: unknown }).audit }));
  return loadConfig({ CITYHUB_CONFIG_FILE: file });
}
