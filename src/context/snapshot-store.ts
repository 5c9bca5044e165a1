import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import './snapshot-tables.js';

/** A stored snapshot (§5.2.41): `body` holds the members but id, type and the timestamps. */
export interface SnapshotRow {
  tenant: string;
  id: string;
  owner: string;
  body: Record<string, unknown>;
  entity_count: number;
  created_at: Date;
  modified_at: Date;
  last_used_at: Date;
  expires_at: Date;
}

/** One frozen entity: the StoredEntity's members but id and types. */
export interface SnapshotEntityRow {
  entity_id: string;
  types: string[];
  entity: Record<string, unknown>;
}

/** Rows per INSERT when a copy is written (well under PostgreSQL's 65 535 bound parameters). */
const CHUNK = 500;

/** The snapshot and its copy, in one transaction: a snapshot is never seen half made. */
export const insertSnapshot = (db: Db, row: SnapshotRow, entities: SnapshotEntityRow[]) =>
  db.transaction().execute(async (tx) => {
    await tx.insertInto('context_snapshot').values({ ...row, body: JSON.stringify(row.body) }).execute();
    for (let i = 0; i < entities.length; i += CHUNK) {
      await tx.insertInto('context_snapshot_entity')
        .values(entities.slice(i, i + CHUNK).map((e) => ({ tenant: row.tenant, snapshot_id: row.id, entity_id: e.entity_id, types: e.types, entity: JSON.stringify(e.entity) })))
        .execute();
    }
  });

/** The snapshot if it has not expired at `now`. */
export const findSnapshot = async (db: Db, tenant: string, id: string, now: Date): Promise<SnapshotRow | undefined> =>
  (await db.selectFrom('context_snapshot').selectAll().where('tenant', '=', tenant).where('id', '=', id).where('expires_at', '>', now)
    .executeTakeFirst()) as SnapshotRow | undefined;

/** Whether an id is taken in the tenant, expired or not (an expired one is purged first by the caller). */
export const snapshotExists = async (db: Db, tenant: string, id: string): Promise<boolean> =>
  (await db.selectFrom('context_snapshot').select('id').where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst()) !== undefined;

/** The live snapshots of a tenant, of one owner or (undefined) of all, oldest first. */
export const listSnapshots = async (db: Db, tenant: string, owner: string | undefined, now: Date): Promise<SnapshotRow[]> => {
  let q = db.selectFrom('context_snapshot').selectAll().where('tenant', '=', tenant).where('expires_at', '>', now);
  if (owner !== undefined) q = q.where('owner', '=', owner);
  return (await q.orderBy('created_at').orderBy('id').execute()) as SnapshotRow[];
};

export const countSnapshots = async (db: Db, tenant: string, now: Date): Promise<number> =>
  Number((await db.selectFrom('context_snapshot').select((eb) => eb.fn.countAll().as('n')).where('tenant', '=', tenant).where('expires_at', '>', now)
    .executeTakeFirstOrThrow()).n);

/** The members a client may change (§5.16.4) and the expiry they imply. */
export const updateSnapshot = (db: Db, tenant: string, id: string, body: Record<string, unknown>, expiresAt: Date, now: Date) =>
  db.updateTable('context_snapshot').set({ body: JSON.stringify(body), expires_at: expiresAt, modified_at: now })
    .where('tenant', '=', tenant).where('id', '=', id).execute();

/** lastUsedAt (§5.2.41): a query on the snapshot uses it. */
export const touchSnapshot = (db: Db, tenant: string, id: string, now: Date) =>
  db.updateTable('context_snapshot').set({ last_used_at: now }).where('tenant', '=', tenant).where('id', '=', id).execute();

/** Deletes snapshots (their copies cascade). */
export const deleteSnapshots = async (db: Db, tenant: string, ids: string[]): Promise<number> =>
  ids.length === 0 ? 0 : Number((await db.deleteFrom('context_snapshot').where('tenant', '=', tenant).where('id', 'in', ids).executeTakeFirst()).numDeletedRows);

/** Drops the snapshots expired before `now` (of every tenant; run when one is made, so they never pile up). */
export const purgeExpiredSnapshots = (db: Db, now: Date) =>
  db.deleteFrom('context_snapshot').where('expires_at', '<=', now).execute();

/** The frozen entities of a snapshot, narrowed by id and type in SQL, ordered by id. */
export const snapshotEntities = async (db: Db, tenant: string, snapshotId: string, f: { ids?: string[]; types?: string[] } = {}): Promise<SnapshotEntityRow[]> => {
  let q = db.selectFrom('context_snapshot_entity').select(['entity_id', 'types', 'entity']).where('tenant', '=', tenant).where('snapshot_id', '=', snapshotId);
  if (f.ids) q = q.where('entity_id', 'in', f.ids.length > 0 ? f.ids : ['']);
  // The same overlap test as entity queries (entity-store.ts); the list is a bound parameter.
  if (f.types) q = q.where(sql<boolean>`types && ${f.types}::text[]`);
  return (await q.orderBy('entity_id').execute()) as SnapshotEntityRow[];
};
