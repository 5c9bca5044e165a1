import type { Kysely, Migration } from 'kysely';

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
};
