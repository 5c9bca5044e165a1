import { sql, type Kysely, type Migration } from 'kysely';
import { partitionExistingTable } from '../platform/db/partitions.js';

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
  '20261126-12-context-history-per-change': {
    async up(db: Kysely<unknown>) {
      // One history row per entity change instead of one per attribute instance: a 100-entity × 10-attribute
      // batch writes 100 rows, not 1,000 (and no rollup upsert: that moved off the write path, see `rolled`).
      await sql`alter table context_history rename to context_history_v1`.execute(db);
      await sql`drop index context_history_lookup`.execute(db);
      await sql`drop index context_history_recorded`.execute(db);
      await db.schema
        .createTable('context_history')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
        .addColumn('obs_min', 'timestamptz', (c) => c.notNull())
        .addColumn('obs_max', 'timestamptz', (c) => c.notNull())
        .addColumn('attrs', 'jsonb', (c) => c.notNull())
        .addColumn('deleted', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('rolled', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema.createIndex('context_history_entity').on('context_history').columns(['tenant', 'entity_id', 'obs_min']).execute();
      // Rows still to fold into the hourly rollup: few at any time, so a small partial index.
      await sql`create index context_history_unrolled on context_history (tenant, entity_id) where not rolled`.execute(db);
      // Retention deletes by write time, which grows with insertion order: BRIN costs next to nothing to keep.
      await sql`create index context_history_recorded on context_history using brin (recorded_at)`.execute(db);
      // Existing history: the rows of one change (same entity and write time) become one row. The old write
      // path kept the rollup up to date, so they count as rolled up.
      await sql`
        insert into context_history (tenant, entity_id, recorded_at, obs_min, obs_max, attrs, deleted, rolled)
        select tenant, entity_id, recorded_at, min(lo), max(hi),
          coalesce(jsonb_object_agg(attr, insts) filter (where insts is not null), '{}'::jsonb),
          coalesce(array_agg(attr) filter (where del), '{}'::text[]), true
        from (
          select tenant, entity_id, recorded_at, attr, min(observed_at) as lo, max(observed_at) as hi,
            jsonb_agg(instance order by id) filter (where not deleted) as insts, bool_or(deleted) as del
          from context_history_v1 group by tenant, entity_id, recorded_at, attr
        ) a
        group by tenant, entity_id, recorded_at`.execute(db);
      await sql`drop table context_history_v1`.execute(db);
      // Room on each page for the next version of a row: an update that changes attributes but not the type or
      // the location box stays on its page (HOT) and writes no index entry.
      await sql`alter table context_entity set (fillfactor = 70)`.execute(db);
    },
  },
  '20261126-13-context-attr-timestamps': {
    async up(db: Kysely<unknown>) {
      // Attribute timestamps move out of the instances where the entity's own hold them (entity-store storedForm),
      // so a batch upsert can replace instances without reading them. Stored rows need no conversion: a
      // timestamp kept in an instance wins when read, and the next write stores the row in the new form
      // (attr_sig stays null until then, so the fast upsert leaves those rows to the merging path).
      await sql`alter table context_entity add column attr_created jsonb, add column attr_sig text`.execute(db);
    },
  },
  '20261215-01-context-subscription-owner': {
    async up(db: Kysely<unknown>) {
      // Subscriptions belong to the actor that made it (issue 15): only it (and admins) see and change it, its
      // access rules filter what it is sent, and subscriptions are counted per owner in every tenant.
      await sql`alter table context_subscription add column owner text`.execute(db);
      await sql`create index context_subscription_owner on context_subscription (owner)`.execute(db);
    },
  },
  '20261206-01-context-jsonld-hosted': {
    async up(db: Kysely<unknown>) {
      // @contexts CityHub hosts for its clients (issue 18, NGSI-LD §5.13): global, not per tenant, as the spec has them.
      await sql`create table context_jsonld (id text primary key, body jsonb not null, created_at timestamptz not null default now())`.execute(db);
    },
  },
  '20261206-10-context-history-partitions': {
    async up(db: Kysely<unknown>) {
      // A megacity's history grows by billions of rows (issue 20): on PostgreSQL, one partition per month of write
      // time, so retention drops whole months instead of deleting rows and each month's indexes stay small. The
      // primary key must hold the partition key; nothing references these ids (the temporal writes find a row by
      // id, which stays unique: one sequence). PGlite keeps the plain table.
      await partitionExistingTable(db, {
        table: 'context_history',
        column: 'recorded_at',
        idColumn: 'id',
        async create(db, sequence) {
          await sql`create table context_history (
            id bigint not null default nextval(${sequence}), tenant text not null, entity_id text not null,
            recorded_at timestamptz not null, obs_min timestamptz not null, obs_max timestamptz not null, attrs jsonb not null,
            deleted text[] not null default '{}', rolled boolean not null default false,
            constraint context_history_pkey primary key (id, recorded_at)
          ) partition by range (recorded_at)`.execute(db);
          await sql`create index context_history_entity on context_history (tenant, entity_id, obs_min)`.execute(db);
          await sql`create index context_history_unrolled on context_history (tenant, entity_id) where not rolled`.execute(db);
          await sql`create index context_history_recorded on context_history using brin (recorded_at)`.execute(db);
        },
      });
    },
  },
  '20261207-01-context-hourly-covering-key': {
    async up(db: Kysely<unknown>) {
      // The rollup's values in its primary key's leaves (INCLUDE): a month of hours for an entity is read from a
      // few adjacent index pages (an index-only scan) instead of one heap page per hour, since the rollup job
      // writes each hour's rows of every entity together (issue 20: a month of hourly averages for 100 entities
      // of 2,000 rows each, p50 1,300 → 476 ms in the temporal megacity bench on a loaded machine).
      await sql`alter table context_history_hourly drop constraint context_history_hourly_pk`.execute(db);
      await sql`alter table context_history_hourly add constraint context_history_hourly_pk
        primary key (tenant, entity_id, attr, dataset_id, hour) include (n, total, lo, hi, sumsq)`.execute(db);
    },
  },
  '20261207-31-context-hourly-key-hour-before-dataset': {
    async up(db: Kysely<unknown>) {
      // The hour before the datasetId in the rollup's key: a query names the entity and the attribute but not the
      // datasetIds, so with the datasetId before the hour the window's bounds could not narrow the scan and every
      // hour of the entity's attribute was read (EXPLAIN of a month over 100 entities, 4 months kept: 6,680 index
      // pages read, 1,635 with this key). The same columns: ON CONFLICT (… dataset_id, hour) still finds it.
      await sql`alter table context_history_hourly drop constraint context_history_hourly_pk`.execute(db);
      await sql`alter table context_history_hourly add constraint context_history_hourly_pk
        primary key (tenant, entity_id, attr, hour, dataset_id) include (n, total, lo, hi, sumsq)`.execute(db);
    },
  },
  '20261207-40-context-jsonld-kind': {
    async up(db: Kysely<unknown>) {
      // §5.13: besides the contexts added by POST /jsonldContexts (Hosted), the ones CityHub makes itself for a
      // request whose @context is a list or an object (ImplicitlyCreated), so a subscription can name it by URL.
      await sql`alter table context_jsonld add column kind text not null default 'Hosted'`.execute(db);
    },
  },
  '20261207-50-context-entity-expiry': {
    async up(db: Kysely<unknown>) {
      // v1.9 expiresAt of an entity (shown with sysAttrs) and when the entity or one of its attribute instances
      // expires next: the expiry job reads the due rows by this partial index, never the whole table.
      await sql`alter table context_entity add column expires_at timestamptz, add column expiry_due timestamptz`.execute(db);
      await sql`create index context_entity_expiry on context_entity (expiry_due) where expiry_due is not null`.execute(db);
    },
  },
  // Issue 20: every change in a tenant is matched against its subscriptions; reading them all on every upsert made
  // a tenant with 1,000 subscriptions write 0.12× as fast. Each node keeps them and reads this one row instead,
  // which a trigger bumps on every change of what matching reads (not on the delivery counters), whoever writes.
  '20261207-96-context-subscription-version': {
    async up(db: Kysely<unknown>) {
      await sql`create table context_subscription_version (tenant text primary key, version bigint not null)`.execute(db);
      await sql`
        create function context_subscription_bump() returns trigger language plpgsql as $$
        begin
          if tg_op = 'TRUNCATE' then
            update context_subscription_version set version = version + 1;
            return null;
          end if;
          insert into context_subscription_version as v (tenant, version)
            values (case when tg_op = 'DELETE' then old.tenant else new.tenant end, 1)
          on conflict (tenant) do update set version = v.version + 1;
          return null;
        end $$`.execute(db);
      // Not on the delivery counters (times_sent, last_notification, …): a delivery changes nothing matching reads.
      await sql`create trigger context_subscription_bump after insert or delete or update of tenant, body, active, expires_at, throttling
        on context_subscription for each row execute function context_subscription_bump()`.execute(db);
      await sql`create trigger context_subscription_truncate_bump after truncate on context_subscription
        for each statement execute function context_subscription_bump()`.execute(db);
    },
  },
};
