import { loadConfig } from '../../platform/config/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { allMigrations } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'bring the database schema up to date',
  usage: '',
  async run(values) {
    const config = loadConfig(process.env, configOverrides(values));
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const result = await migrateToLatest(database.db, allMigrations());
      const applied = result.results ?? [];
      for (const r of applied) console.log(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}`);
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'schema already up to date');
      return 0;
    } finally {
      await database.close();
    }
  },
};
