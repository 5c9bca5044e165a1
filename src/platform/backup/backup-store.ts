import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/*
 * Raw SQL throughout: a backup reads the catalogue (which tables, columns, keys) and moves rows of tables whose
 * types Kysely's Database does not list generically. Rows travel as PostgreSQL's own JSON (row_to_json) and come
 * back through json_populate_recordset, so every type (timestamptz, bytea, arrays, jsonb) round-trips through
 * PostgreSQL's text forms, identically on PostgreSQL 15 and PGlite.
 */

/** Kysely's own bookkeeping: made by migrating the target, never copied. */
export const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock'];

export const listTables = async (db: Db): Promise<string[]> =>
  (await sql<{ name: string }>`
    select t.table_name as name from information_schema.tables t
    where t.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      -- A partition's rows are read and written through its parent (the target may partition otherwise, or not at all).
      and not exists (select 1 from pg_class c where c.relname = t.table_name and c.relnamespace = current_schema()::regnamespace and c.relispartition)
    order by t.table_name`.execute(db)).rows
    .map((r) => r.name)
    .filter((name) => !MIGRATION_TABLES.includes(name));

export const listMigrationNames = async (db: Db): Promise<string[]> =>
  (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name);

/** Foreign keys within the schema: child table, parent table, the child's columns. */
export const listForeignKeys = async (db: Db) =>
  (await sql<{ child: string; parent: string; columns: string[] }>`
    select c.relname as child, p.relname as parent,
           array(select a.attname::text from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any(k.conkey)) as columns
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid
    join pg_class p on p.oid = k.confrelid
    where k.contype = 'f' and c.relnamespace = (select oid from pg_namespace where nspname = current_schema())`.execute(db)).rows;

/** The primary key columns of a table (a self-referencing table's second pass updates rows by them). */
export const listPrimaryKey = async (db: Db, table: string): Promise<string[]> =>
  (await sql<{ name: string }>`
    select a.attname::text as name from pg_constraint k
    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any(k.conkey)
    join pg_class c on c.oid = k.conrelid
    where k.contype = 'p' and c.relname = ${table} and c.relnamespace = (select oid from pg_namespace where nspname = current_schema())
    order by array_position(k.conkey, a.attnum)`.execute(db)).rows.map((r) => r.name);

/** Columns that take a value on insert (generated columns are computed again). */
export const listInsertableColumns = async (db: Db, table: string): Promise<string[]> =>
  (await sql<{ name: string }>`
    select column_name as name from information_schema.columns
    where table_schema = current_schema() and table_name = ${table} and is_generated = 'NEVER'
    order by ordinal_position`.execute(db)).rows.map((r) => r.name);

/** Columns filled from a sequence (serial or identity), to move the sequence past the restored rows. */
export const listSequenceColumns = async (db: Db) =>
  (await sql<{ table: string; column: string; seq: string | null }>`
    select table_name as "table", column_name as "column",
           pg_get_serial_sequence(quote_ident(table_name), column_name) as seq
    from information_schema.columns
    where table_schema = current_schema() and (column_default like 'nextval(%' or is_identity = 'YES')`.execute(db)).rows;

export const countRows = async (db: Db, table: string): Promise<number> =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0].n);

/**
 * One page of rows as JSON text, in physical order (stable within the backup's snapshot); by partition first, as
 * a partitioned table's partitions each have their own ctids.
 */
export const pageRows = async (db: Db, table: string, offset: number, limit: number): Promise<string[]> =>
  (await sql<{ j: string }>`select row_to_json(t)::text as j from ${sql.table(table)} as t order by t.tableoid, t.ctid limit ${limit} offset ${offset}`.execute(db)).rows
    .map((r) => r.j);

/** Inserts rows given as JSON objects; OVERRIDING SYSTEM VALUE keeps identity columns' values as backed up. */
export const insertRows = (db: Db, table: string, columns: string[], rowsJson: string) => {
  const list = sql.join(columns.map((c) => sql.ref(c)));
  return sql`insert into ${sql.table(table)} (${list}) overriding system value
    select ${list} from json_populate_recordset(null::${sql.table(table)}, ${rowsJson}::json)`.execute(db);
};

/** Second pass of a self-referencing table: sets the referencing columns once every row exists. */
export const updateColumns = (db: Db, table: string, key: string[], columns: string[], rowsJson: string) =>
  sql`update ${sql.table(table)} as t set ${sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`))}
    from json_populate_recordset(null::${sql.table(table)}, ${rowsJson}::json) as v
    where ${sql.join(key.map((k) => sql`t.${sql.ref(k)} = v.${sql.ref(k)}`), sql` and `)}`.execute(db);

export const truncateTables = (db: Db, tables: string[]) =>
  tables.length === 0 ? Promise.resolve() : sql`truncate ${sql.join(tables.map((t) => sql.table(t)))} restart identity cascade`.execute(db);

export const resetSequence = (db: Db, seq: string, table: string, column: string) =>
  sql`select setval(${seq}, coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
