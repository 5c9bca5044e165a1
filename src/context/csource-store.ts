import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import './csource-tables.js';
import type { DeliveryCounters } from './notification-status.js';

/** A stored registration or registration subscription (the two tables share the shape that matters here). */
export interface CsourceRow {
  tenant: string;
  id: string;
  owner: string;
  body: Record<string, unknown>;
  expires_at: Date | null;
  created_at: Date;
  modified_at: Date;
}

export interface CsourceSubscriptionRow extends CsourceRow, DeliveryCounters {
  active: boolean;
}

// ---- registrations ----

export const insertRegistration = async (db: Db, row: CsourceRow): Promise<boolean> => {
  const r = await db.insertInto('context_csource_registration')
    .values({ ...row, body: JSON.stringify(row.body) })
    .onConflict((oc) => oc.columns(['tenant', 'id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows) > 0;
};

export const updateRegistration = (db: Db, tenant: string, id: string, set: { body: Record<string, unknown>; expires_at: Date | null; modified_at: Date }) =>
  db.updateTable('context_csource_registration').set({ ...set, body: JSON.stringify(set.body) }).where('tenant', '=', tenant).where('id', '=', id).execute();

export const findRegistration = async (db: Db, tenant: string, id: string): Promise<CsourceRow | undefined> =>
  (await db.selectFrom('context_csource_registration').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()) as CsourceRow | undefined;

/** The tenant's registrations not expired at `now`, oldest first (a city has tens, not millions: matched in TypeScript). */
export const liveRegistrations = async (db: Db, tenant: string, now: Date): Promise<CsourceRow[]> =>
  (await db.selectFrom('context_csource_registration').selectAll().where('tenant', '=', tenant)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at').orderBy('id').execute()) as CsourceRow[];

export const deleteRegistration = async (db: Db, tenant: string, id: string): Promise<CsourceRow | undefined> =>
  (await db.deleteFrom('context_csource_registration').where('tenant', '=', tenant).where('id', '=', id).returningAll().executeTakeFirst()) as CsourceRow | undefined;

// ---- subscriptions to registrations ----

export const insertCsourceSubscription = async (db: Db, row: Omit<CsourceSubscriptionRow, keyof DeliveryCounters>): Promise<boolean> => {
  const r = await db.insertInto('context_csource_subscription')
    .values({ ...row, body: JSON.stringify(row.body) })
    .onConflict((oc) => oc.columns(['tenant', 'id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows) > 0;
};

export const updateCsourceSubscription = (db: Db, tenant: string, id: string, set: { body: Record<string, unknown>; active: boolean; expires_at: Date | null; modified_at: Date }) =>
  db.updateTable('context_csource_subscription').set({ ...set, body: JSON.stringify(set.body) }).where('tenant', '=', tenant).where('id', '=', id).execute();

export const findCsourceSubscription = async (db: Db, tenant: string, id: string): Promise<CsourceSubscriptionRow | undefined> =>
  (await db.selectFrom('context_csource_subscription').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()) as CsourceSubscriptionRow | undefined;

/** A tenant's registration subscriptions, all or one owner's. */
export const listCsourceSubscriptions = async (db: Db, tenant: string, limit: number, offset: number, owner?: string): Promise<CsourceSubscriptionRow[]> => {
  let q = db.selectFrom('context_csource_subscription').selectAll().where('tenant', '=', tenant);
  if (owner) q = q.where('owner', '=', owner);
  return (await q.orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute()) as CsourceSubscriptionRow[];
};

export const activeCsourceSubscriptions = async (db: Db, tenant: string, now: Date): Promise<CsourceSubscriptionRow[]> =>
  (await db.selectFrom('context_csource_subscription').selectAll().where('tenant', '=', tenant).where('active', '=', true)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])).execute()) as CsourceSubscriptionRow[];

/** Every tenant's active periodic (timeInterval) registration subscriptions (raw: jsonb's `?` operator). */
export const periodicCsourceSubscriptions = async (db: Db, now: Date): Promise<CsourceSubscriptionRow[]> =>
  (await sql<CsourceSubscriptionRow>`select * from context_csource_subscription
    where active and body ? 'timeInterval' and (expires_at is null or expires_at > ${now}::timestamptz)
    order by tenant, id`.execute(db)).rows;

export const deleteCsourceSubscription = async (db: Db, tenant: string, id: string): Promise<boolean> =>
  Number((await db.deleteFrom('context_csource_subscription').where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;

// ---- subscriptions made at sources for local ones ----

export interface RemoteSubscriptionRow {
  token_hash: string;
  tenant: string;
  subscription_id: string;
  registration_id: string;
  remote_url: string;
  created_at: Date;
}

export const insertRemoteSubscription = (db: Db, row: RemoteSubscriptionRow) => db.insertInto('context_remote_subscription').values(row).execute();

export const findRemoteSubscription = async (db: Db, tokenHash: string): Promise<RemoteSubscriptionRow | undefined> =>
  (await db.selectFrom('context_remote_subscription').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()) as RemoteSubscriptionRow | undefined;

/** Forgets the source subscriptions of a local subscription and returns them (to delete them at their sources). */
export const takeRemoteSubscriptions = async (db: Db, tenant: string, subscriptionId: string): Promise<RemoteSubscriptionRow[]> =>
  (await db.deleteFrom('context_remote_subscription').where('tenant', '=', tenant).where('subscription_id', '=', subscriptionId).returningAll().execute()) as RemoteSubscriptionRow[];
