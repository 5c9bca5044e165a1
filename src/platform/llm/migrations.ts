import { sql, type Kysely, type Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const llmMigrations: Record<string, Migration> = {
  '20261206-40-platform-llm-calls': {
    async up(db: Kysely<unknown>) {
      // Token accounting per module and per user is a sum over these rows; no prompt or answer text is stored.
      await db.schema
        .createTable('llm_call')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('module', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt_name', 'text', (c) => c.notNull())
        .addColumn('prompt_version', 'integer', (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
        .addColumn('completion_tokens', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await sql`create index llm_call_module_at on llm_call (module, at)`.execute(db);
      await sql`create index llm_call_actor_at on llm_call (actor, at)`.execute(db);
    },
  },
};
