import { sql, type Kysely, type Migration } from 'kysely';

/** Quality inspection runs and results, 每月一题 topics and their tasks. */
export const governanceMigrations: Record<string, Migration> = {
  '20261206-10-hotline-governance': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_inspection_run')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('done', 'integer', (c) => c.notNull())
        .addColumn('started_by', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createTable('hotline_inspection_result')
        .addColumn('ticket_id', 'uuid', (c) => c.primaryKey().references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('run_id', 'uuid', (c) => c.notNull().references('hotline_inspection_run.id'))
        .addColumn('unit_id', 'uuid')
        .addColumn('answered_at', 'timestamptz', (c) => c.notNull())
        .addColumn('score', 'double precision', (c) => c.notNull())
        .addColumn('passed', 'boolean', (c) => c.notNull())
        .addColumn('checks', 'jsonb', (c) => c.notNull())
        .addColumn('findings', 'jsonb', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('inspected_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hotline_inspection_result_answered').on('hotline_inspection_result').columns(['answered_at', 'unit_id']).execute();
      await db.schema
        .createTable('hotline_governance_topic')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('category_id', 'uuid', (c) => c.notNull().references('hotline_category.id'))
        .addColumn('district_id', 'uuid', (c) => c.references('hotline_area.id'))
        .addColumn('description', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('hotline_governance_task')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('topic_id', 'uuid', (c) => c.notNull().references('hotline_governance_topic.id').onDelete('cascade'))
        .addColumn('unit_id', 'uuid', (c) => c.notNull().references('org.id'))
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('due_at', 'timestamptz', (c) => c.notNull())
        .addColumn('progress', 'integer', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hotline_governance_task_topic').on('hotline_governance_task').column('topic_id').execute();
    },
  },
};
