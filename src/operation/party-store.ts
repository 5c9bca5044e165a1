import type { Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationPartyTable } from './tables.js';
import type { PartyKind } from './schemas.js';

// The parties of authorized operation: the implementing body, operators and market users.

export const insertParty = (db: Db, row: Insertable<OperationPartyTable>) =>
  db.insertInto('operation_party').values(row).returningAll().executeTakeFirstOrThrow();

export const findParty = (db: Db, id: string) => db.selectFrom('operation_party').selectAll().where('id', '=', id).executeTakeFirst();

export const findPartyByOrg = (db: Db, orgId: string, kind: PartyKind) =>
  db.selectFrom('operation_party').selectAll().where('org_id', '=', orgId).where('kind', '=', kind).executeTakeFirst();

export const findImplementingBody = (db: Db) =>
  db.selectFrom('operation_party').selectAll().where('kind', '=', 'implementing_body').executeTakeFirst();

export const listParties = (db: Db, kind?: PartyKind) => {
  let q = db.selectFrom('operation_party').selectAll();
  if (kind) q = q.where('kind', '=', kind);
  return q.orderBy('registered_at').orderBy('id').execute();
};
