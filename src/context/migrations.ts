import { sql, type Kysely, type Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const contextMigrations: Record<string, Migration> = {
  '20261126-10-context-entities': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('context_tenant')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('context_entity')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('types', sql`text[]`, (c) => c.notNull())
        .addColumn('attrs', 'jsonb', (c) => c.notNull())
        .addColumn('scope', sql`text[]`)
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('modified_at', 'timestamptz', (c) => c.notNull())
        .addColumn('min_lon', 'float8')
        .addColumn('min_lat', 'float8')
        .addColumn('max_lon', 'float8')
        .addColumn('max_lat', 'float8')
        .addPrimaryKeyConstraint('context_entity_pk', ['tenant', 'id'])
        .execute();
      // Type filters use `types && array[...]`; GIN serves array overlap in core PostgreSQL.
      await sql`create index context_entity_types on context_entity using gin (types)`.execute(db);
      // The geo pre-filter: core PostgreSQL's box type with a GiST index (no PostGIS needed).
      await sql`create index context_entity_box on context_entity using gist (box(point(min_lon, min_lat), point(max_lon, max_lat))) where min_lon is not null`.execute(db);
      await db.schema
        .createTable('context_history')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('attr', 'text', (c) => c.notNull())
        .addColumn('dataset_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('observed_at', 'timestamptz', (c) => c.notNull())
        .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
        .addColumn('instance', 'jsonb', (c) => c.notNull())
        .addColumn('num', 'float8')
        .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema.createIndex('context_history_lookup').on('context_history').columns(['tenant', 'entity_id', 'attr', 'observed_at']).execute();
      await db.schema.createIndex('context_history_recorded').on('context_history').column('recorded_at').execute();
      await db.schema
        .createTable('context_subscription')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('body', 'jsonb', (c) => c.notNull())
        .addColumn('active', 'boolean', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('throttling', 'float8', (c) => c.notNull().defaultTo(0))
        .addColumn('times_sent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('times_failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_notification', 'timestamptz')
        .addColumn('last_success', 'timestamptz')
        .addColumn('last_failure', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('modified_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_subscription_pk', ['tenant', 'id'])
        .execute();
      await db.schema
        .createTable('context_outbox')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('subscription_id', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('accept', 'text', (c) => c.notNull())
        .addColumn('headers', 'jsonb', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('due_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('delivered_at', 'timestamptz')
        .addColumn('failed_at', 'timestamptz')
        .addColumn('last_error', 'text')
        .execute();
      await sql`create index context_outbox_due on context_outbox (due_at) where delivered_at is null and failed_at is null`.execute(db);
      await db.schema
        .createTable('context_access_rule')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('org_id', 'uuid', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('entity_type', 'text', (c) => c.notNull())
        .addColumn('attributes', sql`text[]`)
        .addColumn('can_write', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('context_access_rule_org').on('context_access_rule').columns(['org_id', 'tenant']).execute();
    },
  },
  '20261126-11-context-hourly-rollup': {
    async up(db: Kysely<unknown>) {
      // Hourly sums of numeric history, kept with each write: hour-multiple aggregations read 60× fewer rows.
      await db.schema
        .createTable('context_history_hourly')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('attr', 'text', (c) => c.notNull())
        .addColumn('dataset_id', 'text', (c) => c.notNull())
        .addColumn('hour', 'timestamptz', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('total', 'float8', (c) => c.notNull())
        .addColumn('lo', 'float8', (c) => c.notNull())
        .addColumn('hi', 'float8', (c) => c.notNull())
        .addColumn('sumsq', 'float8', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_history_hourly_pk', ['tenant', 'entity_id', 'attr', 'dataset_id', 'hour'])
        .execute();
    },
  },
};
