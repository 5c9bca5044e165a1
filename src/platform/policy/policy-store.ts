import type { Db } from '../db/database.js';
import type { SecurityPolicy } from './policy-schema.js';
import './tables.js';

export const findPolicy = (db: Db) => db.selectFrom('security_policy').selectAll().where('id', '=', 'current').executeTakeFirst();

/** Writes the policy at the next version, whatever was there (each version is in the ledger). */
export const savePolicy = (trx: Db, policy: SecurityPolicy, by: string, at: Date) =>
  trx.insertInto('security_policy')
    .values({ id: 'current', policy: JSON.stringify(policy), version: 1, updated_by: by, updated_at: at })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
      policy: eb.ref('excluded.policy'), version: eb('security_policy.version', '+', 1), updated_by: eb.ref('excluded.updated_by'), updated_at: eb.ref('excluded.updated_at'),
    })))
    .returningAll().executeTakeFirstOrThrow();

/** The policy row for `ledger verify` (a page of at most one row). */
export const listPolicyRows = (db: Db, afterId: string | undefined) =>
  db.selectFrom('security_policy').selectAll().$if(afterId !== undefined, (q) => q.where('id', '>', afterId!)).execute();
