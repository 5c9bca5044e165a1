import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import '../tables.js';

/**
 * updated_at cut to milliseconds: PostgreSQL keeps microseconds (a `now()` default) but a JavaScript Date keeps
 * milliseconds, so keyset paging on the raw column could read the same rows forever. Raw SQL: Kysely has no
 * date_trunc builder.
 */
const updatedMs = sql<Date>`date_trunc('milliseconds', updated_at)`;

/** Ticket columns the intelligence index needs (text, place, time, reply; the citizen only to hash it). */
const indexColumns = [
  'id', 'number', 'title', 'content', 'area_id', 'district_id', 'lon', 'lat', 'created_at', 'updated_at',
  'reply_text', 'status', 'main_ticket_id', 'category_id', 'likes', 'citizen_user_id', 'citizen_phone', 'citizen_phone_hash',
] as const;

export const findIndexRows = (db: Db, after: { updatedAt: Date; id: string } | null, limit: number) => {
  let q = db
    .selectFrom('hotline_ticket')
    .select(indexColumns)
    .orderBy(updatedMs)
    .orderBy('id')
    .limit(limit);
  // Keyset paging on (updated_at, id): stable while other nodes keep writing.
  if (after) {
    q = q.where((eb) => eb.or([eb(updatedMs, '>', after.updatedAt), eb.and([eb(updatedMs, '=', after.updatedAt), eb('id', '>', after.id)])]));
  }
  return q.execute();
};

export type IndexRow = Awaited<ReturnType<typeof findIndexRows>>[number];

/** The index rows of the given tickets (those another part or node just said it changed). */
export const findIndexRowsByIds = (db: Db, ids: readonly string[]): Promise<IndexRow[]> =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('hotline_ticket').select(indexColumns).where('id', 'in', ids).execute();

/** Active categories with their levels: the classifier's labels (category paths) map to these. */
export const findActiveCategories = (db: Db) =>
  db.selectFrom('hotline_category').select(['id', 'level1', 'level2', 'level3']).where('active', '=', true).execute();

export const findAreas = (db: Db) =>
  db.selectFrom('hotline_area').select(['id', 'name', 'level', 'parent_id', 'center_lon', 'center_lat']).execute();
