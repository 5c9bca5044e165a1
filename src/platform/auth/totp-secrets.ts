import type { Db } from '../db/database.js';
import { registerSealedColumns, resealRow } from '../crypto/field-protection.js';
import './tables.js';

/**
 * Where a second factor's secret is sealed (SM4, field-protection.ts): bound to its user, so a secret copied to
 * another user's row does not open. A TOTP secret read from a copy of the database would let anyone holding the
 * password pass the second factor, so it is sealed whenever field encryption is on.
 */
export const totpSecretPlace = (userId: string): string => `auth_totp.secret:${userId}`;

registerSealedColumns({
  name: 'auth_totp (动态验证码密钥)',
  async rotateBatch(db: Db, fields, afterKey, limit, onBad) {
    let q = db.selectFrom('auth_totp').select(['user_id', 'secret']).orderBy('user_id').limit(limit);
    if (afterKey) q = q.where('user_id', '>', afterKey);
    const rows = await q.execute();
    let rewritten = 0;
    for (const row of rows) {
      const next = resealRow(`user ${row.user_id}`, onBad, () => fields.reseal(row.secret, totpSecretPlace(row.user_id)));
      if (next === undefined || next === null) continue;
      // only if unchanged meanwhile (an enrolment restarted since writes its own, sealed)
      const done = await db.updateTable('auth_totp').set({ secret: next }).where('user_id', '=', row.user_id).where('secret', '=', row.secret).executeTakeFirst();
      rewritten += Number(done.numUpdatedRows);
    }
    return { rewritten, lastKey: rows.length < limit ? null : rows.at(-1)!.user_id };
  },
  async countStale(db, fields) {
    let q = db.selectFrom('auth_totp').select((eb) => eb.fn.countAll<string>().as('n'));
    q = fields.encrypting
      ? q.where('secret', 'not like', `sm4$${fields.currentKeyId}$%`)
      : q.where('secret', 'like', 'sm4$%');
    return Number((await q.executeTakeFirstOrThrow()).n);
  },
});
