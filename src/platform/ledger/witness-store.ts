import type { Db } from '../db/database.js';
import type { LedgerWitnessedTable } from './tables.js';
import type { Insertable } from 'kysely';

// The checkpoints other nodes deposit here (this node witnesses their ledgers): inserted once, never updated.

/** Inserts a deposited checkpoint unless the peer already has one of that size (then returns nothing). */
export const insertWitnessed = (db: Db, row: Insertable<LedgerWitnessedTable>) =>
  db.insertInto('ledger_witnessed').values(row).onConflict((oc) => oc.columns(['peer', 'size']).doNothing()).returningAll().executeTakeFirst();

export const findWitnessed = (db: Db, peer: string, size: number) =>
  db.selectFrom('ledger_witnessed').selectAll().where('peer', '=', peer).where('size', '=', size).executeTakeFirst();

/** A peer's checkpoints larger than `afterSize`, smallest first. */
export const listWitnessed = (db: Db, peer: string, afterSize: number, limit: number) =>
  db.selectFrom('ledger_witnessed').selectAll().where('peer', '=', peer).where('size', '>', afterSize).orderBy('size').limit(limit).execute();
