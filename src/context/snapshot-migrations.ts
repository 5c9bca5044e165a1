import { sql, type Kysely, type Migration } from 'kysely';

/** Snapshots (v1.9 §5.16): the snapshot and its frozen copy of entities, dropped together. */
export const snapshotMigrations: Record<string, Migration> = {
  '20261223-01-context-snapshots': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('context_snapshot')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('body', 'jsonb', (c) => c.notNull())
        .addColumn('entity_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('modified_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_used_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_snapshot_pk', ['tenant', 'id'])
        .execute();
      await sql`create index context_snapshot_expiry on context_snapshot (expires_at)`.execute(db);
      await db.schema
        .createTable('context_snapshot_entity')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('types', sql`text[]`, (c) => c.notNull())
        .addColumn('entity', 'jsonb', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_snapshot_entity_pk', ['tenant', 'snapshot_id', 'entity_id'])
        // A snapshot's copy goes with it (delete, purge, expiry) in the same statement.
        .addForeignKeyConstraint('context_snapshot_entity_snapshot', ['tenant', 'snapshot_id'], 'context_snapshot', ['tenant', 'id'], (c) => c.onDelete('cascade'))
        .execute();
    },
  },
};
