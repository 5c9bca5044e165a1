import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { loadConfig, type Config } from '../../platform/config/config.js';
import { DataDirLockedError, openDatabase, type Db } from '../../platform/db/database.js';
import { isInside, keyFileName, loadSigningKey, readPublicKey } from '../../platform/ledger/signing.js';
import { verifyStoredLedger } from '../../platform/ledger/read-ledger.js';
import { FileWitness, type Witness } from '../../platform/ledger/witness.js';
import { PeerWitness } from '../../platform/ledger/peer-witness.js';
import type { WitnessRecords } from '../../platform/ledger/verify.js';
// Every module declares the tables its entries vouch for when it is imported (registerLedgerContent).
import '../../server/modules.js';
import { configOverrides, type Command } from '../command.js';

/** The keys checkpoints are checked against: given files, else the configured key or key file, else the data folder's. */
const publicKeys = (files: string[], config: Config): { keys: KeyObject[]; from: string } | undefined => {
  const { signingKeyPem, signingKeyFile, mode, sm2UserId } = config.ledger;
  if (files.length > 0) return { keys: files.map((f) => readPublicKey(readFileSync(f, 'utf8'))), from: files.join(', ') };
  if (signingKeyPem) return { keys: [loadSigningKey({ signingKeyPem, mode, sm2UserId }).publicKey], from: 'the configured key (CITYHUB_LEDGER_KEY)' };
  if (signingKeyFile && existsSync(signingKeyFile)) {
    return { keys: [loadSigningKey({ signingKeyFile, create: false, mode, sm2UserId }).publicKey], from: signingKeyFile };
  }
  // The data folder's key file of either mode: the verifier follows the mode the ledger records, not the config.
  for (const m of [mode, mode === 'gm' ? 'standard' : 'gm'] as const) {
    const file = path.join(config.dataDir, keyFileName(m));
    if (existsSync(file)) return { keys: [loadSigningKey({ dataDir: config.dataDir, create: false, mode: m, sm2UserId }).publicKey], from: file };
  }
  return undefined;
};

export interface LedgerVerifyRun {
  /** Public keys from outside the database; null: signatures not checked. */
  keys: KeyObject[] | null;
  witnesses: readonly Witness[];
  /** The database is a restored backup (see restore): checkpoints witnessed after it are reported, not judged. */
  restoredBackup?: boolean;
  print: (line: string) => void;
}

/**
 * The verdict of `cityhub ledger verify` on an open database: 0 intact, 1 tampered (naming what), 2 could not run.
 * Exported so `cityhub restore` and the tests run the very same check.
 */
export async function runLedgerVerify(db: Db, run: LedgerVerifyRun): Promise<number> {
  const { print } = run;
  let witnessed: WitnessRecords[];
  try {
    witnessed = await Promise.all(run.witnesses.map(async (w) => ({ name: w.name, checkpoints: await w.list() })));
  } catch (err) {
    print(`LEDGER TAMPERED: ${(err as Error).message}`);
    return 1;
  }
  for (const w of witnessed) print(`witness: ${w.name} holds ${w.checkpoints.length} checkpoint(s)`);
  if (witnessed.length === 0) print('no witness given: a cut tail together with its checkpoints cannot be detected (--witness FILE)');
  const started = Date.now();
  let result;
  try {
    result = await verifyStoredLedger(db, run.keys, {
      witnessed,
      restoredBackup: run.restoredBackup,
      onProgress: (checked, total) => {
        if (total > 5000) print(`  checked ${checked} of ${total} entries`);
      },
    });
  } catch (err) {
    if (/ledger_(head|entry|checkpoint)|column .*mode/.test((err as Error).message)) {
      print(`cityhub ledger verify: this database has no (current) ledger (${(err as Error).message}); run \`cityhub migrate\` first`);
      return 2;
    }
    // Exit 1 is kept for "tampered": a failure to read is reported as an error, not as a verdict.
    print(`cityhub ledger verify: could not read the ledger: ${(err as Error).message}`);
    return 2;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  if (result.ok) {
    const content = result.content;
    print(
      `ledger intact: ${result.entries} entries, ${result.checkpoints} signed checkpoint(s) verified ` +
        `and ${result.witnessedCheckpoints} held by the witness, mode ${result.mode}, root ${result.root} (${seconds} s)`,
    );
    if (content) print(`covered tables: ${content.checked} row(s) match their newest ledger entry; ${content.uncovered} row(s) have no entry with content (imported or older)`);
    if (result.lostAfterBackup) {
      const lost = result.lostAfterBackup;
      print(`restored backup: ${lost.witness} saw the ledger grow to ${lost.size} entries (checkpoint of ${lost.time}); those after the backup are not in it`);
    }
    return 0;
  }
  const fault = result.fault!;
  const contentFaults = result.content?.faults ?? [];
  if (contentFaults.length > 0) {
    print(`LEDGER TAMPERED: ${contentFaults.length} row(s) of covered tables differ from the ledger`);
    for (const f of contentFaults) print(`  ${f.message}`);
    print(`the ledger itself is intact: ${result.entries} entries, ${result.checkpoints} signed checkpoint(s) verified`);
    return 1;
  }
  print(`LEDGER TAMPERED: ${fault.message}`);
  print(
    fault.index === null
      ? `problem: ${fault.kind}; entries 0..${result.entries - 1} verified before it`
      : `first bad index: ${fault.index} (${fault.kind}); entries before it verified: ${Math.min(result.entries, fault.index)}`,
  );
  return 1;
}

/** The witnesses to check against: given files, else the configured witness file; and the configured peer nodes. */
export const witnessesFor = (files: string[], config: Config): Witness[] => [
  ...(files.length > 0 ? files : config.ledger.witnessFile ? [config.ledger.witnessFile] : []).map((f) => new FileWitness(f)),
  ...config.ledger.witness.peers.map((p) => new PeerWitness(p)),
];

export const ledgerVerifyCommand: Command = {
  name: 'ledger verify',
  summary: 'recompute the audit ledger offline, check it against its witness and the tables it covers',
  usage: `[--public-key FILE]… [--witness FILE]… [--skip-signatures]

Reads every ledger entry and checkpoint in one snapshot and recomputes them: each body hashes to its leaf hash,
indices run from 0 without gaps, each stored root is the RFC 6962 root at that size, and every checkpoint is
validly signed and matches the recomputed root. Every checkpoint the witness holds must hold too and still be in
the database, so a tail deleted together with its checkpoints is named. Then the tables the ledger covers
(tickets …) are read back and each row compared with the digest its newest entry recorded: a rewritten reply or
a deleted ticket is named. The mode (standard: SHA-256/Ed25519, gm: SM3/SM2) is the one the ledger records.
Exits 0 when all holds, 1 naming what is wrong, 2 when it cannot run (no database, data folder in use, no key).
With the embedded database, stop the server first (it holds the data folder).

  --public-key FILE     check checkpoint signatures with this PEM public key (as served by
                        GET /api/ledger/public-key); repeat for old keys. Default: the configured
                        key or key file, else the data folder's key file
  --witness FILE        a witness file (default: ledger.witnessFile / CITYHUB_LEDGER_WITNESS)
  --skip-signatures     verify hashes only when no key is at hand (checkpoints are then not trusted)`,
  options: {
    'public-key': { type: 'string', multiple: true },
    witness: { type: 'string', multiple: true },
    'skip-signatures': { type: 'boolean' },
  },
  async run(values) {
    const config = loadConfig(process.env, configOverrides(values));
    const where = config.databaseUrl ? config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@') : config.dataDir;
    if (!config.databaseUrl && !existsSync(path.join(config.dataDir, 'pgdata'))) {
      console.error(`cityhub ledger verify: no database in ${config.dataDir} (give --data-dir or --database-url)`);
      return 2;
    }
    const skip = values['skip-signatures'] === true;
    const found = skip ? undefined : publicKeys((values['public-key'] as string[] | undefined) ?? [], config);
    if (!skip && !found) {
      console.error(
        `cityhub ledger verify: no public key to check checkpoint signatures with: give --public-key FILE ` +
          `(GET /api/ledger/public-key), or --skip-signatures`,
      );
      return 2;
    }
    let database;
    try {
      database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    } catch (err) {
      // Exit 1 means "tampered"; a database that cannot be opened is a usage problem, not a verdict.
      if (err instanceof DataDirLockedError) {
        console.error(`cityhub ledger verify: ${err.message}`);
        return 2;
      }
      throw err;
    }
    try {
      console.log(`verifying the ledger in ${where}`);
      console.log(found ? `checkpoint signatures checked with ${found.from}` : 'checkpoint signatures NOT checked (--skip-signatures)');
      if (found && !config.databaseUrl && isInside(found.from, config.dataDir)) {
        console.log(`warning: the signing key lies in the data folder; move it out (docs/ledger.md, "The signing key")`);
      }
      return await runLedgerVerify(database.db, {
        keys: found?.keys ?? null,
        witnesses: witnessesFor((values.witness as string[] | undefined) ?? [], config),
        print: (line) => console.log(line),
      });
    } finally {
      await database.close();
    }
  },
};
