import { sql, type Kysely, type Migration } from 'kysely';

/** Hotline intelligence's tables: classifier models, training jobs, agents' labels, the user dictionary. */
export const intelMigrations: Record<string, Migration> = {
  // Classifier models versioned with their evaluation, training jobs and agents' labels (issue 4, 数据标注).
  '20261126-30-hotline-intel-models': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_classifier_model')
        .addColumn('version', 'serial', (c) => c.primaryKey())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('trained_by', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('examples', 'integer', (c) => c.notNull())
        .addColumn('held_out', 'integer', (c) => c.notNull())
        .addColumn('labelled_tickets', 'integer', (c) => c.notNull())
        .addColumn('agent_labels', 'integer', (c) => c.notNull())
        .addColumn('labels', sql`text[]`, (c) => c.notNull())
        .addColumn('evaluation', 'jsonb', (c) => c.notNull())
        .addColumn('train_seconds', 'double precision', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('activated_at', 'timestamptz')
        .execute();
      // At most one active model, whatever the nodes do at once.
      await sql`create unique index hotline_classifier_model_active on hotline_classifier_model ((true)) where status = 'active'`.execute(db);
      await db.schema
        .createTable('hotline_classifier_job')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addColumn('progress', 'text')
        .addColumn('model_version', 'integer', (c) => c.references('hotline_classifier_model.version'))
        .addColumn('activated', 'boolean')
        .addColumn('error', 'text')
        .execute();
      // The claim: one running training in the whole cluster (an insert that collides is a node that lost the race).
      await sql`create unique index hotline_classifier_job_running on hotline_classifier_job ((true)) where status = 'running'`.execute(db);
      await db.schema.createIndex('hotline_classifier_job_started').on('hotline_classifier_job').column('started_at').execute();
      await db.schema
        .createTable('hotline_classifier_label')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('category_id', 'uuid', (c) => c.notNull().references('hotline_category.id'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('suggested', 'text')
        .addColumn('model_version', 'integer')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hotline_classifier_label_ticket').on('hotline_classifier_label').columns(['ticket_id', 'id']).execute();
      await db.schema.createIndex('hotline_classifier_label_created').on('hotline_classifier_label').column('created_at').execute();
    },
  },
  // The serialized model gzipped by the training worker, stored without TOAST compression: PGlite compresses and
  // writes on the main thread, and the JSON text stalled requests for seconds.
  '20261126-31-hotline-intel-model-gzip': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_classifier_model').addColumn('model_gzip', 'bytea').execute();
      await sql`alter table hotline_classifier_model alter column model drop not null, alter column model_gzip set storage external`.execute(db);
    },
  },
  // The segmenter's user dictionary that administrators extend (place names, unit names, terms, stop words).
  '20261126-32-hotline-intel-dictionary': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_intel_word')
        .addColumn('word', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('added_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
};
