import path from 'node:path';
import { loadConfig } from '../../platform/config/config.js';
import { DataDirLockedError, openDatabase } from '../../platform/db/database.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { loadFieldProtection, newFieldKey, readFieldKeyFile, writeFieldKeyFile } from '../../platform/crypto/field-protection.js';
import { rotateSealedFields } from '../../platform/crypto/field-rotation.js';
import { allMigrations } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';

export const keysRotateCommand: Command = {
  name: 'keys rotate',
  summary: 'put a new field key in front of the ring and re-encrypt the sealed personal fields in batches',
  usage: `[--new-key] [--batch N]

With --new-key, adds a new key in front of security.fieldKeysFile (CITYHUB_FIELD_KEYS_FILE; the old keys stay).
Then re-encrypts every sealed value (the tickets' citizen name, phone and address, the second factors' secrets)
under the ring's first key, N rows per short transaction (500), and reports per table what it rewrote and what
still uses another key. Run it again after every node has restarted with the new ring; drop an old key from the
file only when it reports 0 remaining everywhere. A row with a value that does not open (altered, copied from
another row, under a key no longer in the ring) is named and left as it is; the others are rotated past it
(exit 1 while any remain). Also run it after turning security.fieldEncryption on (it
encrypts the values stored in clear) or off (it decrypts them). With the embedded database, stop the server first.`,
  options: { 'new-key': { type: 'boolean' }, batch: { type: 'string' } },
  async run(values) {
    const config = loadConfig(process.env, configOverrides(values));
    const batch = values.batch === undefined ? 500 : Number(values.batch);
    if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) {
      console.error('cityhub keys rotate: --batch must be a whole number from 1 to 100000');
      return 2;
    }
    if (values['new-key'] === true) {
      const file = config.security.fieldKeysFile;
      if (!file || config.security.fieldKeys) {
        console.error('cityhub keys rotate: --new-key needs the ring in a file (security.fieldKeysFile, CITYHUB_FIELD_KEYS_FILE); with CITYHUB_FIELD_KEYS put a new key in front yourself');
        return 2;
      }
      const ring = readFieldKeyFile(path.resolve(file), true);
      const key = newFieldKey();
      writeFieldKeyFile(path.resolve(file), [key, ...ring]);
      console.log(`new field key ${key.id} put in front of ${file} (kept: ${ring.map((k) => k.id).join(', ')})`);
    }
    const fields = loadFieldProtection(config.security, config.ledger.mode, config.dataDir);
    let database;
    try {
      database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    } catch (err) {
      if (!(err instanceof DataDirLockedError)) throw err;
      console.error(`cityhub keys rotate: ${err.message}`);
      return 2;
    }
    try {
      await migrateToLatest(database.db, allMigrations());
      const reports = await rotateSealedFields(database.db, fields, batch);
      for (const r of reports) {
        console.log(`${r.name}: ${r.rewritten} rewritten, ${r.remaining} still under another key${r.bad.length > 0 ? `, ${r.bad.length} that do not open (left as they are)` : ''}`);
        for (const b of r.bad) console.error(`  ${b.row}: ${b.problem}`);
      }
      console.log(fields.encrypting ? `sealed values are under key ${fields.currentKeyId}` : 'field encryption is off: sealed values were opened');
      return reports.some((r) => r.remaining > 0 || r.bad.length > 0) ? 1 : 0;
    } finally {
      await database.close();
    }
  },
};
