import { sql, type Kysely, type Migration } from 'kysely';

/** The policy knowledge base (issue 19): documents with their validity and owning unit, and their sections. */
export const knowledgeMigrations: Record<string, Migration> = {
  '20261206-40-hotline-intel-knowledge': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_kb_document')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text')
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('unit', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'text', (c) => c.notNull().check(sql`valid_from ~ '^\\d{4}-\\d{2}-\\d{2}$'`))
        .addColumn('valid_to', 'text', (c) => c.check(sql`valid_to ~ '^\\d{4}-\\d{2}-\\d{2}$'`))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('uploaded_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('retired_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('hotline_kb_section')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('document_id', 'uuid', (c) => c.notNull().references('hotline_kb_document.id').onDelete('cascade'))
        .addColumn('ord', 'integer', (c) => c.notNull())
        .addColumn('heading', 'text')
        .addColumn('article', 'text')
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hotline_kb_section_document').on('hotline_kb_section').columns(['document_id', 'ord']).execute();
    },
  },
};
