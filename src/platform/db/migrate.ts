import { Migrator, sql, type Migration, type MigrationResultSet } from 'kysely';
import type { Db } from './database.js';

export type Migrations = Record<string, Migration>;

/**
 * Brings the schema to the latest version. Migration names are `YYYYMMDD-NN-module-what`, so the order is
 * by date across modules; on PostgreSQL Kysely holds an advisory lock, so nodes starting together are safe.
 */
export async function migrateToLatest(db: Db, migrations: Migrations): Promise<MigrationResultSet> {
  // Name the schema: without it Kysely looks for its lock table in ANY schema and, finding another schema's
  // (tests and nodes sharing one PostgreSQL), skips creating its own.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({
    db,
    migrationTableSchema: rows[0].schema,
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
