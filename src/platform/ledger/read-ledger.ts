import type { KeyObject } from 'node:crypto';
import type { Db } from '../db/database.js';
import * as store from './ledger-store.js';
import { LedgerVerifier, type LedgerVerification } from './verify.js';

export interface VerifyStoredOptions {
  /** Rows read per query; memory stays at one page plus O(log n). */
  pageSize?: number;
  /** Called after each page with the number of entries checked so far. */
  onProgress?: (checked: number, total: number) => void;
}

/**
 * Streams a stored ledger through {@link LedgerVerifier}, page by page in idx order, so a log of millions of
 * entries is verified without holding it in memory. The keys must come from outside the database.
 *
 * @example const result = await verifyStoredLedger(db, [key.publicKey]);
 */
export async function verifyStoredLedger(
  db: Db,
  publicKeys: KeyObject | readonly KeyObject[] | null,
  options: VerifyStoredOptions = {},
): Promise<LedgerVerification> {
  const pageSize = options.pageSize ?? 5000;
  // One snapshot for the whole walk on PostgreSQL, so appends made meanwhile by a live server cannot look
  // like tampering (a checkpoint read before entries it covers, or entries beyond the head).
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const [checkpoints, head, total] = await Promise.all([store.listCheckpoints(trx), store.readHead(trx), store.countEntries(trx)]);
    const verifier = new LedgerVerifier(checkpoints, publicKeys, { head });
    let after: number | undefined;
    for (;;) {
      if (verifier.failed) break;
      const page = await store.listEntriesAfter(trx, after, pageSize);
      if (page.length === 0) break;
      for (const row of page) if (verifier.add(row)) break;
      after = Number(page[page.length - 1].idx);
      options.onProgress?.(verifier.checked, total);
    }
    return verifier.finish();
  });
}
