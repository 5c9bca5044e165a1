import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Db } from './database.js';

export type Migrations = Record<string, Migration>;

/**
 * Brings the schema to the latest version. Migration names are `YYYYMMDD-NN-module-what`, so the order is
 * by date across modules; on PostgreSQL Kysely holds an advisory lock, so nodes starting together are safe.
 */
export async function migrateToLatest(db: Db, migrations: Migrations): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const error = result.error as Error;
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error.message}`, { cause: error });
  }
  return result;
}
