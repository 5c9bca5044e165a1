import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { openTestDatabase } from '../support/engines.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createCityHub } from '../../src/server/app.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { FieldCipher, parseFieldKeys } from '../../src/platform/crypto/field-cipher.js';
import { FieldProtection } from '../../src/platform/crypto/field-protection.js';
import { rotateSealedFields } from '../../src/platform/crypto/field-rotation.js';
import { parseMapping, TicketImporter } from '../../src/hotline/import/index.js';
import { ticketDay } from '../../src/hotline/ticket-number.js';
import type { OutgoingNotice } from '../../src/hotline/index.js';

/**
 * Issue 21 (密评 8.4 d, 等保 8.1.4.8 b): with field encryption on, the citizen's name, phone and address are SM4
 * ciphertext in the table — read raw, no plaintext is there — and every feature that used them still works: the
 * public lookup by phone, the handler's view, the citizen's contact prefill, SMS notices, the Open311 feed, the
 * importer, duplicates by phone (the keyed hash). Rotation re-encrypts under a new key that alone then reads them
 * back; a wrong key or a missing one stops the boot naming the problem.
 */
const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const K1 = key('k1');
const K2 = key('k2');

const NAME = '李四';
const PHONE = '13900001111';
const ADDRESS = '临江区幸福路8号3栋201';

describe.each(testEngines)('hotline: personal fields encrypted at rest [%s]', (engine) => {
  let database: DatabaseHandle;
  let hub: TestHub;
  const cookies: Record<string, string> = {};
  let citizenTicket: { id: string; number: string };
  let agentTicket: { id: string; number: string };
  let unit: string;
  const sent: OutgoingNotice[] = [];
  const admin = systemActor('test', ['admin']);

  const hubWith = (fieldKeys: string | undefined, fieldEncryption: 'on' | 'off' = 'on') =>
    createTestHub(engine, { database, config: { security: { fieldEncryption, ...(fieldKeys ? { fieldKeys } : {}) } } });
  const api = (h: TestHub, who: string | null, method: 'GET' | 'POST', url: string, payload?: object) =>
    h.http.inject({ method, url, remoteAddress: '203.0.113.9', headers: who ? { cookie: cookies[who]! } : {}, ...(payload ? { payload } : {}) });
  const raw = (number: string) =>
    database.db.selectFrom('hotline_ticket').selectAll().where('number', '=', number).executeTakeFirstOrThrow();

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    hub = await hubWith(K1);
    const gov = (await hub.services.auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    unit = (await hub.services.auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    for (const [who, roles, org] of [['citizen', ['citizen'], null], ['agent', ['agent'], gov], ['handler', ['handler'], unit]] as const) {
      cookies[who] = (await hub.loginAs([...roles], org)).cookie;
    }
    hub.services.hotline.notices.useChannel({ name: 'sms', send: async (n) => { sent.push(n); } });
    const filed = await api(hub, 'citizen', 'POST', '/api/hotline/tickets', {
      title: '路灯不亮', content: '小区东门路灯不亮', citizenName: NAME, citizenPhone: PHONE, address: ADDRESS, public: true,
    });
    expect(filed.statusCode, filed.body).toBe(201);
    citizenTicket = filed.json();
    // the same phone written another way, filed by an agent for the same person
    const byAgent = await api(hub, 'agent', 'POST', '/api/hotline/tickets', { title: '噪声扰民', content: '夜间施工', citizenName: NAME, citizenPhone: '+86 139-0000-1111' });
    expect(byAgent.statusCode, byAgent.body).toBe(201);
    agentTicket = byAgent.json();
  }, 180_000);
  afterAll(async () => {
    await hub?.close();
    await database?.close();
  });

  it('keeps no plaintext name, phone or address in the table, read raw', async () => {
    const row = await raw(citizenTicket.number);
    for (const column of ['citizen_name', 'citizen_phone', 'address'] as const) expect(row[column]).toMatch(/^sm4\$k1\$/);
    const everything = JSON.stringify(await sql`select * from hotline_ticket`.execute(database.db));
    for (const secret of [NAME, PHONE, '幸福路', '3栋201']) expect(everything).not.toContain(secret);
    // the keyed hash of the phone's digits: one person, one hash, however the phone was written; not the phone
    const other = await raw(agentTicket.number);
    expect(row.citizen_phone_hash).toMatch(/^k1:/);
    expect(other.citizen_phone_hash).toBe(row.citizen_phone_hash);
    expect(row.citizen_phone).not.toBe(other.citizen_phone); // random IV: equal phones differ in the table
  });

  it('still serves every feature that reads them: lookup, the handler, the citizen, notices, the Open311 feed', async () => {
    const tracked = await api(hub, null, 'POST', '/api/hotline/track', { number: citizenTicket.number, phone: '139 0000 1111' });
    expect(tracked.statusCode, tracked.body).toBe(200);
    expect((await api(hub, null, 'POST', '/api/hotline/track', { number: citizenTicket.number, phone: '13900001112' })).statusCode).toBe(404);

    expect((await api(hub, 'agent', 'POST', `/api/hotline/tickets/${citizenTicket.id}/dispatch`, { unitId: unit })).statusCode).toBe(200);
    const seen = (await api(hub, 'handler', 'GET', `/api/hotline/tickets/${citizenTicket.id}`)).json();
    expect(seen).toMatchObject({ citizenName: NAME, citizenPhone: PHONE, address: ADDRESS });
    const listed = (await api(hub, 'handler', 'GET', '/api/hotline/tickets')).json();
    expect(listed.items.find((t: { id: string }) => t.id === citizenTicket.id)).toMatchObject({ citizenPhone: PHONE });

    expect((await api(hub, 'citizen', 'GET', '/api/hotline/my-contact')).json()).toEqual({ name: NAME, phone: PHONE });

    await hub.services.hotline.notices.deliver();
    expect(sent.find((n) => n.ticketId === citizenTicket.id)?.phone).toBe(PHONE);

    const feed = await api(hub, null, 'GET', `/open311/v2/requests/${citizenTicket.number}.json`);
    expect(feed.statusCode, feed.body).toBe(200);
    expect(feed.json()[0].address).toContain('临江区幸福路8号'); // opened, then masked for the public: the room hidden
    expect(feed.body).not.toContain('3栋201');
    expect(feed.body).not.toContain('sm4$');
  });

  it('the importer seals what it writes', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'field-enc-')), 'tickets.csv');
    writeFileSync(file, 'id,title,time,name,phone,addr\nx1,井盖缺失,2026-11-20 09:00:00,王五,13700002222,青山区建设路1号\n');
    const importer = new TicketImporter({
      db: database.db, ledger: hub.services.ledger, clock: hub.services.clock, categories: hub.services.hotline.reference,
      dayOf: ticketDay('Asia/Shanghai'), personal: hub.services.hotline.personal,
    });
    const summary = await importer.run(admin, {
      file,
      mapping: parseMapping({
        source: 'enc',
        fields: { external_id: 'id', title: 'title', created_at: { column: 'time', date: 'YYYY-MM-DD HH:mm:ss' }, citizen_name: 'name', citizen_phone: 'phone', address: 'addr' },
      }),
    });
    expect(summary.imported).toBe(1);
    const row = await database.db.selectFrom('hotline_ticket').selectAll().where('source', '=', 'enc').executeTakeFirstOrThrow();
    expect([row.citizen_name, row.citizen_phone, row.address].every((v) => v!.startsWith('sm4$k1$'))).toBe(true);
    expect(row.citizen_phone_hash).toBe(hub.services.hotline.personal.phoneHash('13700002222'));
    const view = await hub.services.hotline.tickets.get(admin, row.id);
    expect(view).toMatchObject({ citizenName: '王五', citizenPhone: '13700002222', address: '青山区建设路1号' });
  });

  it('rotation re-encrypts every row under the new key, which alone then reads them back', async () => {
    const ring = new FieldProtection(new FieldCipher(parseFieldKeys(`${K2},${K1}`), 'sha256'), true);
    const [tickets] = (await rotateSealedFields(database.db, ring, 1)).filter((r) => r.name.startsWith('hotline_ticket'));
    expect(tickets.rewritten).toBe(3);
    expect(tickets.remaining).toBe(0);
    const row = await raw(citizenTicket.number);
    for (const column of ['citizen_name', 'citizen_phone', 'address'] as const) expect(row[column]).toMatch(/^sm4\$k2\$/);
    expect(row.citizen_phone_hash).toMatch(/^k2:/);
    expect((await rotateSealedFields(database.db, ring, 100)).every((r) => r.rewritten === 0)).toBe(true); // idempotent

    const node = await hubWith(K2); // k1 dropped
    try {
      const seen = await node.services.hotline.tickets.get(admin, citizenTicket.id);
      expect(seen).toMatchObject({ citizenName: NAME, citizenPhone: PHONE, address: ADDRESS });
      expect((await api(node, null, 'POST', '/api/hotline/track', { number: citizenTicket.number, phone: PHONE })).statusCode).toBe(200);
    } finally {
      await node.close();
    }
  });

  it('a wrong key, or none, stops the boot naming the problem', async () => {
    const config = (security: object) => ({ ...loadConfig({ LOG_LEVEL: 'silent' }), security: { fieldEncryption: 'on' as const, ...security } });
    await expect(createCityHub({ config: config({ fieldKeys: key('k2') }), database, logger: false }))
      .rejects.toThrow(/field keys do not open the stored tickets .*the key with its id is not the one it was encrypted with/);
    await expect(createCityHub({ config: config({ fieldKeys: key('k9') }), database, logger: false }))
      .rejects.toThrow(/encrypted with key k2, which is not in the key ring/);
    await expect(createCityHub({ config: { ...config({}), security: { fieldEncryption: 'off' } }, database, logger: false }))
      .rejects.toThrow(/is encrypted but no field keys are configured/);
    await expect(createCityHub({ config: config({}), database, logger: false })).rejects.toThrow(/no field keys are given/);
  });
});
