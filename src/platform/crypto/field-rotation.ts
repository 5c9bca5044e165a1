import type { Db } from '../db/database.js';
import { registeredSealedColumns, type FieldProtection } from './field-protection.js';

/** A row rotation left as it was because one of its values does not open. */
export interface BadSealedRow {
  /** the row as its module names it: `ticket 20261126-000001`, `user 1f0c…` */
  row: string;
  /** why it does not open (altered, moved from another row, under a key the ring lacks) */
  problem: string;
}

export interface RotationReport {
  /** the sealed columns' name, as their module registered it */
  name: string;
  /** rows rewritten under the current key (or sealed for the first time, or opened when encryption is off) */
  rewritten: number;
  /**
   * rows still under another key afterwards: written meanwhile by a node that still had the old ring, or `bad`
   */
  remaining: number;
  /** rows with a value that does not open, each left untouched (the rest rotated past them) */
  bad: BadSealedRow[];
}

/**
 * Re-seals every registered sealed column under the current key, `batch` rows per statement round, each batch in
 * its own short transaction so serving nodes are never held up. A row whose value does not open is reported in
 * `bad` and left as it was (never half rotated); the rotation goes on past it, and a run again rewrites nothing it
 * did before (rows already under the current key are skipped). The old key must stay in the ring until
 * `remaining` is 0 on every table after every node has restarted with the new ring (docs/security.md,
 * "Rotating the field keys").
 *
 * @example const report = await rotateSealedFields(db, fields, 500);
 */
export async function rotateSealedFields(db: Db, fields: FieldProtection, batch = 500, onBatch?: (name: string, rewritten: number) => void): Promise<RotationReport[]> {
  const reports: RotationReport[] = [];
  for (const columns of registeredSealedColumns()) {
    let rewritten = 0;
    let after: string | null = null;
    const bad: BadSealedRow[] = [];
    do {
      const cursor: string | null = after;
      const found: BadSealedRow[] = [];
      const done: { rewritten: number; lastKey: string | null } = await db.transaction().execute((trx) =>
        columns.rotateBatch(trx, fields, cursor, batch, (row, err) => found.push({ row, problem: err.message })));
      // only once the batch committed: a batch retried after a failure must not report its rows twice
      bad.push(...found);
      rewritten += done.rewritten;
      after = done.lastKey;
      onBatch?.(columns.name, rewritten);
    } while (after !== null);
    reports.push({ name: columns.name, rewritten, remaining: await columns.countStale(db, fields), bad });
  }
  return reports;
}
