import { sql, type Kysely, type Migration } from 'kysely';

// The audit trail is read by who did or suffered an entry, by kind and by time; the ledger itself only appends.
export const auditMigrations: Record<string, Migration> = {
  '20261206-21-audit-ledger-indexes': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('ledger_entry_actor').ifNotExists().on('ledger_entry').columns(['actor', 'idx']).execute();
      await db.schema.createIndex('ledger_entry_subject').ifNotExists().on('ledger_entry').columns(['subject', 'idx']).execute();
      await db.schema.createIndex('ledger_entry_kind_time').ifNotExists().on('ledger_entry').columns(['kind', 'created_at']).execute();
      await db.schema.createIndex('ledger_entry_time').ifNotExists().on('ledger_entry').column('created_at').execute();
    },
  },
  // Denials counted per actor, address and minute in the database, so the bound on what one prober writes holds
  // across nodes (a per-process count let each node write its own deniedPerMinute). Pruned after a day.
  '20261206-44-audit-denial-count': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_denial_count')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull().check(sql`count > 0`))
        .addPrimaryKeyConstraint('audit_denial_count_pkey', ['key', 'minute'])
        .execute();
    },
  },
};
