import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import '../ledger/tables.js';
import './tables.js';

/**
 * Reads of the ledger for the audit trail (the ledger owns the table and its writes; these only select). Indexes
 * on actor, subject, kind and time are this module's migration.
 */
export interface TrailFilter {
  /** Entries done by or about this actor reference (`user:<id>`). */
  about?: string;
  /** Kinds starting with one of these (`operation.`, `auth.`). */
  kindPrefixes?: string[];
  from?: Date;
  to?: Date;
  /** Entries before this index (paging backwards from the newest). */
  beforeIndex?: number;
  limit: number;
}

/** Entries newest first matching the filter. */
export const listTrail = (db: Db, filter: TrailFilter) => {
  let query = db.selectFrom('ledger_entry').select(['idx', 'kind', 'actor', 'subject', 'created_at', 'body']).orderBy('idx', 'desc').limit(filter.limit);
  if (filter.about) query = query.where((eb) => eb.or([eb('actor', '=', filter.about!), eb('subject', '=', filter.about!)]));
  if (filter.kindPrefixes) {
    const prefixes = filter.kindPrefixes;
    query = query.where((eb) => eb.or(prefixes.map((p) => eb('kind', 'like', `${p.replace(/[\\%_]/g, '\\$&')}%`))));
  }
  if (filter.from) query = query.where('created_at', '>=', filter.from);
  if (filter.to) query = query.where('created_at', '<', filter.to);
  if (filter.beforeIndex !== undefined) query = query.where('idx', '<', filter.beforeIndex);
  return query.execute();
};

/**
 * Denials and failed logins per actor and address since a moment, at least `threshold` of them. The address is
 * inside the entry's facts (raw SQL: the JSON operators on the stored body, the same on PostgreSQL and PGlite).
 */
export const countDenials = (db: Db, since: Date, threshold: number) =>
  db.selectFrom('ledger_entry')
    .select((eb) => [
      'actor',
      sql<string | null>`(body::jsonb)->'facts'->>'address'`.as('address'),
      eb.fn.countAll<string>().as('n'),
      eb.fn.max('created_at').as('last_at'),
    ])
    .where('kind', 'in', ['audit.access.denied', 'auth.login.failed'])
    .where('created_at', '>=', since)
    .groupBy(['actor', sql`(body::jsonb)->'facts'->>'address'`])
    .having((eb) => eb.fn.countAll(), '>=', threshold)
    .orderBy('n', 'desc')
    .execute();

/**
 * The entries that record a read of personal data: tickets read in clear (audit.personal_data.read) and rows of
 * shared datasets through the catalog's gateway (its own entries, with the grant, fields and row count).
 */
export const personalReadKinds = ['audit.personal_data.read', 'share.gateway.rows', 'share.gateway.lookup'];

/** Reads of personal data or sensitive datasets per actor since a moment, at least `threshold` of them. */
export const countReads = (db: Db, since: Date, threshold: number) =>
  db.selectFrom('ledger_entry')
    .select((eb) => ['actor', eb.fn.countAll<string>().as('n'), eb.fn.max('created_at').as('last_at')])
    .where('kind', 'in', personalReadKinds)
    .where('created_at', '>=', since)
    .groupBy('actor')
    .having((eb) => eb.fn.countAll(), '>=', threshold)
    .orderBy('n', 'desc')
    .execute();

/** The newest entry of a kind (the last configuration recorded). */
export const latestOfKind = (db: Db, kind: string) =>
  db.selectFrom('ledger_entry').select(['idx', 'body']).where('kind', '=', kind).orderBy('idx', 'desc').limit(1).executeTakeFirst();

/** The oldest entry's time: how far back the trail reaches. */
export const oldestEntryTime = async (db: Db): Promise<Date | undefined> => {
  const row = await db.selectFrom('ledger_entry').select('created_at').orderBy('idx').limit(1).executeTakeFirst();
  return row ? new Date(row.created_at) : undefined;
};

/** Counts one more denial for an actor and address in a minute, on every node together; returns the new count. */
export const countDenial = async (db: Db, key: string, minute: number): Promise<number> => {
  const row = await db.insertInto('audit_denial_count').values({ key, minute, count: 1 })
    .onConflict((oc) => oc.columns(['key', 'minute']).doUpdateSet((eb) => ({ count: eb('audit_denial_count.count', '+', 1) })))
    .returning('count').executeTakeFirstOrThrow();
  return Number(row.count);
};

/** Drops denial counts of minutes before `beforeMinute` (they only bound the current minute's writes). */
export const pruneDenialCounts = async (db: Db, beforeMinute: number): Promise<number> =>
  Number((await db.deleteFrom('audit_denial_count').where('minute', '<', beforeMinute).executeTakeFirst()).numDeletedRows);

/** Entries of a period in index order after `afterIndex` (the archive pages through a day with this). */
export const listPeriodAscending = (db: Db, from: Date, to: Date, afterIndex: number, limit: number) =>
  db.selectFrom('ledger_entry').select(['idx', 'kind', 'actor', 'subject', 'created_at', 'body'])
    .where('created_at', '>=', from).where('created_at', '<', to).where('idx', '>', afterIndex)
    .orderBy('idx').limit(limit).execute();
