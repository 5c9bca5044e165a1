import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../platform/config/config.js';
import { DataDirLockedError, openDatabase, type DatabaseHandle } from '../../platform/db/database.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { BackupError, restoreBackup, writeBackup, type BackupManifest } from '../../platform/backup/backup.js';
import { backupFromServer } from '../../platform/backup/backup-socket.js';
import { loadSigningKey, readPublicKey } from '../../platform/ledger/signing.js';
import { allMigrations } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';
import { runLedgerVerify, witnessesFor } from './ledger-verify.js';

const open = async (command: string, config: ReturnType<typeof loadConfig>): Promise<DatabaseHandle | undefined> => {
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(`cityhub ${command}: ${err.message}`);
      return undefined;
    }
    throw err;
  }
};

export const backupCommand: Command = {
  name: 'backup',
  summary: 'write a consistent backup of the whole database to a file',
  usage: `--out FILE

Copies every table in one REPEATABLE READ transaction (one instant of the database) into FILE (gzip, JSON lines,
SHA-256 in its last line, mode 0600). On PostgreSQL it runs beside serving nodes, which keep writing; on the
embedded database held by a running server, the server makes the copy (asked through backup.sock in the data
folder, reachable by the service user only) while it goes on serving. Keep copies off
the machine: a backup holds personal data, treat it like the database.`,
  options: { out: { type: 'string' } },
  async run(values) {
    const out = values.out as string | undefined;
    if (!out) {
      console.error('cityhub backup: give --out FILE');
      return 2;
    }
    const config = loadConfig(process.env, configOverrides(values));
    if (!config.databaseUrl && !existsSync(path.join(config.dataDir, 'pgdata'))) {
      console.error(`cityhub backup: no database in ${config.dataDir} (give --data-dir or --database-url)`);
      return 2;
    }
    const started = Date.now();
    const report = (manifest: BackupManifest, how: string) => {
      const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
      console.log(`backup written to ${out}${how}: ${manifest.tables.length} tables, ${rows} rows, ledger ${manifest.ledger.size} entries (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return 0;
    };
    let database: DatabaseHandle;
    try {
      database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    } catch (err) {
      if (!(err instanceof DataDirLockedError)) throw err;
      // The embedded database is held by its server: the server makes the copy (backup-socket.ts).
      try {
        return report(await backupFromServer(config.dataDir, out), ` by the serving process (pid ${err.pid})`);
      } catch (socketErr) {
        console.error(`cityhub backup: ${err.message}; asking it for the backup failed: ${(socketErr as Error).message}`);
        return 1;
      }
    }
    try {
      return report(await writeBackup(database.db, out, database.engine, new Date()), '');
    } finally {
      await database.close();
    }
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'load a backup into an empty database and verify it with the ledger',
  usage: `FILE [--public-key FILE]… [--witness FILE]… [--force]

Brings the target (an empty --data-dir, or the --database-url's schema) to the backup's schema version, loads
every table in one transaction (the file's checksum and every row count checked before the commit), then runs
\`cityhub ledger verify\` on the result against the witness: entries the witness saw after the backup are reported
as lost, anything else wrong fails the restore (exit 1). A target whose ledger already has entries is refused
unless --force.`,
  options: { 'public-key': { type: 'string', multiple: true }, witness: { type: 'string', multiple: true }, force: { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals) {
    const file = positionals[0];
    if (!file || !existsSync(file)) {
      console.error('cityhub restore: give the backup FILE');
      return 2;
    }
    const config = loadConfig(process.env, configOverrides(values));
    const pgdata = path.join(config.dataDir, 'pgdata');
    if (!config.databaseUrl && existsSync(pgdata) && readdirSync(pgdata).length > 0 && values.force !== true) {
      console.error(`cityhub restore: ${config.dataDir} already holds a database; restore into a fresh folder (or --force)`);
      return 2;
    }
    const database = await open('restore', config);
    if (!database) return 2;
    try {
      await migrateToLatest(database.db, allMigrations());
      const head = await database.db.selectFrom('ledger_head').select('size').executeTakeFirst();
      if (Number(head?.size ?? 0) > 0 && values.force !== true) {
        console.error(`cityhub restore: the target's ledger has ${head!.size} entries; restore into an empty database (or --force)`);
        return 2;
      }
      let manifest;
      try {
        manifest = await restoreBackup(database.db, file);
      } catch (err) {
        if (err instanceof BackupError) {
          console.error(`cityhub restore: ${err.message}`);
          return 1;
        }
        throw err;
      }
      console.log(`restored ${file} (taken ${manifest.createdAt}): ${manifest.tables.reduce((n, t) => n + t.rows, 0)} rows, ledger ${manifest.ledger.size} entries`);
      const files = (values['public-key'] as string[] | undefined) ?? [];
      const { signingKeyPem, signingKeyFile, mode, sm2UserId } = config.ledger;
      const keys = files.length > 0
        ? files.map((f) => readPublicKey(readFileSync(f, 'utf8')))
        : signingKeyPem || signingKeyFile ? [loadSigningKey({ signingKeyPem, signingKeyFile, create: false, mode: manifest.ledger.mode === 'gm' ? 'gm' : 'standard', sm2UserId }).publicKey] : null;
      if (!keys) console.log('checkpoint signatures NOT checked: give --public-key FILE');
      return await runLedgerVerify(database.db, {
        keys, witnesses: witnessesFor((values.witness as string[] | undefined) ?? [], config), restoredBackup: true, print: (l) => console.log(l),
      });
    } finally {
      await database.close();
    }
  },
};

