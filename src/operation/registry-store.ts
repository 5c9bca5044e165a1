import { sql, type Insertable, type Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationProductTable, OperationResourceTable, OperationVersionTable } from './tables.js';

// Registration (登记): public data resources, data products, every version of them (and of licences), and the
// counters their registration numbers are drawn from.

/** The next number of a counter (`DP:2026`), atomically: nodes drawing at once get different numbers. */
export const nextSequence = async (db: Db, name: string): Promise<number> => {
  const row = await db.insertInto('operation_sequence').values({ name, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql`operation_sequence.value + 1` }))
    .returning('value').executeTakeFirstOrThrow();
  return row.value;
};

export const insertResource = (db: Db, row: Insertable<OperationResourceTable>) =>
  db.insertInto('operation_resource').values(row).returningAll().executeTakeFirstOrThrow();

export const updateResource = (db: Db, id: string, patch: Updateable<OperationResourceTable>) =>
  db.updateTable('operation_resource').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const findResource = (db: Db, id: string) => db.selectFrom('operation_resource').selectAll().where('id', '=', id).executeTakeFirst();

export const findResourceByDataset = (db: Db, datasetId: string) =>
  db.selectFrom('operation_resource').selectAll().where('dataset_id', '=', datasetId).executeTakeFirst();

export const findResourceByNumber = (db: Db, number: string) =>
  db.selectFrom('operation_resource').selectAll().where('number', '=', number).executeTakeFirst();

export const listResources = (db: Db) => db.selectFrom('operation_resource').selectAll().orderBy('number').execute();

export const insertProduct = (db: Db, row: Insertable<OperationProductTable>) =>
  db.insertInto('operation_product').values(row).returningAll().executeTakeFirstOrThrow();

/** Updates a product only at the version read (a concurrent change makes it return nothing). */
export const updateProduct = (db: Db, id: string, version: number, patch: Updateable<OperationProductTable>) =>
  db.updateTable('operation_product').set(patch).where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst();

export const findProduct = (db: Db, id: string) => db.selectFrom('operation_product').selectAll().where('id', '=', id).executeTakeFirst();

export const findProductByNumber = (db: Db, number: string) =>
  db.selectFrom('operation_product').selectAll().where('number', '=', number).executeTakeFirst();

export const listProducts = (db: Db, filter: { operatorPartyId?: string; licenceId?: string; ids?: string[] } = {}) => {
  let q = db.selectFrom('operation_product').selectAll();
  if (filter.operatorPartyId) q = q.where('operator_party_id', '=', filter.operatorPartyId);
  if (filter.licenceId) q = q.where('licence_id', '=', filter.licenceId);
  if (filter.ids) {
    if (filter.ids.length === 0) return Promise.resolve([]);
    q = q.where('id', 'in', filter.ids);
  }
  return q.orderBy('submitted_at').orderBy('id').execute();
};

/** Products of a licence suspended with it (or, with `back`, resumed with it). */
export const setLicenceProductsSuspended = (db: Db, licenceId: string, suspend: boolean, at: Date, reason: string | null) =>
  suspend
    ? db.updateTable('operation_product').set({ status: 'suspended', suspended_by_licence: true, status_reason: reason, updated_at: at })
      .where('licence_id', '=', licenceId).where('status', '=', 'registered').returning(['id', 'number']).execute()
    : db.updateTable('operation_product').set({ status: 'registered', suspended_by_licence: false, status_reason: null, updated_at: at })
      .where('licence_id', '=', licenceId).where('status', '=', 'suspended').where('suspended_by_licence', '=', true)
      .returning(['id', 'number']).execute();

/** A terminated licence's products are withdrawn for good. */
export const withdrawLicenceProducts = (db: Db, licenceId: string, at: Date, reason: string) =>
  db.updateTable('operation_product').set({ status: 'withdrawn', suspended_by_licence: false, status_reason: reason, updated_at: at })
    .where('licence_id', '=', licenceId).where('status', 'in', ['pending', 'registered', 'suspended']).returning(['id', 'number']).execute();

export const insertVersion = (db: Db, row: Insertable<OperationVersionTable>) => db.insertInto('operation_version').values(row).execute();

export const listVersions = (db: Db, kind: string, subjectId: string) =>
  db.selectFrom('operation_version').selectAll().where('kind', '=', kind).where('subject_id', '=', subjectId).orderBy('version').execute();

export const latestVersion = (db: Db, kind: string, subjectId: string) =>
  db.selectFrom('operation_version').selectAll().where('kind', '=', kind).where('subject_id', '=', subjectId)
    .orderBy('version', 'desc').limit(1).executeTakeFirst();
