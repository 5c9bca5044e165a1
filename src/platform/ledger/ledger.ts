import type { CompiledQuery } from 'kysely';
import type { Db } from '../db/database.js';
import type { Actor } from '../auth/roles.js';
import type { LedgerContent } from './content.js';

/** Facts recorded with an entry: ids, counts, hashes — never personal data in clear. */
export type LedgerFacts = Record<string, string | number | boolean | null | string[] | number[]>;

export interface AppendOptions {
  /** The caller's transaction, so a state change and its ledger entry commit together. */
  trx?: Db;
  /**
   * The content of the row the entry is about, as its module's registered content source reads it back
   * (content.ts): the entry stores a digest per part, and `ledger verify` finds the row rewritten or deleted.
   */
  content?: LedgerContent;
}

/**
 * The audit ledger (存证): an append-only RFC 6962 Merkle log.
 *
 * @example await ledger.append('auth.login', actor, `user:${id}`, { ok: true }, { trx });
 */
export interface Ledger {
  append(kind: string, actor: Actor, subject: string, facts: LedgerFacts, options?: AppendOptions): Promise<{ index: number }>;
  /**
   * Opens a batch in the caller's transaction: the head is locked once, each entry added gets its index at once,
   * and `write()` stores them all with one insert and one head update (a call that records two facts, such as a
   * gateway read and the product call it serves, pays for one lock, not two). `before`, a caller's statement, runs
   * in the same round trip, before the head is locked (rows it locks are taken before the head, as everywhere);
   * its returned rows are the batch's `before`.
   */
  batch(trx: Db, before?: CompiledQuery): Promise<LedgerBatch>;
}

/** Entries added in one transaction under one head lock (see `Ledger.batch`). */
export interface LedgerBatch {
  /** The rows returned by the statement given as `before` (none without one). */
  readonly before: Array<Record<string, unknown>>;
  add(kind: string, actor: Actor, subject: string, facts: LedgerFacts, options?: Pick<AppendOptions, 'content'>): { index: number };
  /**
   * Has the caller's statement (e.g. the row the entries are about) run in the same round trip as `write()`, as the
   * main part of the entries' statement (a WITH of its own allowed); `then` gets its returned rows before the transaction commits
   * and may throw to roll everything back. One per batch.
   *
   * @example ledger.ride(insertQuery.compile(), (rows) => { if (rows.length === 0) throw new Stale(); });
   */
  ride(query: CompiledQuery, then: (rows: Array<Record<string, unknown>>) => void | Promise<void>): void;
  /** Writes the entries added so far (nothing when none) and a rider; call it before the transaction commits. */
  write(): Promise<void>;
}
