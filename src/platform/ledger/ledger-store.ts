import type { Insertable } from 'kysely';
import type { Db } from '../db/database.js';
import type { LedgerCheckpointTable, LedgerEntryTable } from './tables.js';
import './tables.js';

/**
 * The head row, locked until the transaction ends: appends from every process and node queue here, so indices
 * are handed out one at a time and each root extends the one before it (PostgreSQL 15 and PGlite alike).
 */
export const lockHead = (trx: Db) =>
  trx.selectFrom('ledger_head').select(['size', 'peaks']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();

export const readHead = (db: Db) =>
  db.selectFrom('ledger_head').select(['size', 'peaks', 'mode', 'sm2_user_id']).where('id', '=', 1).executeTakeFirst();

/** Records the mode of a ledger that has no entry yet (returns false when it already has one). */
export const setEmptyLedgerMode = async (db: Db, mode: string, sm2UserId: string | null): Promise<boolean> => {
  const r = await db.updateTable('ledger_head').set({ mode, sm2_user_id: sm2UserId }).where('id', '=', 1).where('size', '=', 0).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const updateHead = (trx: Db, size: number, peaks: string) =>
  trx.updateTable('ledger_head').set({ size, peaks }).where('id', '=', 1).execute();

export const insertEntries = (trx: Db, entries: Array<Insertable<LedgerEntryTable>>) => trx.insertInto('ledger_entry').values(entries).execute();

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
