import type { KeyObject } from 'node:crypto';
import type { Db } from '../db/database.js';
import * as store from './ledger-store.js';
import { reconcileContent } from './content.js';
import { LedgerVerifier, type LedgerVerification, type WitnessRecords } from './verify.js';

export interface VerifyStoredOptions {
  /** Rows read per query; memory stays at one page plus O(log n) (and one digest per covered row). */
  pageSize?: number;
  /** Called after each page with the number of entries checked so far. */
  onProgress?: (checked: number, total: number) => void;
  /** Checkpoints held by outside witnesses (witness.ts): a cut tail and deleted checkpoints are found with them. */
  witnessed?: readonly WitnessRecords[];
  /** The database is a restored backup: witnessed checkpoints past its end are reported as lost, not as a cut. */
  restoredBackup?: boolean;
  /** Compare the covered tables with the entries about their rows (default true). */
  reconcile?: boolean;
}

/**
 * Streams a stored ledger through {@link LedgerVerifier}, page by page in idx order, so a log of millions of
 * entries is verified without holding it in memory; then, in the same snapshot, reads every covered table back
 * and compares each row with the newest entry about it (content.ts). The keys must come from outside the database.
 *
 * @example const result = await verifyStoredLedger(db, [key.publicKey], { witnessed: [{ name, checkpoints }] });
 */
export async function verifyStoredLedger(
  db: Db,
  publicKeys: KeyObject | readonly KeyObject[] | null,
  options: VerifyStoredOptions = {},
): Promise<LedgerVerification> {
  const pageSize = options.pageSize ?? 5000;
  const reconcile = options.reconcile !== false;
  // One snapshot for the whole walk on PostgreSQL, so appends made meanwhile by a live server cannot look
  // like tampering (a checkpoint read before entries it covers, or entries beyond the head), and the covered
  // tables are read as of the same moment as the ledger.
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const [checkpoints, head, total] = await Promise.all([store.listCheckpoints(trx), store.readHead(trx), store.countEntries(trx)]);
    const verifier = new LedgerVerifier(checkpoints, publicKeys, {
      head, witnessed: options.witnessed, restoredBackup: options.restoredBackup, collectContent: reconcile,
    });
    let after: number | undefined;
    for (;;) {
      if (verifier.failed) break;
      const page = await store.listEntriesAfter(trx, after, pageSize);
      if (page.length === 0) break;
      for (const row of page) if (verifier.add(row)) break;
      after = Number(page[page.length - 1].idx);
      options.onProgress?.(verifier.checked, total);
    }
    const result = verifier.finish();
    if (!result.ok || !reconcile) return result;
    const content = await reconcileContent(trx, verifier.recorded, result.mode === 'gm' ? 'sm3' : 'sha256');
    const first = content.faults[0];
    return first
      ? { ...result, ok: false, content, fault: { index: first.index, kind: 'content', message: first.message } }
      : { ...result, content };
  });
}
