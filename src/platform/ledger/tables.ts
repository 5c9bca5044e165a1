import type { ColumnType } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/**
 * One ledger entry. `body` is the exact text that was hashed (canonical JSON of index, kind, actor, subject,
 * facts and time); the other columns repeat parts of it for queries, and `ledger verify` checks they agree.
 */
export interface LedgerEntryTable {
  /** Position in the log, from 0, contiguous. */
  idx: number;
  /** What happened, dotted: `auth.login`, `auth.key.created`, `catalog.share.approved`. */
  kind: string;
  /** A non-personal reference to who did it (`user:<uuid>`, `api_key:<uuid>`, `anonymous`). */
  actor: string;
  /** What it was done to (`user:<uuid>`, `ticket:<id>`); ids or hashes, never names. */
  subject: string;
  created_at: Timestamp;
  body: string;
  /** hex SHA-256(0x00 || body) */
  leaf_hash: string;
  /** hex MTH of entries 0..idx: the tree root right after this entry was appended. */
  root_hash: string;
}

/** The single row every append locks: the log's size and the peaks needed to extend its root in O(log n). */
export interface LedgerHeadTable {
  id: number;
  size: number;
  /** JSON array of hex peak hashes, largest subtree first. */
  peaks: string;
  /** `standard` (SHA-256, Ed25519) or `gm` (SM3, SM2): set before the first entry, never changed after. */
  mode: ColumnType<string, string | undefined, string>;
  /** The SM2 user id (ZA) checkpoints are signed with in `gm` mode. */
  sm2_user_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A signed statement of the tree size and root at one moment. */
export interface LedgerCheckpointTable {
  size: number;
  /** hex */
  root_hash: string;
  signed_at: Timestamp;
  /** base64 signature of the checkpoint text (Ed25519, or SM2 r ‖ s in 国密 mode; see signing.ts). */
  signature: string;
  key_id: string;
}

/** A checkpoint another node deposited here (this node is its witness): kept as signed, never changed. */
export interface LedgerWitnessedTable {
  /** The depositing key (`api_key:<uuid>`): a node reads back only its own. */
  peer: string;
  size: number;
  /** hex */
  root_hash: string;
  /** ISO 8601 text exactly as signed */
  signed_at: string;
  signature: string;
  key_id: string;
  mode: string;
  received_at: Timestamp;
}

declare module '../db/schema.js' {
  interface Database {
    ledger_witnessed: LedgerWitnessedTable;
    ledger_entry: LedgerEntryTable;
    ledger_head: LedgerHeadTable;
    ledger_checkpoint: LedgerCheckpointTable;
  }
}
