import type { Db } from '../platform/db/database.js';
import './csource-tables.js';

/** A stored entity map (§5.2.39): which entity ids a query selected, here and at which sources. */
export interface EntityMapRow {
  tenant: string;
  id: string;
  owner: string;
  body: EntityMapBody;
  expires_at: Date;
  created_at: Date;
}

/** `entityMap`: entity id → `"@none"` (held here) and/or registration ids; `linkedMaps`: registration id → the source's map. */
export interface EntityMapBody {
  entityMap: Record<string, string[]>;
  linkedMaps: Record<string, string>;
}

export const insertEntityMap = (db: Db, row: EntityMapRow) =>
  db.insertInto('context_entity_map').values({ ...row, body: JSON.stringify(row.body) }).execute();

/** The map if it has not expired at `now`. */
export const findEntityMap = async (db: Db, tenant: string, id: string, now: Date): Promise<EntityMapRow | undefined> =>
  (await db.selectFrom('context_entity_map').selectAll().where('tenant', '=', tenant).where('id', '=', id).where('expires_at', '>', now)
    .executeTakeFirst()) as EntityMapRow | undefined;

export const setEntityMapExpiry = (db: Db, tenant: string, id: string, expiresAt: Date) =>
  db.updateTable('context_entity_map').set({ expires_at: expiresAt }).where('tenant', '=', tenant).where('id', '=', id).execute();

export const deleteEntityMap = async (db: Db, tenant: string, id: string): Promise<boolean> =>
  Number((await db.deleteFrom('context_entity_map').where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;

/** Drops the maps expired before `now` (of every tenant; run when a map is made, so they never pile up). */
export const purgeExpiredEntityMaps = (db: Db, now: Date) =>
  db.deleteFrom('context_entity_map').where('expires_at', '<=', now).execute();
