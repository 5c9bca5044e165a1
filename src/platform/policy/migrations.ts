import { sql, type Kysely, type Migration } from 'kysely';

// The security policy edited by the security administrator (issue 21): one row; absent, the config file's defaults.
export const policyMigrations: Record<string, Migration> = {
  '20261206-43-security-policy': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('security_policy')
        .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id = 'current'`))
        .addColumn('policy', 'jsonb', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
};
