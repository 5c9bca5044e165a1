import type { Kysely, Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const jobMigrations: Record<string, Migration> = {
  '20261206-60-platform-jobs-run-claims': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('platform_job_run')
        .addColumn('job', 'text', (c) => c.primaryKey())
        .addColumn('period', 'bigint', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'timestamptz', (c) => c.notNull())
        .addColumn('lease_until', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addColumn('runs', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
};
