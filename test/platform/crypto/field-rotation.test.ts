import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { DatabaseHandle } from '../../../src/platform/db/database.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { FieldCipher, parseFieldKeys } from '../../../src/platform/crypto/field-cipher.js';
import { FieldProtection } from '../../../src/platform/crypto/field-protection.js';
import { rotateSealedFields } from '../../../src/platform/crypto/field-rotation.js';

/**
 * Issue 21: `cityhub keys rotate` goes on past a value that does not open — altered, moved from another row —
 * naming each such row, rotating every other one, and leaving the bad rows exactly as they were (no row half
 * under the new key); a second run rewrites nothing and names the same rows.
 */
const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const K1 = key('k1');
const K2 = key('k2');

describe.each(testEngines)('field key rotation past bad values [%s]', (engine) => {
  let database: DatabaseHandle;
  let hub: TestHub;
  const numbers: string[] = [];
  let totpUser: string;
  const admin = systemActor('test', ['admin']);
  const raw = (number: string) => database.db.selectFrom('hotline_ticket').select(['citizen_name', 'citizen_phone', 'address', 'citizen_phone_hash']).where('number', '=', number).executeTakeFirstOrThrow();

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    hub = await createTestHub(engine, { database, config: { security: { fieldEncryption: 'on', fieldKeys: K1 } } });
    for (let i = 0; i < 5; i++) {
      const t = await hub.services.hotline.intake.create(admin, { title: `噪音扰民 ${i}`, content: '夜间施工', citizenName: `市民${i}`, citizenPhone: `1390000${String(i).padStart(4, '0')}`, address: `幸福路${i}号` });
      numbers.push(t.number);
    }
    const user = await hub.services.auth.insertUser(admin, { username: 'rotation_sec', password: 'Rotation-pass-1', roles: ['security_admin'], orgId: null });
    await hub.services.auth.insertTotp(admin, user.id);
    totpUser = user.id;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await database?.close();
  });

  it('names each row that does not open, rotates the others, leaves the bad rows untouched, and a re-run is idempotent', async () => {
    // a phone copied from another ticket (bound to that ticket: does not open here), an address altered, a TOTP secret altered
    const copied = (await raw(numbers[2])).citizen_phone!;
    await database.db.updateTable('hotline_ticket').set({ citizen_phone: copied }).where('number', '=', numbers[1]).execute();
    const address = (await raw(numbers[3])).address!;
    const flip = (v: string) => `${v.slice(0, -6)}${v.at(-6) === 'A' ? 'B' : 'A'}${v.slice(-5)}`;
    await database.db.updateTable('hotline_ticket').set({ address: flip(address) }).where('number', '=', numbers[3]).execute();
    const secret = (await database.db.selectFrom('auth_totp').select('secret').where('user_id', '=', totpUser).executeTakeFirstOrThrow()).secret;
    await database.db.updateTable('auth_totp').set({ secret: flip(secret) }).where('user_id', '=', totpUser).execute();
    const badBefore = [await raw(numbers[1]), await raw(numbers[3])];

    const ring = new FieldProtection(new FieldCipher(parseFieldKeys(`${K2},${K1}`), 'sha256'), true);
    const reports = await rotateSealedFields(database.db, ring, 2);
    const tickets = reports.find((r) => r.name.startsWith('hotline_ticket'))!;
    expect(tickets.rewritten).toBe(3);
    // in the table's order (its keys are random ids), not the numbers'
    expect([...tickets.bad].sort((a, b) => a.row.localeCompare(b.row))).toEqual([
      { row: `ticket ${numbers[1]}`, problem: expect.stringMatching(/does not authenticate/) },
      { row: `ticket ${numbers[3]}`, problem: expect.stringMatching(/does not authenticate/) },
    ]);
    expect(tickets.remaining).toBe(2);
    const totp = reports.find((r) => r.name.startsWith('auth_totp'))!;
    expect(totp.bad).toEqual([{ row: `user ${totpUser}`, problem: expect.stringMatching(/does not authenticate/) }]);

    // the bad rows exactly as they were: their good values not moved to k2 alone (no half-rotated row)
    expect([await raw(numbers[1]), await raw(numbers[3])]).toEqual(badBefore);
    expect(badBefore[0].citizen_name).toMatch(/^sm4\$k1\$/);
    for (const n of [numbers[0], numbers[2], numbers[4]]) {
      const row = await raw(n);
      for (const v of [row.citizen_name, row.citizen_phone, row.address]) expect(v).toMatch(/^sm4\$k2\$/);
      expect(row.citizen_phone_hash).toMatch(/^k2:/);
    }

    const again = await rotateSealedFields(database.db, ring, 2);
    expect(again.map((r) => r.rewritten)).toEqual(reports.map(() => 0));
    expect(again.map((r) => r.bad)).toEqual(reports.map((r) => r.bad));
    expect(again.find((r) => r.name.startsWith('hotline_ticket'))!.remaining).toBe(2);

    // the rotated tickets open under the new key alone
    const node = await createTestHub(engine, { database, config: { security: { fieldEncryption: 'on', fieldKeys: K2 } } }).catch((err: unknown) => err);
    // the boot's key check reads the newest sealed ticket (numbers[4], rotated): it opens
    expect(node).not.toBeInstanceOf(Error);
    try {
      const ticket = await database.db.selectFrom('hotline_ticket').select('id').where('number', '=', numbers[2]).executeTakeFirstOrThrow();
      expect(await (node as TestHub).services.hotline.tickets.get(admin, ticket.id)).toMatchObject({ citizenName: '市民2', citizenPhone: '13900000002', address: '幸福路2号' });
    } finally {
      await (node as TestHub).close();
    }
  }, 120_000);
});
