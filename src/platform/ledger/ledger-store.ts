import { CompiledQuery, type Insertable } from 'kysely';
import type { Db } from '../db/database.js';
import type { LedgerCheckpointTable, LedgerEntryTable } from './tables.js';
import './tables.js';

/**
 * The head row, locked until the transaction ends: appends from every process and node queue here, so indices
 * are handed out one at a time and each root extends the one before it (PostgreSQL 15 and PGlite alike).
 *
 * `before`, a caller's statement (e.g. taking the day's ticket numbers), runs in the same round trip and surely
 * before the head is locked (its row count gates the head's read), so rows it locks are taken before the head,
 * as everywhere else; its returned rows come back as `before`.
 */
export const lockHead = async (trx: Db, before?: CompiledQuery): Promise<{ size: number | string; peaks: string; before: Array<Record<string, unknown>> }> => {
  if (!before) {
    const head = await trx.selectFrom('ledger_head').select(['size', 'peaks']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
    return { ...head, before: [] };
  }
  const { rows } = await trx.executeQuery<{ size: number | string; peaks: string; before: unknown }>(CompiledQuery.raw(
    `with before as (${before.sql})
    select size, peaks, coalesce((select json_agg(b) from before b), '[]') as before
    from ledger_head where id = 1 and (select count(*) from before) >= 0 for update`,
    [...before.parameters],
  ));
  if (!rows[0]) throw new Error('the ledger head is missing; run `cityhub migrate`');
  const taken = rows[0].before;
  return { size: rows[0].size, peaks: rows[0].peaks, before: (typeof taken === 'string' ? JSON.parse(taken) : taken) as Array<Record<string, unknown>> };
};

export const readHead = (db: Db) =>
  db.selectFrom('ledger_head').select(['size', 'peaks', 'mode', 'sm2_user_id']).where('id', '=', 1).executeTakeFirst();

/** Records the mode of a ledger that has no entry yet (returns false when it already has one). */
export const setEmptyLedgerMode = async (db: Db, mode: string, sm2UserId: string | null): Promise<boolean> => {
  const r = await db.updateTable('ledger_head').set({ mode, sm2_user_id: sm2UserId }).where('id', '=', 1).where('size', '=', 0).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

/** An entry as `writeEntries` stores it (the time as an instant). */
export type EntryRow = Omit<Insertable<LedgerEntryTable>, 'created_at'> & { created_at: Date };

/**
 * Stores a batch's entries and moves the head in one statement, one round trip (the entries as arrays through
 * `unnest`, so the text is fixed and never rebuilt). A caller's statement (`rider`, its placeholders from $1, a
 * WITH of its own allowed) may be the statement's main part, the entries and the head its data-modifying CTEs;
 * its rows are returned. PostgreSQL runs every data-modifying CTE exactly once whether or not the main part reads
 * it, on both engines.
 */
export const writeEntries = async (trx: Db, entries: EntryRow[], size: number, peaks: string, rider?: CompiledQuery) => {
  const offset = rider?.parameters.length ?? 0;
  const $ = (k: number) => `$${offset + k}`;
  const write = `entries as (insert into ledger_entry (idx, kind, actor, subject, created_at, body, leaf_hash, root_hash)
    select * from unnest(${$(1)}::bigint[], ${$(2)}::text[], ${$(3)}::text[], ${$(4)}::text[], ${$(5)}::timestamptz[], ${$(6)}::text[], ${$(7)}::text[], ${$(8)}::text[]))`;
  const head = `update ledger_head set size = ${$(9)}, peaks = ${$(10)} where id = 1`;
  const riderWith = rider && /^with\s/i.exec(rider.sql);
  const text = !rider ? `with ${write} ${head}`
    : riderWith ? `with ${write}, head as (${head}), ${rider.sql.slice(riderWith[0].length)}`
    : `with ${write}, head as (${head}) ${rider.sql}`;
  const column = <K extends keyof EntryRow>(k: K) => entries.map((e) => e[k]);
  const parameters = [
    ...(rider?.parameters ?? []),
    column('idx'), column('kind'), column('actor'), column('subject'), entries.map((e) => e.created_at.toISOString()), column('body'),
    column('leaf_hash'), column('root_hash'), size, peaks,
  ];
  const { rows } = await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, parameters));
  return rows;
};

export const findEntry = (db: Db, idx: number) =>
  db.selectFrom('ledger_entry').selectAll().where('idx', '=', idx).executeTakeFirst();

/** Entries with idx in [from, to), in order; the verifier reads the log in such pages. */
export const listEntries = (db: Db, from: number, to: number) =>
  db.selectFrom('ledger_entry').selectAll().where('idx', '>=', from).where('idx', '<', to).orderBy('idx').execute();

/** The next page of the whole table after `afterIdx` (keyset paging, so gaps and odd indices are seen as stored). */
export const listEntriesAfter = (db: Db, afterIdx: number | undefined, limit: number) => {
  const query = db.selectFrom('ledger_entry').selectAll().orderBy('idx').limit(limit);
  return (afterIdx === undefined ? query : query.where('idx', '>', afterIdx)).execute();
};

export const listLeafHashes = (db: Db, from: number, to: number) =>
  db.selectFrom('ledger_entry').select(['idx', 'leaf_hash']).where('idx', '>=', from).where('idx', '<', to).orderBy('idx').execute();

export const countEntries = async (db: Db): Promise<number> => {
  const row = await db.selectFrom('ledger_entry').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
};

export const findLatestCheckpoint = (db: Db) =>
  db.selectFrom('ledger_checkpoint').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst();

export const findCheckpoint = (db: Db, size: number) =>
  db.selectFrom('ledger_checkpoint').selectAll().where('size', '=', size).executeTakeFirst();

export const listCheckpoints = (db: Db) => db.selectFrom('ledger_checkpoint').selectAll().orderBy('size').execute();

/** Stores a checkpoint unless one for that size exists already (another node was first); returns whether it did. */
export const insertCheckpoint = async (db: Db, checkpoint: Insertable<LedgerCheckpointTable>): Promise<boolean> => {
  const rows = await db
    .insertInto('ledger_checkpoint')
    .values(checkpoint)
    .onConflict((oc) => oc.column('size').doNothing())
    .returning('size')
    .execute();
  return rows.length > 0;
};
