import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import './tables.js';

export interface SubscriptionRow {
  tenant: string;
  id: string;
  /** Who created it (`user:<id>`, `api_key:<id>`; actorRef); null for subscriptions stored before owners were kept. */
  owner: string | null;
  body: Record<string, unknown>;
  active: boolean;
  expires_at: Date | null;
  throttling: number;
  times_sent: number;
  times_failed: number;
  last_notification: Date | null;
  last_success: Date | null;
  last_failure: Date | null;
  created_at: Date;
  modified_at: Date;
}

export const insertSubscription = async (db: Db, row: Omit<SubscriptionRow, 'times_sent' | 'times_failed' | 'last_notification' | 'last_success' | 'last_failure'>): Promise<boolean> => {
  const r = await db.insertInto('context_subscription')
    .values({ ...row, body: JSON.stringify(row.body) })
    .onConflict((oc) => oc.columns(['tenant', 'id']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows) > 0;
};

export const updateSubscription = (db: Db, tenant: string, id: string, set: { owner: string; body: Record<string, unknown>; active: boolean; expires_at: Date | null; throttling: number; modified_at: Date }) =>
  db.updateTable('context_subscription').set({ ...set, body: JSON.stringify(set.body) }).where('tenant', '=', tenant).where('id', '=', id).execute();

export const findSubscription = async (db: Db, tenant: string, id: string): Promise<SubscriptionRow | undefined> =>
  (await db.selectFrom('context_subscription').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()) as SubscriptionRow | undefined;

/**
 * A tenant's subscriptions, or only those of one owner (and, of those stored before owners were kept, its
 * organisation's).
 */
export const listSubscriptions = async (db: Db, tenant: string, limit: number, offset: number, owned?: Owned): Promise<SubscriptionRow[]> =>
  (await visibleTo(db, tenant, owned).selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute()) as SubscriptionRow[];

/** How many subscriptions listSubscriptions pages through (NGSILD-Results-Count, the next page link). */
export const countSubscriptions = async (db: Db, tenant: string, owned?: Owned): Promise<number> =>
  Number((await visibleTo(db, tenant, owned).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

type Owned = { ref: string; orgId: string | null };
const visibleTo = (db: Db, tenant: string, owned?: Owned) => {
  const q = db.selectFrom('context_subscription').where('tenant', '=', tenant);
  return owned
    ? q.where((eb) => eb.or([
      eb('owner', '=', owned.ref),
      ...(owned.orgId ? [eb.and([eb('owner', 'is', null), eb(sql`body->>'ownerOrgId'`, '=', owned.orgId)])] : []),
    ]))
    : q;
};

/**
 * How many subscriptions an owner holds in every tenant, counted under a transaction-scoped advisory lock on the
 * owner: concurrent creations by one owner take turns, so none passes the limit beside another. The caller is in
 * a transaction. Raw SQL for the lock function.
 */
export async function countOwnedLocked(db: Db, owner: string): Promise<number> {
  await sql`select pg_advisory_xact_lock(hashtext(${`context-subscription-owner:${owner}`}))`.execute(db);
  const row = await db.selectFrom('context_subscription').select((eb) => eb.fn.countAll<number>().as('n')).where('owner', '=', owner).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A subscription's `notification.endpoint.notifierInfo` (the MQTT options of its notifications), if it has one. */
export const notifierInfoOf = async (db: Db, tenant: string, id: string): Promise<{ key: string; value: string }[] | undefined> => {
  const row = await db.selectFrom('context_subscription').select(sql<unknown>`body->'notification'->'endpoint'->'notifierInfo'`.as('info'))
    .where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  return Array.isArray(row?.info) ? (row.info as { key: string; value: string }[]) : undefined;
};

export const deleteSubscription = async (db: Db, tenant: string, id: string): Promise<boolean> =>
  Number((await db.deleteFrom('context_subscription').where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;

/**
 * The one definition of a subscription that may fire now (a condition on context_subscription's columns): the
 * tenant's, active, not expired. Raw SQL so the batch upserts can test it inside their own statements
 * (tenantHasActiveSubscription) with no extra round trip.
 */
const activeSubscription = (tenant: string, now: Date | string) =>
  sql<boolean>`tenant = ${tenant} and active and (expires_at is null or expires_at > ${now}::timestamptz)`;

/** Whether a subscription has expired by `now`: the expiry of activeSubscription, for a row already read. */
export const expiredBy = (row: Pick<SubscriptionRow, 'expires_at'>, now: Date): boolean => row.expires_at !== null && new Date(row.expires_at) <= now;

/** Whether the tenant has a subscription that may fire now, as an SQL expression (for entity-store's upserts). */
export const tenantHasActiveSubscription = (tenant: string, now: Date | string) =>
  sql<boolean>`exists (select 1 from context_subscription where ${activeSubscription(tenant, now)})`;

/**
 * The version of the tenant's subscriptions (bumped by a trigger on every change matching reads): '0' before any.
 * Read in the writing transaction, it tells a node whether its copy of them is current.
 */
export const subscriptionsVersion = async (db: Db, tenant: string): Promise<string> =>
  String((await db.selectFrom('context_subscription_version').select('version').where('tenant', '=', tenant).executeTakeFirst())?.version ?? '0');

/** The tenant's active subscriptions, expired ones included (a node's copy; the caller drops those expired by then). */
export const activeSubscriptionsAnyExpiry = async (db: Db, tenant: string): Promise<SubscriptionRow[]> =>
  (await db.selectFrom('context_subscription').selectAll().where('tenant', '=', tenant).where('active', '=', true).execute()) as SubscriptionRow[];

/** When each of these subscriptions last notified: throttling needs it fresh, a node's copy has it old. */
export const lastNotifications = async (db: Db, tenant: string, ids: string[]): Promise<Map<string, Date | null>> =>
  new Map((await db.selectFrom('context_subscription').select(['id', 'last_notification']).where('tenant', '=', tenant).where('id', 'in', ids).execute())
    .map((r) => [r.id, r.last_notification as Date | null]));

/** Subscriptions that may fire now. */
export const activeSubscriptions = async (db: Db, tenant: string, now: Date): Promise<SubscriptionRow[]> =>
  (await db.selectFrom('context_subscription').selectAll().where(activeSubscription(tenant, now)).execute()) as SubscriptionRow[];

/** The tenants with an active periodic (timeInterval) subscription: the periodic job looks only there. */
export const periodicTenants = async (db: Db, now: Date): Promise<string[]> =>
  (await sql<{ tenant: string }>`select distinct tenant from context_subscription
    where active and body ? 'timeInterval' and (expires_at is null or expires_at > ${now}::timestamptz)`.execute(db)).rows.map((r) => r.tenant);

/** The tables whose rows count their notifications: subscriptions (§5.8) and subscriptions to registrations (§5.11). */
export type SubscriptionTable = 'context_subscription' | 'context_csource_subscription';

/**
 * Claims a periodic subscription's turn: sets its last notification to now if its interval has passed. True for
 * the one caller (node, job run) that got it, so a period notifies once however many run the job.
 */
export const claimPeriod = async (db: Db, tenant: string, id: string, now: Date, seconds: number, table: SubscriptionTable = 'context_subscription'): Promise<boolean> =>
  (await sql`update ${sql.table(table)} set last_notification = ${now}::timestamptz
    where tenant = ${tenant} and id = ${id} and (last_notification is null or last_notification <= ${new Date(now.getTime() - seconds * 1000)}::timestamptz)
    returning id`.execute(db)).rows.length > 0;

export const markNotified = async (db: Db, tenant: string, ids: string[], now: Date, table: SubscriptionTable = 'context_subscription'): Promise<void> => {
  if (ids.length > 0) await sql`update ${sql.table(table)} set last_notification = ${now}::timestamptz where tenant = ${tenant} and id = any(${ids}::text[])`.execute(db);
};

/** One delivery's outcome: counted sent, and failed or successful with its time. */
export const recordDelivery = async (db: Db, tenant: string, id: string, ok: boolean, now: Date, table: SubscriptionTable = 'context_subscription'): Promise<void> => {
  const outcome = ok ? sql`last_success = ${now}::timestamptz` : sql`last_failure = ${now}::timestamptz, times_failed = times_failed + 1`;
  await sql`update ${sql.table(table)} set times_sent = times_sent + 1, ${outcome} where tenant = ${tenant} and id = ${id}`.execute(db);
};

export interface OutboxWrite {
  tenant: string;
  subscription_id: string;
  endpoint: string;
  accept: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
  due_at: Date;
  created_at: Date;
}

export const enqueueNotifications = async (db: Db, rows: OutboxWrite[]): Promise<void> => {
  if (rows.length === 0) return;
  await db.insertInto('context_outbox').values(rows.map((r) => ({ ...r, headers: JSON.stringify(r.headers), payload: JSON.stringify(r.payload) }))).execute();
};

export interface OutboxRow {
  id: number;
  tenant: string;
  subscription_id: string;
  endpoint: string;
  accept: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Claims due notifications: pushes their due time out by the lease and counts the attempt, so another node (or
 * this one after a crash) retries them only when the lease runs out. SKIP LOCKED lets nodes claim in parallel.
 */
export async function claimDue(db: Db, now: Date, leaseUntil: Date, limit: number, exclude: number[]): Promise<OutboxRow[]> {
  const r = await sql<OutboxRow>`
    update context_outbox set due_at = ${leaseUntil}, attempts = attempts + 1
    where id in (
      select id from context_outbox
      where delivered_at is null and failed_at is null and due_at <= ${now}
        ${exclude.length ? sql`and id <> all(${exclude}::bigint[])` : sql``}
      order by due_at, id limit ${limit} for update skip locked)
    returning id, tenant, subscription_id, endpoint, accept, headers, payload, attempts`.execute(db);
  return r.rows.map((row) => ({ ...row, id: Number(row.id) }));
}

export const markDelivered = (db: Db, id: number, now: Date) =>
  db.updateTable('context_outbox').set({ delivered_at: now, last_error: null }).where('id', '=', id).execute();

export const markFailed = (db: Db, id: number, error: string, retryAt: Date | null, now: Date) =>
  db.updateTable('context_outbox')
    .set(retryAt ? { due_at: retryAt, last_error: error.slice(0, 500) } : { failed_at: now, last_error: error.slice(0, 500) })
    .where('id', '=', id).execute();

export const pendingCount = async (db: Db, subscriptionId?: string): Promise<number> => {
  let q = db.selectFrom('context_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('delivered_at', 'is', null).where('failed_at', 'is', null);
  if (subscriptionId) q = q.where('subscription_id', '=', subscriptionId);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

/** How long the oldest notification due now has waited, in seconds (0: none waiting): the outbox's lag. */
export const outboxLagSeconds = async (db: Db, now: Date): Promise<number> => {
  const row = await db.selectFrom('context_outbox').select((eb) => eb.fn.min('due_at').as('oldest'))
    .where('delivered_at', 'is', null).where('failed_at', 'is', null).where('due_at', '<=', now).executeTakeFirst();
  return row?.oldest ? Math.max(0, (now.getTime() - new Date(row.oldest as Date).getTime()) / 1000) : 0;
};

/** Delivered notifications older than the cut-off are removed (the outbox is not an archive). */
export const purgeDelivered = async (db: Db, before: Date): Promise<number> =>
  Number((await db.deleteFrom('context_outbox').where('delivered_at', '<', before).executeTakeFirst()).numDeletedRows);
