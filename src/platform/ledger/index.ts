import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { LedgerService } from './ledger-service.js';
import { isInside, loadSigningKey, type CheckpointSigner, type LedgerMode } from './signing.js';
import { readHead, setEmptyLedgerMode } from './ledger-store.js';
import { FileWitness, type Witness } from './witness.js';
import { PeerWitness, type PeerConfig } from './peer-witness.js';
import { SM2_DEFAULT_USER_ID } from '../crypto/sm2.js';

export type { Ledger, LedgerFacts, AppendOptions } from './ledger.js';
export { LedgerService, type LedgerServiceOptions, type CheckpointView, type EntryView, type ConsistencyView, type PublicKeyView } from './ledger-service.js';
export { ledgerMigrations } from './migrations.js';
export { ledgerRoutes } from './ledger-routes.js';
export { WitnessDesk } from './witness-desk.js';
export { PeerWitness, type PeerConfig } from './peer-witness.js';
export { verifyLedger, LedgerVerifier, type WitnessRecords, type LedgerVerification, type LedgerFault, type StoredEntry, type StoredCheckpoint } from './verify.js';
export { verifyStoredLedger } from './read-ledger.js';
export { loadSigningKey, readPublicKey, isInside, keyFileName, KEY_FILE_NAME, SM2_KEY_FILE_NAME, type CheckpointSigner, type LedgerMode } from './signing.js';
export { FileWitness, parseWitnessLines, type Witness, type WitnessedCheckpoint } from './witness.js';
export { registerLedgerContent, contentDigest, type LedgerContent, type LedgerContentSource, type ContentRow } from './content.js';

export interface CreateLedgerOptions {
  /** Where the key file `ledger-ed25519.pem` lives (created if missing) when no PEM or key file is configured. */
  dataDir?: string;
  /** PEM of the private key; every node of a deployment must use the same one. */
  signingKeyPem?: string;
  /** A key file outside the data folder (created with mode 0600 when missing). */
  signingKeyFile?: string;
  /** A key management service or signing machine instead of a key in this process (signing.ts). */
  signer?: CheckpointSigner;
  /** `gm`: SM3 and SM2 (国密). A ledger keeps the mode of its first entry; another one here fails. */
  mode?: LedgerMode;
  sm2UserId?: string;
  /** Files outside the data folder that receive every checkpoint. */
  witnessFile?: string;
  /** Other witnesses (a timestamping service). */
  witnesses?: readonly Witness[];
  /** Other CityHub nodes that witness this ledger (`ledger.witness.peers`). */
  witnessPeers?: readonly PeerConfig[];
  witnessDelaySeconds?: number;
  clock: Clock;
  /** How often the timer started by `start()` signs a checkpoint when the log grew (default 60). */
  checkpointIntervalSeconds?: number;
  /** Where a failed periodic checkpoint is reported (default: stderr). */
  onError?: (err: unknown) => void;
}

/**
 * The mode a ledger runs in: the one recorded in its head row. An empty ledger takes the configured mode; one that
 * has entries keeps its own, and a different configured mode is refused (its hashes cannot change after the fact).
 */
async function settleMode(db: Db, wanted: LedgerMode, sm2UserId: string): Promise<{ mode: LedgerMode; sm2UserId: string }> {
  await setEmptyLedgerMode(db, wanted, wanted === 'gm' ? sm2UserId : null);
  const head = await readHead(db);
  if (!head) throw new Error('the ledger tables are missing; run `cityhub migrate`');
  const mode: LedgerMode = head.mode === 'gm' ? 'gm' : 'standard';
  if (mode !== wanted) {
    throw new Error(
      `ledger.mode is "${wanted}", but this ledger was begun in "${mode}" mode and has ${head.size} entries; a ledger's ` +
        `hashes cannot change after the fact. Keep ledger.mode "${mode}" (docs/ledger.md, "国密 mode").`,
    );
  }
  return { mode, sm2UserId: head.sm2_user_id ?? sm2UserId };
}

/**
 * The audit ledger on an open, migrated database. Without a key, key file or `dataDir` (tests) the signing key
 * lives only in memory.
 *
 * @example const ledger = await createLedger(db, { signingKeyFile: '/etc/cityhub/ledger.pem', witnessFile: '/mnt/witness/ledger.jsonl', clock });
 */
export async function createLedger(db: Db, options: CreateLedgerOptions): Promise<LedgerService> {
  const { mode, sm2UserId } = await settleMode(db, options.mode ?? 'standard', options.sm2UserId ?? SM2_DEFAULT_USER_ID);
  const signer =
    options.signer ??
    loadSigningKey({ signingKeyPem: options.signingKeyPem, signingKeyFile: options.signingKeyFile, dataDir: options.dataDir, mode, sm2UserId });
  const witnesses = [...(options.witnesses ?? []), ...(options.witnessPeers ?? []).map((p) => new PeerWitness(p))];
  if (options.witnessFile) {
    if (options.dataDir && isInside(options.witnessFile, options.dataDir)) {
      throw new Error(`ledger.witnessFile ${options.witnessFile} is inside the data folder ${options.dataDir}: a witness there is deleted with the database; put it on another disk or mount`);
    }
    witnesses.push(new FileWitness(options.witnessFile));
  }
  return new LedgerService(db, {
    signer, clock: options.clock, mode, sm2UserId, witnesses, witnessDelaySeconds: options.witnessDelaySeconds,
    checkpointIntervalSeconds: options.checkpointIntervalSeconds, onError: options.onError,
  });
}
