import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { LedgerService } from './ledger-service.js';
import { loadSigningKey } from './signing.js';

export type { Ledger, LedgerFacts, AppendOptions } from './ledger.js';
export { LedgerService, type CheckpointView, type EntryView, type ConsistencyView, type PublicKeyView } from './ledger-service.js';
export { ledgerMigrations } from './migrations.js';
export { ledgerRoutes } from './ledger-routes.js';
export { verifyLedger, LedgerVerifier, type LedgerVerification, type LedgerFault, type StoredEntry, type StoredCheckpoint } from './verify.js';
export { verifyStoredLedger } from './read-ledger.js';
export { loadSigningKey, readPublicKey, KEY_FILE_NAME } from './signing.js';

export interface CreateLedgerOptions {
  /** Where the key file `ledger-ed25519.pem` lives (created if missing) when no PEM is configured. */
  dataDir?: string;
  /** PEM of the Ed25519 private key; every node of a deployment must use the same one. */
  signingKeyPem?: string;
  clock: Clock;
  /** How often the timer started by `start()` signs a checkpoint when the log grew (default 60). */
  checkpointIntervalSeconds?: number;
  /** Where a failed periodic checkpoint is reported (default: stderr). */
  onError?: (err: unknown) => void;
}

/**
 * The audit ledger on an open, migrated database. Without `signingKeyPem` and `dataDir` (tests) the signing key
 * lives only in memory.
 *
 * @example const ledger = await createLedger(db, { dataDir: config.dataDir, clock: systemClock });
 */
export async function createLedger(db: Db, options: CreateLedgerOptions): Promise<LedgerService> {
  const key = loadSigningKey({ signingKeyPem: options.signingKeyPem, dataDir: options.dataDir });
  return new LedgerService(db, key, options.clock, options.checkpointIntervalSeconds ?? 60, options.onError);
}
