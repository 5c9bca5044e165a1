import type { Db } from '../db/database.js';
import { registeredSealedColumns, type FieldProtection } from './field-protection.js';

export interface RotationReport {
  /** the sealed columns' name, as their module registered it */
  name: string;
  /** rows rewritten under the current key (or sealed for the first time, or opened when encryption is off) */
  rewritten: number;
  /** rows still under another key afterwards: written meanwhile by a node that still had the old ring */
  remaining: number;
}

/**
 * Re-seals every registered sealed column under the current key, `batch` rows per statement round, each batch in
 * its own short transaction so serving nodes are never held up. The old key must stay in the ring until
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
    do {
      const cursor: string | null = after;
      const done: { rewritten: number; lastKey: string | null } = await db.transaction().execute((trx) => columns.rotateBatch(trx, fields, cursor, batch));
      rewritten += done.rewritten;
      after = done.lastKey;
      onBatch?.(columns.name, rewritten);
    } while (after !== null);
    reports.push({ name: columns.name, rewritten, remaining: await columns.countStale(db, fields) });
  }
  return reports;
}
