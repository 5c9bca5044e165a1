import { sql, type Kysely, type Migration } from 'kysely';

const now = sql`now()`;
const uuid = sql`gen_random_uuid()`;
const emptyJson = sql`'{}'::jsonb`;
const emptyArray = sql`'[]'::jsonb`;

// Migrations see the database untyped: they must keep working after the types move on. Catalog ids (datasets,
// share grants) are kept without foreign keys: the catalog's tables are the catalog's.
export const operationMigrations: Record<string, Migration> = {
  '20261206-30-operation-registry': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operation_party')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('org_id', 'uuid', (c) => c.notNull().references('org.id'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('implementing_body','operator','market_user')`))
        .addColumn('credit_code', 'text')
        .addColumn('contact', 'text')
        .addColumn('registered_by', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addUniqueConstraint('operation_party_org_kind', ['org_id', 'kind'])
        .execute();
      // One implementing body per hub.
      await sql`create unique index operation_party_one_body on operation_party (kind) where kind = 'implementing_body'`.execute(db);

      await db.schema
        .createTable('operation_resource')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('number', 'text', (c) => c.notNull().unique())
        .addColumn('dataset_id', 'uuid', (c) => c.notNull().unique())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('provider_org_id', 'uuid', (c) => c.notNull())
        .addColumn('grade', 'text', (c) => c.notNull())
        .addColumn('general_level', 'text')
        .addColumn('share_attr', 'text', (c) => c.notNull())
        .addColumn('fields', 'jsonb', (c) => c.notNull().defaultTo(emptyArray))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('registered_by', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .execute();

      await db.schema
        .createTable('operation_licence')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('number', 'text', (c) => c.notNull().unique())
        .addColumn('operator_party_id', 'uuid', (c) => c.notNull().references('operation_party.id'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('whole','domain','scenario')`))
        .addColumn('domain', 'text')
        .addColumn('scope', 'jsonb', (c) => c.notNull())
        .addColumn('max_grade', 'text', (c) => c.notNull())
        .addColumn('max_general_level', 'text')
        .addColumn('scenarios', 'jsonb', (c) => c.notNull())
        .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
        .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
        .addColumn('quota', 'jsonb', (c) => c.notNull())
        .addColumn('fee_caps', 'jsonb', (c) => c.notNull().defaultTo(emptyJson))
        .addColumn('max_permitted_income_fen', 'bigint')
        .addColumn('distribution_basis_points', 'integer')
        .addColumn('security_obligations', 'jsonb', (c) => c.notNull().defaultTo(emptyArray))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','active','suspended','terminated','refused')`))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('applied_by', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'timestamptz', (c) => c.notNull())
        .addColumn('approved_by', 'text')
        .addColumn('approved_at', 'timestamptz')
        .addColumn('suspended_at', 'timestamptz')
        .addColumn('terminated_at', 'timestamptz')
        .addColumn('status_reason', 'text')
        .addColumn('deletion_attestation', 'jsonb')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('operation_licence_operator').on('operation_licence').column('operator_party_id').execute();

      await db.schema
        .createTable('operation_version')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'uuid', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'jsonb', (c) => c.notNull())
        .addColumn('snapshot_hash', 'text', (c) => c.notNull())
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('operation_version_pk', ['kind', 'subject_id', 'version'])
        .execute();

      await db.schema
        .createTable('operation_product')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('number', 'text', (c) => c.unique())
        .addColumn('licence_id', 'uuid', (c) => c.notNull().references('operation_licence.id'))
        .addColumn('operator_party_id', 'uuid', (c) => c.notNull().references('operation_party.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('scenario', 'text', (c) => c.notNull())
        .addColumn('dataset_id', 'uuid', (c) => c.notNull())
        .addColumn('fields', sql`text[]`, (c) => c.notNull())
        .addColumn('field_grades', 'jsonb', (c) => c.notNull())
        .addColumn('spec', 'jsonb', (c) => c.notNull())
        .addColumn('output_schema', 'jsonb', (c) => c.notNull())
        .addColumn('disclosure_rule', 'jsonb', (c) => c.notNull())
        .addColumn('price', 'jsonb')
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','registered','suspended','withdrawn','refused')`))
        .addColumn('suspended_by_licence', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('status_reason', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('submitted_by', 'text', (c) => c.notNull())
        .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
        .addColumn('registered_at', 'timestamptz')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('operation_product_licence').on('operation_product').column('licence_id').execute();

      await db.schema
        .createTable('operation_access')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('licence_id', 'uuid', (c) => c.notNull().references('operation_licence.id'))
        .addColumn('market_user_party_id', 'uuid', (c) => c.notNull().references('operation_party.id'))
        .addColumn('products', sql`uuid[]`, (c) => c.notNull())
        .addColumn('purposes', sql`text[]`, (c) => c.notNull())
        .addColumn('public_uses', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('quota', 'jsonb')
        .addColumn('api_key_id', 'uuid', (c) => c.notNull().unique())
        .addColumn('key_prefix', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active','revoked')`))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('revoked_reason', 'text')
        .execute();
      await db.schema.createIndex('operation_access_licence').on('operation_access').column('licence_id').execute();

      await db.schema
        .createTable('operation_delivery_grant')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('product_id', 'uuid', (c) => c.notNull().references('operation_product.id'))
        .addColumn('dataset_id', 'uuid', (c) => c.notNull())
        .addColumn('share_grant_id', 'uuid', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active','revoked')`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      // One active delivery grant per product: a second node racing to make one loses here and revokes its own.
      await sql`create unique index operation_delivery_grant_one_active on operation_delivery_grant (product_id) where status = 'active'`.execute(db);

      await db.schema
        .createTable('operation_quota_counter')
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('calls', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('records', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('operation_quota_counter_pk', ['holder', 'period'])
        .execute();

      await db.schema
        .createTable('operation_period_charge')
        .addColumn('access_id', 'uuid', (c) => c.notNull())
        .addColumn('product_id', 'uuid', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('operation_period_charge_pk', ['access_id', 'product_id', 'period'])
        .execute();

      await db.schema
        .createTable('operation_call')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('called_at', 'timestamptz', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('licence_id', 'uuid', (c) => c.notNull())
        .addColumn('product_id', 'uuid', (c) => c.notNull())
        .addColumn('access_id', 'uuid', (c) => c.notNull())
        .addColumn('operator_party_id', 'uuid', (c) => c.notNull())
        .addColumn('market_user_party_id', 'uuid', (c) => c.notNull())
        .addColumn('provider_org_id', 'uuid', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('use', 'text', (c) => c.notNull().check(sql`use in ('commercial','public_governance','public_welfare')`))
        .addColumn('billable', 'boolean', (c) => c.notNull())
        .addColumn('records', 'integer', (c) => c.notNull())
        .addColumn('output_units', 'integer', (c) => c.notNull())
        .addColumn('compute_ms', 'integer', (c) => c.notNull())
        .addColumn('billing_unit', 'text')
        .addColumn('unit_price_fen', 'bigint', (c) => c.notNull())
        .addColumn('units', 'integer', (c) => c.notNull())
        .addColumn('fee_fen', 'bigint', (c) => c.notNull())
        .addColumn('response_hash', 'text', (c) => c.notNull())
        .addColumn('ledger_index', 'bigint')
        // Public-interest use is never billed (发改价格〔2025〕65号).
        .addCheckConstraint('operation_call_public_free', sql`billable or fee_fen = 0`)
        .execute();
      await db.schema.createIndex('operation_call_month').on('operation_call').columns(['month', 'operator_party_id']).execute();
      await db.schema.createIndex('operation_call_user_month').on('operation_call').columns(['market_user_party_id', 'month']).execute();

      await db.schema
        .createTable('operation_release')
        .addColumn('product_id', 'uuid', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('release', 'jsonb', (c) => c.notNull())
        .addColumn('share_grant_id', 'uuid', (c) => c.notNull())
        .addColumn('released_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('operation_release_pk', ['product_id', 'period'])
        .execute();

      await db.schema
        .createTable('operation_sandbox_run')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('product_id', 'uuid', (c) => c.notNull())
        .addColumn('licence_id', 'uuid', (c) => c.notNull())
        .addColumn('access_id', 'uuid', (c) => c.notNull())
        .addColumn('market_user_party_id', 'uuid', (c) => c.notNull())
        .addColumn('call_id', 'bigint', (c) => c.notNull())
        .addColumn('query', 'jsonb', (c) => c.notNull())
        .addColumn('result', 'jsonb', (c) => c.notNull())
        .addColumn('result_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','approved','refused')`))
        .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
        .addColumn('reviewed_by', 'text')
        .addColumn('reviewed_at', 'timestamptz')
        .addColumn('reason', 'text')
        .execute();
      await db.schema.createIndex('operation_sandbox_run_status').on('operation_sandbox_run').column('status').execute();

      await db.schema
        .createTable('operation_sequence')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('operation_setting')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('operation_disclosure')
        .addColumn('year', 'integer', (c) => c.primaryKey())
        .addColumn('document', 'jsonb', (c) => c.notNull())
        .addColumn('document_hash', 'text', (c) => c.notNull())
        .addColumn('published_by', 'text', (c) => c.notNull())
        .addColumn('published_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  '20261206-31-operation-marketplace': {
    // The marketplace (issue 16): a market user applies for products, the licence's operator decides.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operation_application')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(uuid))
        .addColumn('licence_id', 'uuid', (c) => c.notNull().references('operation_licence.id'))
        .addColumn('operator_party_id', 'uuid', (c) => c.notNull().references('operation_party.id'))
        .addColumn('market_user_party_id', 'uuid', (c) => c.notNull().references('operation_party.id'))
        .addColumn('products', sql`uuid[]`, (c) => c.notNull())
        .addColumn('purposes', sql`text[]`, (c) => c.notNull())
        .addColumn('quota', 'jsonb')
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','accepted','refused','issued')`))
        .addColumn('applied_by', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'timestamptz', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('reason', 'text')
        .addColumn('access_id', 'uuid')
        .execute();
      await db.schema.createIndex('operation_application_user').on('operation_application').column('market_user_party_id').execute();
      await db.schema.createIndex('operation_application_operator').on('operation_application').columns(['operator_party_id', 'status']).execute();
    },
  },
};
