import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationAccessTable, OperationLicenceTable } from './tables.js';

// Licences (授权协议) and market users' accesses (使用许可) with their keys.

export const insertLicence = (db: Db, row: Insertable<OperationLicenceTable>) =>
  db.insertInto('operation_licence').values(row).returningAll().executeTakeFirstOrThrow();

/** Updates a licence only at the version read (a concurrent change makes it return nothing). */
export const updateLicence = (db: Db, id: string, version: number, patch: Updateable<OperationLicenceTable>) =>
  db.updateTable('operation_licence').set(patch).where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst();

export const findLicence = (db: Db, id: string) => db.selectFrom('operation_licence').selectAll().where('id', '=', id).executeTakeFirst();

/** The licence a product is registered under, found by the product's id (read together with the product). */
export const findLicenceOfProduct = (db: Db, productId: string) =>
  db.selectFrom('operation_licence').selectAll()
    .where('id', '=', (eb) => eb.selectFrom('operation_product').select('licence_id').where('operation_product.id', '=', productId))
    .executeTakeFirst();

export const findLicenceByNumber = (db: Db, number: string) =>
  db.selectFrom('operation_licence').selectAll().where('number', '=', number).executeTakeFirst();

export const listLicences = (db: Db, operatorPartyId?: string) => {
  let q = db.selectFrom('operation_licence').selectAll();
  if (operatorPartyId) q = q.where('operator_party_id', '=', operatorPartyId);
  return q.orderBy('applied_at').orderBy('id').execute();
};

export const insertAccess = (db: Db, row: Insertable<OperationAccessTable>) =>
  db.insertInto('operation_access').values(row).returningAll().executeTakeFirstOrThrow();

export const findAccess = (db: Db, id: string) => db.selectFrom('operation_access').selectAll().where('id', '=', id).executeTakeFirst();

export const findAccessByKey = (db: Db, apiKeyId: string) =>
  db.selectFrom('operation_access').selectAll().where('api_key_id', '=', apiKeyId).executeTakeFirst();

export const listAccesses = (db: Db, filter: { licenceIds?: string[] } = {}) => {
  let q = db.selectFrom('operation_access').selectAll();
  if (filter.licenceIds) {
    if (filter.licenceIds.length === 0) return Promise.resolve([]);
    q = q.where('licence_id', 'in', filter.licenceIds);
  }
  return q.orderBy('created_at').orderBy('id').execute();
};

export const revokeAccess = (db: Db, id: string, at: Date, reason: string) =>
  db.updateTable('operation_access').set({ status: 'revoked', revoked_at: at, revoked_reason: reason })
    .where('id', '=', id).where('status', '=', 'active').returningAll().executeTakeFirst();

/** Revokes every active access of a licence; returns their keys (to revoke with identity). */
export const revokeLicenceAccesses = (db: Db, licenceId: string, at: Date, reason: string) =>
  db.updateTable('operation_access').set({ status: 'revoked', revoked_at: at, revoked_reason: reason })
    .where('licence_id', '=', licenceId).where('status', '=', 'active').returning(['id', 'api_key_id']).execute();

export type AccessPatch = Updateable<OperationAccessTable>;

/** Licences a page at a time in id order (`ledger verify` reads them back). */
export const listLicencePage = (db: Db, afterId: string | undefined, limit: number) => {
  let q = db.selectFrom('operation_licence').selectAll().orderBy('id').limit(limit);
  if (afterId !== undefined) q = q.where('id', '>', afterId);
  return q.execute();
};
