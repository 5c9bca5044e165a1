import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Monthly range partitions on PostgreSQL for tables that grow with time (context history, …). A partitioned
 * table `t` has one partition per UTC month, `t_pYYYYMM`, holding [first of the month, first of the next), and a
 * default partition `t_pdefault` for rows outside every month made so far (a clock far off, an import of old
 * data), so an insert never fails for want of a partition. PGlite keeps plain tables (one process, small data):
 * every function here is a no-op there, and the SQL that reads and writes the tables is the same on both.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const MONTH = /_p(\d{4})(\d{2})$/;

/** Runs `fn` in a transaction, or in the caller's when `db` already is one (a migration). */
const inTransaction = <T>(db: AnyDb, fn: (trx: AnyDb) => Promise<T>): Promise<T> =>
  db.isTransaction ? fn(db) : db.transaction().execute(fn);

/** Whether the engine partitions (PostgreSQL) or keeps plain tables (PGlite, which names itself in version()). */
export async function partitionsTables(db: AnyDb): Promise<boolean> {
  const { rows } = await sql<{ v: string }>`select version() as v`.execute(db);
  return !rows[0].v.includes('PGlite');
}

/** Whether `table` in the current schema is a partitioned table. */
export async function isPartitioned(db: AnyDb, table: string): Promise<boolean> {
  const { rows } = await sql<{ p: boolean }>`
    select c.relkind = 'p' as p from pg_class c
    where c.relname = ${table} and c.relnamespace = current_schema()::regnamespace`.execute(db);
  return rows[0]?.p ?? false;
}

/** The first instant (UTC) of the month of `at`, `months` later. */
const monthStart = (at: Date, months = 0): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
const partitionName = (table: string, month: Date) =>
  `${table}_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

/** The monthly partitions of `table`: name and month start, oldest first. */
export async function listMonthlyPartitions(db: AnyDb, table: string): Promise<{ name: string; month: Date }[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = (quote_ident(current_schema()) || '.' || quote_ident(${table}))::regclass`.execute(db);
  return rows
    .map((r) => ({ name: r.name, m: MONTH.exec(r.name) }))
    .filter((r): r is { name: string; m: RegExpExecArray } => r.m !== null)
    .map((r) => ({ name: r.name, month: new Date(Date.UTC(Number(r.m[1]), Number(r.m[2]) - 1, 1)) }))
    .sort((a, b) => a.month.getTime() - b.month.getTime());
}

/**
 * Makes sure `table` has a partition for every month from `from`'s to `monthsAhead` months after `now`'s. A
 * new month's rows already in the default partition move into it: the partition is built as a plain table,
 * filled from the default, and attached (PostgreSQL refuses to attach a range the default still holds rows of).
 * One transaction per month, so a node that dies midway leaves whole months. Returns the partitions created.
 *
 * @example await ensureMonthlyPartitions(db, 'context_history', 'recorded_at', now, now, 3) // → ['context_history_p202701', …]
 */
export async function ensureMonthlyPartitions(db: AnyDb, table: string, column: string, from: Date, now: Date, monthsAhead: number): Promise<string[]> {
  if (!(await isPartitioned(db, table))) return [];
  const have = new Set((await listMonthlyPartitions(db, table)).map((p) => p.name));
  const created: string[] = [];
  for (let month = monthStart(from); month <= monthStart(now, monthsAhead); month = monthStart(month, 1)) {
    const name = partitionName(table, month);
    if (have.has(name)) continue;
    await inTransaction(db, async (trx) => {
      // Two nodes may run this at once: the lock on the parent makes the second wait, then find it made.
      await sql`lock table ${sql.id(table)} in share row exclusive mode`.execute(trx);
      if ((await listMonthlyPartitions(trx, table)).some((p) => p.name === name)) return;
      const lo = month.toISOString();
      const hi = monthStart(month, 1).toISOString();
      const inRange = sql`${sql.ref(column)} >= ${lo}::timestamptz and ${sql.ref(column)} < ${hi}::timestamptz`;
      await sql`create table ${sql.id(name)} (like ${sql.id(table)} including defaults including constraints)`.execute(trx);
      await sql`insert into ${sql.id(name)} select * from ${sql.id(`${table}_pdefault`)} where ${inRange}`.execute(trx);
      await sql`delete from ${sql.id(`${table}_pdefault`)} where ${inRange}`.execute(trx);
      // Raw SQL: Kysely has no builder for partition bounds. The parent's indexes are created on attach.
      await sql`alter table ${sql.id(table)} attach partition ${sql.id(name)} for values from (${sql.lit(lo)}) to (${sql.lit(hi)})`.execute(trx);
      created.push(name);
    });
  }
  return created;
}

/**
 * Drops the monthly partitions of `table` that end at or before `cutoff` (whole months only: the month holding
 * the cut-off is left to a row-by-row delete). Returns the dropped partitions with their row counts, for the log.
 */
export async function dropMonthlyPartitionsBefore(db: AnyDb, table: string, cutoff: Date): Promise<{ name: string; rows: number }[]> {
  if (!(await isPartitioned(db, table))) return [];
  const dropped: { name: string; rows: number }[] = [];
  for (const p of await listMonthlyPartitions(db, table)) {
    if (monthStart(p.month, 1) > cutoff) break;
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(p.name)}`.execute(db);
    await sql`drop table if exists ${sql.id(p.name)}`.execute(db);
    dropped.push({ name: p.name, rows: rows[0].n });
  }
  return dropped;
}

/**
 * Migration step: turns the plain table `table` into one partitioned by month on `column`, keeping every row.
 * `create` makes the new parent (its columns, a primary key that includes `column`, its indexes) under the old
 * name once the old table is renamed away, its ids from the old sequence; the rows move in batches of `batch` by `idColumn` (so no statement
 * holds the whole table in memory), into partitions made for every month they span, and the old table goes. The
 * sequence passes to the new table, so ids keep growing. No-op on PGlite or when already done.
 */
export async function partitionExistingTable(db: AnyDb, spec: {
  table: string;
  column: string;
  idColumn: string;
  /** Makes the new parent; `sequence` is the old id column's sequence (a literal for `nextval(…)`). */
  create: (db: AnyDb, sequence: RawBuilder<unknown>) => Promise<void>;
  batch?: number;
}): Promise<void> {
  const { table, column, idColumn } = spec;
  if (!(await partitionsTables(db)) || (await isPartitioned(db, table))) return;
  const old = `${table}_unpartitioned`;
  await sql`alter table ${sql.id(table)} rename to ${sql.id(old)}`.execute(db);
  // The old indexes keep their names after the rename; the new parent's must be free.
  const { rows: indexes } = await sql<{ name: string }>`
    select indexname as name from pg_indexes where schemaname = current_schema() and tablename = ${old}`.execute(db);
  for (const { name } of indexes) await sql`alter index ${sql.id(name)} rename to ${sql.id(`${name}_unpartitioned`)}`.execute(db);
  // The sequence's name depends on the table's past (a `_seq1` after an earlier rebuild): ask for it.
  const { rows: seq } = await sql<{ name: string }>`select pg_get_serial_sequence(${old}, ${idColumn}) as name`.execute(db);
  const sequence = sql.raw(seq[0].name);
  await sql`alter sequence ${sequence} owned by none`.execute(db);
  await spec.create(db, sql.lit(seq[0].name));
  await sql`create table ${sql.id(`${table}_pdefault`)} partition of ${sql.id(table)} default`.execute(db);
  await sql`alter sequence ${sequence} owned by ${sql.id(table)}.${sql.id(idColumn)}`.execute(db);
  const { rows: span } = await sql<{ lo: Date | null; hi: Date | null; min: number | null; max: number | null }>`
    select min(${sql.ref(column)}) as lo, max(${sql.ref(column)}) as hi, min(${sql.ref(idColumn)})::int8 as min, max(${sql.ref(idColumn)})::int8 as max
    from ${sql.id(old)}`.execute(db);
  const now = new Date();
  const first = span[0].lo && span[0].lo < now ? span[0].lo : now;
  const last = span[0].hi && span[0].hi > now ? span[0].hi : now;
  const monthsAhead = (last.getUTCFullYear() - now.getUTCFullYear()) * 12 + last.getUTCMonth() - now.getUTCMonth();
  await ensureMonthlyPartitions(db, table, column, first, now, monthsAhead);
  const batch = spec.batch ?? 100_000;
  if (span[0].min !== null) {
    for (let lo = Number(span[0].min); lo <= Number(span[0].max); lo += batch) {
      await sql`insert into ${sql.id(table)} select * from ${sql.id(old)}
        where ${sql.ref(idColumn)} >= ${lo} and ${sql.ref(idColumn)} < ${lo + batch}`.execute(db);
    }
  }
  const { rows: counts } = await sql<{ before: number; after: number }>`
    select (select count(*) from ${sql.id(old)})::int8 as before, (select count(*) from ${sql.id(table)})::int8 as after`.execute(db);
  if (Number(counts[0].before) !== Number(counts[0].after)) {
    throw new Error(`partitioning ${table}: ${counts[0].before} rows before, ${counts[0].after} after; nothing changed`);
  }
  await sql`drop table ${sql.id(old)}`.execute(db);
}
