import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { loadConfig } from '../../platform/config/config.js';
import { DataDirLockedError, openDatabase } from '../../platform/db/database.js';
import { loadSigningKey, readPublicKey, KEY_FILE_NAME } from '../../platform/ledger/signing.js';
import { verifyStoredLedger } from '../../platform/ledger/read-ledger.js';
import { configOverrides, type Command } from '../command.js';

/** The keys checkpoints are checked against: given files, else the configured key, else the data folder's key file. */
const publicKeys = (files: string[], signingKeyPem: string | undefined, dataDir: string): { keys: KeyObject[]; from: string } | undefined => {
  if (files.length > 0) return { keys: files.map((f) => readPublicKey(readFileSync(f, 'utf8'))), from: files.join(', ') };
  if (signingKeyPem) return { keys: [loadSigningKey({ signingKeyPem }).publicKey], from: 'the configured key (CITYHUB_LEDGER_KEY)' };
  const file = path.join(dataDir, KEY_FILE_NAME);
  if (existsSync(file)) return { keys: [loadSigningKey({ dataDir, create: false }).publicKey], from: file };
  return undefined;
};

export const ledgerVerifyCommand: Command = {
  name: 'ledger verify',
  summary: 'recompute the audit ledger offline and name the first tampered entry',
  usage: `[--public-key FILE]… [--skip-signatures]

Reads every ledger entry and checkpoint and recomputes them: each body hashes to its leaf hash, indices run
from 0 without gaps, each stored root is the RFC 6962 root at that size, and every checkpoint is validly signed
and matches the recomputed root. Exits 0 when the ledger is intact, 1 naming the first bad index otherwise,
2 when it cannot run (no database, data folder in use, no public key).
With the embedded database, stop the server first (it holds the data folder).

  --public-key FILE     check checkpoint signatures with this PEM public key (as served by
                        GET /api/ledger/public-key); repeat for old keys. Default: the configured
                        key, else <data dir>/${KEY_FILE_NAME}
  --skip-signatures     verify hashes only when no key is at hand (checkpoints are then not trusted)`,
  options: {
    'public-key': { type: 'string', multiple: true },
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
    const found = skip ? undefined : publicKeys((values['public-key'] as string[] | undefined) ?? [], config.ledger.signingKeyPem, config.dataDir);
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
      const started = Date.now();
      let result;
      try {
        result = await verifyStoredLedger(database.db, found?.keys ?? null, {
          onProgress: (checked, total) => {
            if (total > 5000) console.log(`  checked ${checked} of ${total} entries`);
          },
        });
      } catch (err) {
        if (/ledger_(head|entry|checkpoint)/.test((err as Error).message)) {
          console.error(`cityhub ledger verify: this database has no ledger (${(err as Error).message}); run \`cityhub migrate\` first`);
          return 2;
        }
        // Exit 1 is kept for "tampered": a failure to read is reported as an error, not as a verdict.
        console.error(`cityhub ledger verify: could not read the ledger: ${(err as Error).message}`);
        return 2;
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(2);
      if (result.ok) {
        console.log(
          `ledger intact: ${result.entries} entries, ${result.checkpoints} signed checkpoint(s) verified, ` +
            `root ${result.root} (${seconds} s)`,
        );
        return 0;
      }
      const fault = result.fault!;
      console.log(`LEDGER TAMPERED: ${fault.message}`);
      console.log(
        fault.index === null
          ? `problem: ${fault.kind}; entries 0..${result.entries - 1} verified before it`
          : `first bad index: ${fault.index} (${fault.kind}); entries before it verified: ${Math.min(result.entries, fault.index)}`,
      );
      return 1;
    } finally {
      await database.close();
    }
  },
};
