import { sql, type Kysely, type Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const throttleMigrations: Record<string, Migration> = {
  '20261126-40-platform-failure-throttle': {
    async up(db: Kysely<unknown>) {
      // Failed attempts shared by every node (login, the public ticket lookup): no primary key, rows only live a window.
      await db.schema
        .createTable('throttle_failure')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .execute();
      await sql`create index throttle_failure_key on throttle_failure (scope, key_hash, at)`.execute(db);
    },
  },
};
