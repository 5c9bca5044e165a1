import { sql, type Kysely, type Migration } from 'kysely';

const now = sql`now()`;

// Migrations see the database untyped: they must keep working after the types move on.
export const catalogMigrations: Record<string, Migration> = {
  '20261126-10-catalog-datasets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('catalog_dataset')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('identifier', 'text', (c) => c.notNull().unique())
        .addColumn('owner_org_id', 'uuid', (c) => c.notNull().references('org.id'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('keywords', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('themes', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('share_attr', 'text', (c) => c.notNull().check(sql`share_attr in ('unconditional','conditional','not_shared')`))
        .addColumn('share_basis', 'text')
        .addColumn('share_conditions', 'text')
        .addColumn('open_attr', 'text', (c) => c.notNull().check(sql`open_attr in ('open','conditional_open','not_open')`))
        .addColumn('update_cycle', 'text', (c) => c.notNull())
        .addColumn('source_system', 'text')
        .addColumn('grade', 'text', (c) => c.notNull())
        .addColumn('general_level', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('row_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addCheckConstraint('catalog_dataset_not_shared_basis', sql`share_attr <> 'not_shared' or share_basis is not null`)
        .execute();
      await db.schema.createIndex('catalog_dataset_owner').on('catalog_dataset').column('owner_org_id').execute();

      await db.schema
        .createTable('catalog_field')
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().references('catalog_dataset.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('required', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('grade', 'text', (c) => c.notNull())
        .addColumn('general_level', 'text')
        .addColumn('personal', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('sensitive', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('subject_id', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('default_mask', 'jsonb', (c) => c.notNull().defaultTo(sql`'{"fn":"none"}'::jsonb`))
        .addPrimaryKeyConstraint('catalog_field_pk', ['dataset_id', 'name'])
        .execute();

      await db.schema
        .createTable('catalog_dataset_version')
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().references('catalog_dataset.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'jsonb', (c) => c.notNull())
        .addColumn('snapshot_hash', 'text', (c) => c.notNull())
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_dataset_version_pk', ['dataset_id', 'version'])
        .execute();

      await db.schema
        .createTable('catalog_load')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().references('catalog_dataset.id').onDelete('cascade'))
        .addColumn('data_version', 'integer', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('row_count', 'integer', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('loaded_by', 'text', (c) => c.notNull())
        .addColumn('loaded_at', 'timestamptz', (c) => c.notNull())
        .addUniqueConstraint('catalog_load_version', ['dataset_id', 'data_version'])
        .execute();

      await db.schema
        .createTable('catalog_row')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().references('catalog_dataset.id').onDelete('cascade'))
        .addColumn('from_version', 'integer', (c) => c.notNull())
        .addColumn('to_version', 'integer')
        .addColumn('subject_key', 'text')
        .addColumn('data', 'jsonb', (c) => c.notNull())
        .execute();
      // The gateway pages current rows of one dataset by id (keyset pagination).
      await sql`create index catalog_row_current on catalog_row (dataset_id, id) where to_version is null`.execute(db);
      await db.schema.createIndex('catalog_row_subject').on('catalog_row').column('subject_key').execute();

      await db.schema
        .createTable('catalog_secret')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .execute();

      await db.schema
        .createTable('catalog_citizen_link')
        .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('app_user.id').onDelete('cascade'))
        .addColumn('subject_key', 'text', (c) => c.notNull())
        .addColumn('linked_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  '20261126-11-catalog-sharing': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('share_request')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().references('catalog_dataset.id').onDelete('cascade'))
        .addColumn('consumer_org_id', 'uuid', (c) => c.notNull().references('org.id'))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('fields', sql`text[]`, (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('legal_basis', 'text', (c) => c.notNull())
        .addColumn('aggregate_only', 'boolean', (c) => c.notNull())
        .addColumn('requested_until', 'timestamptz', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('due_at', 'timestamptz', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('reason', 'text')
        .addColumn('overdue_flagged_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('share_request_dataset').on('share_request').column('dataset_id').execute();
      await db.schema.createIndex('share_request_consumer').on('share_request').column('consumer_org_id').execute();

      await db.schema
        .createTable('share_grant')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('request_id', 'uuid', (c) => c.notNull().references('share_request.id'))
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().references('catalog_dataset.id').onDelete('cascade'))
        .addColumn('consumer_org_id', 'uuid', (c) => c.notNull().references('org.id'))
        .addColumn('fields', sql`text[]`, (c) => c.notNull())
        .addColumn('masks', 'jsonb', (c) => c.notNull())
        .addColumn('row_filters', 'jsonb', (c) => c.notNull())
        .addColumn('aggregate_only', 'boolean', (c) => c.notNull())
        .addColumn('k', 'integer', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('legal_basis', 'text', (c) => c.notNull())
        .addColumn('max_rows_per_day', 'integer', (c) => c.notNull())
        .addColumn('max_calls_per_minute', 'integer', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('revoked_by', 'text')
        .addColumn('revoke_reason', 'text')
        .execute();
      await db.schema.createIndex('share_grant_consumer').on('share_grant').columns(['consumer_org_id', 'dataset_id']).execute();

      await db.schema
        .createTable('share_usage')
        .addColumn('grant_id', 'uuid', (c) => c.notNull().references('share_grant.id').onDelete('cascade'))
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('calls', 'integer', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('share_usage_pk', ['grant_id', 'day'])
        .execute();

      await db.schema
        .createTable('share_access')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('grant_id', 'uuid', (c) => c.notNull().references('share_grant.id').onDelete('cascade'))
        .addColumn('dataset_id', 'uuid', (c) => c.notNull())
        .addColumn('consumer_org_id', 'uuid', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('row_count', 'integer', (c) => c.notNull())
        .addColumn('response_hash', 'text', (c) => c.notNull())
        .addColumn('subject_keys', sql`text[]`, (c) => c.notNull())
        .addColumn('ledger_index', 'bigint')
        .addColumn('accessed_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // "Who used my data" looks up calls by one subject key among many: a GIN index on the array.
      await sql`create index share_access_subjects on share_access using gin (subject_keys)`.execute(db);
    },
  },
  '20261126-12-catalog-access-tags': {
    // A GIN index over 64-character text keys costs ~0.5 s per 10,000-row page on PostgreSQL; over 52-bit
    // integer tags (a prefix of the same keyed hash) it costs ~25 ms. Earlier rows keep no tags (pre-release).
    async up(db: Kysely<unknown>) {
      await sql`drop index share_access_subjects`.execute(db);
      await sql`alter table share_access alter column subject_keys type bigint[] using '{}'::bigint[]`.execute(db);
      await sql`alter table share_access rename column subject_keys to subject_tags`.execute(db);
      await sql`create index share_access_subject_tags on share_access using gin (subject_tags)`.execute(db);
    },
  },
  '20261206-10-catalog-privacy-budget': {
    // Disclosure control by differential privacy (issue 15, finding 3): a budget per grant, spent by aggregates.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('catalog_privacy_budget')
        .addColumn('holder', 'text', (c) => c.primaryKey())
        .addColumn('epsilon', 'double precision', (c) => c.notNull().check(sql`epsilon > 0`))
        .addColumn('delta', 'double precision', (c) => c.notNull().check(sql`delta >= 0 and delta < 1`))
        .addColumn('spent', 'double precision', (c) => c.notNull().defaultTo(0))
        .addColumn('releases', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('share_grant').addColumn('epsilon', 'double precision').execute();
      await db.schema.alterTable('share_grant').addColumn('sum_bounds', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`)).execute();
    },
  },
};
