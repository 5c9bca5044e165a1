import { sql, type Kysely, type Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const ledgerMigrations: Record<string, Migration> = {
  '20261126-02-ledger-merkle-log': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ledger_entry')
        .addColumn('idx', 'bigint', (c) => c.primaryKey().check(sql`idx >= 0`))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('leaf_hash', 'text', (c) => c.notNull())
        .addColumn('root_hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ledger_entry_subject').on('ledger_entry').columns(['subject', 'idx']).execute();
      await db.schema.createIndex('ledger_entry_kind').on('ledger_entry').columns(['kind', 'idx']).execute();
      await db.schema
        .createTable('ledger_head')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('peaks', 'text', (c) => c.notNull())
        .execute();
      // The one head row exists from the start, so every append can lock it (SELECT … FOR UPDATE) and never
      // has to race to create it.
      await sql`insert into ledger_head (id, size, peaks) values (1, 0, '[]')`.execute(db);
      await db.schema
        .createTable('ledger_checkpoint')
        .addColumn('size', 'bigint', (c) => c.primaryKey().check(sql`size >= 0`))
        .addColumn('root_hash', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'timestamptz', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // 国密 mode (issue 21): a ledger records how it hashes and signs, so the offline verifier follows it. Existing
  // ledgers are SHA-256 and Ed25519 ('standard').
  '20261206-41-ledger-mode': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('ledger_head').addColumn('mode', 'text', (c) => c.notNull().defaultTo('standard').check(sql`mode in ('standard', 'gm')`)).execute();
      await db.schema.alterTable('ledger_head').addColumn('sm2_user_id', 'text').execute();
    },
  },
  // A second node's witness (issue 21): the checkpoints other nodes deposit here, per depositing key, never changed.
  '20261206-42-ledger-witnessed': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ledger_witnessed')
        .addColumn('peer', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size >= 0`))
        .addColumn('root_hash', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_witnessed_pkey', ['peer', 'size'])
        .execute();
    },
  },
};
