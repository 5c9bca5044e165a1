import type { Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationDeliveryGrantTable, OperationReleaseTable, OperationSandboxRunTable } from './tables.js';
import type { ReviewStatus } from './schemas.js';

// In-domain delivery: the catalog grants products read through, statistics releases, sandbox runs under review,
// and the module's run-time settings.

export const findSetting = (db: Db, key: string) =>
  db.selectFrom('operation_setting').select('value').where('key', '=', key).executeTakeFirst();

/** Stores a setting unless one exists; returns the one in force (a racing node's, if it won). */
export const claimSetting = async (db: Db, key: string, value: string): Promise<string> => {
  await db.insertInto('operation_setting').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return (await findSetting(db, key))!.value;
};

export const findActiveDeliveryGrant = (db: Db, productId: string) =>
  db.selectFrom('operation_delivery_grant').selectAll().where('product_id', '=', productId).where('status', '=', 'active').executeTakeFirst();

/** Records a delivery grant; undefined when another node recorded one for the product first. */
export const insertDeliveryGrant = (db: Db, row: Insertable<OperationDeliveryGrantTable>) =>
  db.insertInto('operation_delivery_grant').values(row)
    .onConflict((oc) => oc.column('product_id').where('status', '=', 'active').doNothing())
    .returningAll().executeTakeFirst();

export const retireDeliveryGrant = (db: Db, id: string, at: Date) =>
  db.updateTable('operation_delivery_grant').set({ status: 'revoked', revoked_at: at }).where('id', '=', id).where('status', '=', 'active')
    .returningAll().executeTakeFirst();

export const listActiveDeliveryGrants = (db: Db, productIds: string[]) =>
  productIds.length === 0 ? Promise.resolve([]) :
    db.selectFrom('operation_delivery_grant').selectAll().where('product_id', 'in', productIds).where('status', '=', 'active').execute();

export const findRelease = (db: Db, productId: string, period: string) =>
  db.selectFrom('operation_release').selectAll().where('product_id', '=', productId).where('period', '=', period).executeTakeFirst();

/** Keeps the first release of a period (a node racing to make one keeps the other's). */
export const insertRelease = (db: Db, row: Insertable<OperationReleaseTable>) =>
  db.insertInto('operation_release').values(row).onConflict((oc) => oc.columns(['product_id', 'period']).doNothing()).execute();

export const insertSandboxRun = (db: Db, row: Insertable<OperationSandboxRunTable>) =>
  db.insertInto('operation_sandbox_run').values(row).returningAll().executeTakeFirstOrThrow();

export const findSandboxRun = (db: Db, id: string) => db.selectFrom('operation_sandbox_run').selectAll().where('id', '=', id).executeTakeFirst();

export const listSandboxRuns = (db: Db, status?: ReviewStatus) => {
  let q = db.selectFrom('operation_sandbox_run').selectAll();
  if (status) q = q.where('status', '=', status);
  return q.orderBy('submitted_at').orderBy('id').limit(1000).execute();
};

/** Decides a pending run once: a second reviewer racing gets nothing back. */
export const decideSandboxRun = (db: Db, id: string, status: ReviewStatus, by: string, at: Date, reason: string | null) =>
  db.updateTable('operation_sandbox_run').set({ status, reviewed_by: by, reviewed_at: at, reason })
    .where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirst();
