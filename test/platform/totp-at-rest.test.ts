import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { FieldCipher, parseFieldKeys } from '../../src/platform/crypto/field-cipher.js';
import { FieldProtection } from '../../src/platform/crypto/field-protection.js';
import { rotateSealedFields } from '../../src/platform/crypto/field-rotation.js';
import { base32Decode, totp } from '../../src/platform/auth/totp.js';

/**
 * Issue 21: a second factor's secret read from a copy of the database would let anyone who knows the password pass
 * the second factor, so with field encryption on it is SM4 ciphertext bound to its user; login still checks codes,
 * and rotation re-encrypts it under the new key.
 */
const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const K1 = key('k1');
const K2 = key('k2');

describe.each(testEngines)('TOTP secrets encrypted at rest [%s]', (engine) => {
  let database: DatabaseHandle;
  let hub: TestHub;
  let admin: { username: string; userId: string; totpSecret?: string };
  // The hubs' clock, moved a time step on before each login: a code is accepted once, and only after the last one.
  let now = new Date();
  const hubWith = (fieldKeys: string) => createTestHub(engine, { database, clock: () => now, config: { security: { fieldEncryption: 'on', fieldKeys } } });
  const login = (h: TestHub, username: string, secret: string) => {
    now = new Date(now.getTime() + 30_000);
    return h.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'test-password-1', totp: totp(base32Decode(secret)!, now) } });
  };
  const stored = async (userId: string) =>
    (await database.db.selectFrom('auth_totp').select('secret').where('user_id', '=', userId).executeTakeFirstOrThrow()).secret;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    hub = await hubWith(K1);
    admin = await hub.loginAs(['admin']); // enrols a second factor and signs in with its code
  }, 180_000);
  afterAll(async () => {
    await hub?.close();
    await database?.close();
  });

  it('stores the secret as ciphertext bound to its user, and login still checks the code', async () => {
    const secret = await stored(admin.userId);
    expect(secret).toMatch(/^sm4\$k1\$/);
    expect(secret).not.toContain(admin.totpSecret!);
    // a sealed secret copied onto another user's row does not open there
    const other = await hub.loginAs(['security_admin']);
    await database.db.updateTable('auth_totp').set({ secret }).where('user_id', '=', other.userId).execute();
    const moved = await login(hub, other.username, admin.totpSecret!);
    expect(moved.statusCode, moved.body).toBe(401);
    expect(moved.json().code).toBe('AUTH_TOTP_INVALID');
    await database.db.deleteFrom('auth_totp').where('user_id', '=', other.userId).execute();
    const res = await login(hub, admin.username, admin.totpSecret!);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('rotation re-encrypts it under the new key, which alone then checks the code', async () => {
    const ring = new FieldProtection(new FieldCipher(parseFieldKeys(`${K2},${K1}`), 'sha256'), true);
    const report = (await rotateSealedFields(database.db, ring, 1)).find((r) => r.name.startsWith('auth_totp'))!;
    expect(report.rewritten).toBeGreaterThanOrEqual(1);
    expect(report.remaining).toBe(0);
    expect(await stored(admin.userId)).toMatch(/^sm4\$k2\$/);
    const node = await hubWith(K2);
    try {
      const res = await login(node, admin.username, admin.totpSecret!);
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      await node.close();
    }
  });
});
