import { sql, type Insertable, type Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { ShareGrantTable, ShareRequestTable } from './tables.js';
import type { RequestStatus } from './schemas.js';

// Sharing requests, grants and the per-day usage counted against a grant's quota.

export const insertRequest = (trx: Db, request: Insertable<ShareRequestTable>) =>
  trx.insertInto('share_request').values(request).returningAll().executeTakeFirstOrThrow();

export const findRequest = (db: Db, id: string) =>
  db.selectFrom('share_request').selectAll().where('id', '=', id).executeTakeFirst();

/** Decides a request only while it is pending, so two deciders cannot both win. */
export const decideRequest = (trx: Db, id: string, patch: Updateable<ShareRequestTable>) =>
  trx.updateTable('share_request').set(patch).where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirst();

export interface RequestListFilter {
  /** requests made by this organisation or for its datasets */
  orgId?: string;
  status?: RequestStatus;
  /** pending and past the deadline at `now` (true), or not (false) */
  overdue?: boolean;
  now: Date;
}

export const listRequests = (db: Db, f: RequestListFilter) => {
  let query = db.selectFrom('share_request').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_request.dataset_id')
    .selectAll('share_request').select(['catalog_dataset.owner_org_id', 'catalog_dataset.identifier', 'catalog_dataset.title']);
  if (f.orgId) {
    const orgId = f.orgId;
    query = query.where((eb) => eb.or([eb('share_request.consumer_org_id', '=', orgId), eb('catalog_dataset.owner_org_id', '=', orgId)]));
  }
  if (f.status) query = query.where('share_request.status', '=', f.status);
  if (f.overdue === true) query = query.where('share_request.status', '=', 'pending').where('share_request.due_at', '<', f.now);
  if (f.overdue === false) query = query.where((eb) => eb.or([eb('share_request.status', '!=', 'pending'), eb('share_request.due_at', '>=', f.now)]));
  return query.orderBy('share_request.created_at', 'desc').limit(1000).execute();
};

/** Pending requests past their decision deadline (only those not yet flagged, when asked). */
export const listOverdueRequests = (db: Db, now: Date, opts: { unflaggedOnly?: boolean } = {}) => {
  let query = db.selectFrom('share_request').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_request.dataset_id')
    .selectAll('share_request').select(['catalog_dataset.owner_org_id', 'catalog_dataset.identifier', 'catalog_dataset.title'])
    .where('share_request.status', '=', 'pending').where('share_request.due_at', '<', now);
  if (opts.unflaggedOnly) query = query.where('share_request.overdue_flagged_at', 'is', null);
  return query.orderBy('share_request.due_at').execute();
};

export const markOverdueFlagged = (trx: Db, ids: string[], at: Date) =>
  ids.length === 0 ? Promise.resolve([]) :
    trx.updateTable('share_request').set({ overdue_flagged_at: at }).where('id', 'in', ids).where('overdue_flagged_at', 'is', null).returning('id').execute();

export const insertGrant = (trx: Db, grant: Insertable<ShareGrantTable>) =>
  trx.insertInto('share_grant').values(grant).returningAll().executeTakeFirstOrThrow();

export const findGrant = (db: Db, id: string) =>
  db.selectFrom('share_grant').selectAll().where('id', '=', id).executeTakeFirst();

export const revokeGrant = (trx: Db, id: string, at: Date, by: string, reason: string) =>
  trx.updateTable('share_grant').set({ revoked_at: at, revoked_by: by, revoke_reason: reason })
    .where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();

export const listGrants = (db: Db, orgId: string | undefined) => {
  let query = db.selectFrom('share_grant').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_grant.dataset_id')
    .selectAll('share_grant').select(['catalog_dataset.owner_org_id', 'catalog_dataset.identifier', 'catalog_dataset.title']);
  if (orgId) query = query.where((eb) => eb.or([eb('share_grant.consumer_org_id', '=', orgId), eb('catalog_dataset.owner_org_id', '=', orgId)]));
  return query.orderBy('share_grant.granted_at', 'desc').limit(1000).execute();
};

/** The consumer's grants on the dataset that are neither revoked nor expired, newest first. */
export const findLiveGrants = (db: Db, consumerOrgId: string, datasetId: string, now: Date) =>
  db.selectFrom('share_grant').selectAll()
    .where('consumer_org_id', '=', consumerOrgId).where('dataset_id', '=', datasetId)
    .where('revoked_at', 'is', null).where('expires_at', '>', now).where('granted_at', '<=', now)
    .orderBy('granted_at', 'desc').execute();

/** Adds a call and its rows to the grant's day; returns the day's totals after the addition. */
export const addUsage = (trx: Db, grantId: string, day: string, rows: number) =>
  trx.insertInto('share_usage').values({ grant_id: grantId, day, calls: 1, rows })
    .onConflict((oc) => oc.columns(['grant_id', 'day']).doUpdateSet({
      calls: sql`share_usage.calls + 1`,
      rows: sql`share_usage.rows + ${rows}`,
    }))
    .returning(['calls', 'rows']).executeTakeFirstOrThrow();

export const findUsage = (db: Db, grantId: string, day: string) =>
  db.selectFrom('share_usage').select(['calls', 'rows']).where('grant_id', '=', grantId).where('day', '=', day).executeTakeFirst();

/** Grants a page at a time in id order, with their dataset's identifier (`ledger verify` reads them back). */
export const listGrantContentRows = (db: Db, afterId: string | undefined, limit: number) => {
  let query = db.selectFrom('share_grant').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_grant.dataset_id')
    .selectAll('share_grant').select('catalog_dataset.identifier').orderBy('share_grant.id').limit(limit);
  if (afterId !== undefined) query = query.where('share_grant.id', '>', afterId);
  return query.execute();
};
