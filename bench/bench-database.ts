import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle, type Db } from '../src/platform/db/database.js';

/**
 * A PostgreSQL database of a bench's own (the megacity benches): created beside the admin URL's database, opened
 * per schema, and dropped at the end or on Ctrl-C, so a bench never leaves gigabytes behind.
 */
export function benchDatabase(adminUrl: string, name: string) {
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  const handles: DatabaseHandle[] = [];
  const admin = async (statement: string): Promise<void> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  const dropAll = async (): Promise<void> => {
    for (const h of handles.splice(0)) await h.close().catch(() => undefined);
    await admin(`drop database if exists ${name} with (force)`);
  };
  const open = async (schema: string): Promise<Db> => {
    const h = await openDatabase({ databaseUrl: url, searchPath: schema, poolMax: 2 });
    handles.push(h);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(h.db);
    return h.db;
  };
  process.on('SIGINT', () => void dropAll().then(() => process.exit(130)));
  return { url, admin, dropAll, open };
}

/**
 * Bulk-load practice: runs `load` with the secondary indexes of `table` (those of no constraint) dropped, then
 * builds them again once, which is several times faster than keeping them up to date row by row. Returns the
 * seconds spent rebuilding.
 */
export async function withoutSecondaryIndexes(db: Db, table: string, load: () => Promise<void>): Promise<number> {
  const indexes = await sql<{ name: string; def: string }>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.tablename = ${table} and i.schemaname = current_schema()
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`.execute(db);
  for (const index of indexes.rows) await sql`drop index ${sql.id(index.name)}`.execute(db);
  await load();
  const t0 = performance.now();
  // A partitioned table's index is listed `ON ONLY` the parent, which would leave its partitions without it.
  for (const index of indexes.rows) await sql.raw(index.def.replace(' ON ONLY ', ' ON ')).execute(db);
  return (performance.now() - t0) / 1000;
}
