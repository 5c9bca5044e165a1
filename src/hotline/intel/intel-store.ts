import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import '../tables.js';

/**
 * A place in the order the tickets changed in: `updated_at` as PostgreSQL prints it (to the microsecond, which a
 * JavaScript Date would cut to the millisecond), then the id.
 */
export interface ChangeCursor {
  updatedAt: string;
  id: string;
}

/** Ticket columns the intelligence index needs (text, place, time, reply; the citizen only to hash it). */
const indexColumns = [
  'id', 'number', 'title', 'content', 'area_id', 'district_id', 'lon', 'lat', 'created_at', 'updated_at',
  'reply_text', 'status', 'main_ticket_id', 'category_id', 'likes', 'citizen_user_id', 'citizen_phone', 'citizen_phone_hash',
] as const;

/** Tickets changed after `after`, in change order: keyset paging on (updated_at, id), read through their index. */
export const findIndexRows = (db: Db, after: ChangeCursor | null, limit: number) => {
  let q = db
    .selectFrom('hotline_ticket')
    .select(indexColumns)
    .select(sql<string>`updated_at::text`.as('change_key'))
    .orderBy('updated_at')
    .orderBy('id')
    .limit(limit);
  if (after) q = q.where(sql<boolean>`(updated_at, id) > (${after.updatedAt}::timestamptz, ${after.id}::uuid)`);
  return q.execute();
};

export type IndexRow = Omit<Awaited<ReturnType<typeof findIndexRows>>[number], 'change_key'>;

/** The index rows of the given tickets (those another part or node just said it changed). */
export const findIndexRowsByIds = (db: Db, ids: readonly string[]): Promise<IndexRow[]> =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('hotline_ticket').select(indexColumns).where('id', 'in', ids).execute();

/** Active categories with their levels: the classifier's labels (category paths) map to these. */
export const findActiveCategories = (db: Db) =>
  db.selectFrom('hotline_category').select(['id', 'level1', 'level2', 'level3']).where('active', '=', true).execute();

export const findAreas = (db: Db) =>
  db.selectFrom('hotline_area').select(['id', 'name', 'level', 'parent_id', 'center_lon', 'center_lat']).execute();
