import { sql, type Kysely, type Migration } from 'kysely';

export const hotlineMigrations: Record<string, Migration> = {
  '20261126-10-hotline-core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_area')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('parent_id', 'uuid', (c) => c.references('hotline_area.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('org_id', 'uuid', (c) => c.references('org.id'))
        .addColumn('center_lon', 'double precision')
        .addColumn('center_lat', 'double precision')
        .execute();
      await db.schema
        .createTable('hotline_category')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('level1', 'text', (c) => c.notNull())
        .addColumn('level2', 'text')
        .addColumn('level3', 'text')
        .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
        .execute();
      await db.schema
        .createTable('hotline_ticket')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('number', 'text', (c) => c.notNull().unique())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('citizen_name', 'text')
        .addColumn('citizen_phone', 'text')
        .addColumn('citizen_user_id', 'uuid')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('lon', 'double precision')
        .addColumn('lat', 'double precision')
        .addColumn('area_id', 'uuid', (c) => c.references('hotline_area.id'))
        .addColumn('district_id', 'uuid', (c) => c.references('hotline_area.id'))
        .addColumn('category_id', 'uuid', (c) => c.references('hotline_category.id'))
        .addColumn('urgency', 'text', (c) => c.notNull())
        .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('attachments', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('unit_id', 'uuid', (c) => c.references('org.id'))
        .addColumn('main_ticket_id', 'uuid', (c) => c.references('hotline_ticket.id'))
        .addColumn('supervised', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('sign_overdue', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('overdue', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('deadline_warning', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('return_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reopen_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reply_text', 'text')
        .addColumn('result', 'text')
        .addColumn('visit_contacted', 'boolean')
        .addColumn('visit_solved', 'boolean')
        .addColumn('satisfaction', 'text')
        .addColumn('likes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('source', 'text')
        .addColumn('external_id', 'text')
        .addColumn('open311_token', 'text', (c) => c.unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('dispatched_at', 'timestamptz')
        .addColumn('sign_due_at', 'timestamptz')
        .addColumn('accepted_at', 'timestamptz')
        .addColumn('due_at', 'timestamptz')
        .addColumn('answered_at', 'timestamptz')
        .addColumn('visited_at', 'timestamptz')
        .addColumn('closed_at', 'timestamptz')
        .addUniqueConstraint('hotline_ticket_source_external_id', ['source', 'external_id'])
        .execute();
      // KPI by unit / district / category over a period of return visits; queues by unit and status.
      await db.schema.createIndex('hotline_ticket_unit_visited').on('hotline_ticket').columns(['unit_id', 'visited_at']).execute();
      await db.schema.createIndex('hotline_ticket_district_visited').on('hotline_ticket').columns(['district_id', 'visited_at']).execute();
      await db.schema.createIndex('hotline_ticket_category_visited').on('hotline_ticket').columns(['category_id', 'visited_at']).execute();
      await db.schema.createIndex('hotline_ticket_status_unit').on('hotline_ticket').columns(['status', 'unit_id']).execute();
      await db.schema.createIndex('hotline_ticket_created').on('hotline_ticket').column('created_at').execute();
      await db.schema.createIndex('hotline_ticket_main').on('hotline_ticket').column('main_ticket_id').execute();
      await db.schema
        .createTable('hotline_ticket_event')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('actor_org_id', 'uuid')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text')
        .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .execute();
      await db.schema.createIndex('hotline_ticket_event_ticket').on('hotline_ticket_event').columns(['ticket_id', 'id']).execute();
      await db.schema
        .createTable('hotline_routing_rule')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('category_id', 'uuid', (c) => c.references('hotline_category.id'))
        .addColumn('area_id', 'uuid', (c) => c.references('hotline_area.id'))
        .addColumn('unit_id', 'uuid', (c) => c.notNull().references('org.id'))
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('hotline_ticket_counter')
        .addColumn('day', 'text', (c) => c.primaryKey())
        .addColumn('last', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('hotline_import_run')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('file_sha256', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('rows_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rows_imported', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rows_bad', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('finished_at', 'timestamptz')
        .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  // Workflow, routing and deadlines (issue 3): added columns and indexes; the first migration is never edited.
  '20261126-11-hotline-workflow': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_ticket').addColumn('return_reason', 'text').execute();
      // One node per path, so `cityhub taxonomy import` can upsert (nulls would not collide in a plain unique index).
      await sql`create unique index hotline_category_path on hotline_category (level1, coalesce(level2, ''), coalesce(level3, ''))`.execute(db);
      await sql`create unique index hotline_area_parent_name on hotline_area (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), name)`.execute(db);
      await db.schema.createIndex('hotline_routing_rule_match').on('hotline_routing_rule').columns(['category_id', 'area_id']).execute();
      await db.schema.createIndex('hotline_ticket_citizen').on('hotline_ticket').column('citizen_user_id').execute();
      // The deadline job's three updates read only open tickets; partial indexes keep that cheap at millions of rows.
      await sql`create index hotline_ticket_sign_due on hotline_ticket (sign_due_at) where status = 'dispatched'`.execute(db);
      await sql`create index hotline_ticket_due on hotline_ticket (due_at) where status in ('accepted', 'in_progress')`.execute(db);
    },
  },
  // Issue 15, finding 9: only tickets filed for publication appear in the public Open311 feed. Tickets that came in
  // through Open311 were filed into a public API, so they are public; every other ticket is private.
  '20261215-10-hotline-public-requests': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_ticket').addColumn('public', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
      await sql`update hotline_ticket set public = true where channel = 'open311'`.execute(db);
      // The feed reads public tickets by date, newest first.
      await sql`create index hotline_ticket_public_created on hotline_ticket (created_at) where public`.execute(db);
    },
  },
  // Issue 17: a supervision (督办) has a level and a deadline of its own, shown in the workbench.
  '20261216-10-hotline-supervision-level': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_ticket')
        .addColumn('supervision_level', 'text')
        .addColumn('supervision_due_at', 'timestamptz')
        .execute();
    },
  },
  // Issue 18: Open311 echoes the `address_id` a client filed with (GET requests), so it is kept as sent.
  '20261220-10-hotline-open311-address-id': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_ticket').addColumn('open311_address_id', 'text').execute();
    },
  },
  // Issue 21: the citizen's phone may be encrypted at rest (random IV: equal phones differ), so a keyed hash of
  // its digits stands beside it for duplicates and lookups (src/hotline/ticket-personal-fields.ts).
  '20261221-10-hotline-citizen-phone-hash': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_ticket').addColumn('citizen_phone_hash', 'text').execute();
      await db.schema.createIndex('hotline_ticket_citizen_phone_hash').on('hotline_ticket').column('citizen_phone_hash').execute();
    },
  },
  // Issue 18: Open311's servicerequestupdates reads timeline steps by time (FixMyStreet polls the last hours).
  '20261220-11-hotline-event-at': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('hotline_ticket_event_at').on('hotline_ticket_event').column('at').execute();
    },
  },
  // Issue 17, the citizen loop: photos stored in the database (any node serves them), "+1 / 关注" once per
  // citizen, notices to citizens (the in-app list and the outbox of the SMS / WeChat adapters).
  '20261206-10-hotline-citizen-loop': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_photo')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('uploaded_by', 'uuid', (c) => c.notNull())
        .addColumn('ticket_id', 'uuid', (c) => c.references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('mime', 'text', (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bytea', (c) => c.notNull())
        .addColumn('thumb_mime', 'text', (c) => c.notNull())
        .addColumn('thumb', 'bytea', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hotline_photo_ticket').on('hotline_photo').column('ticket_id').execute();
      await db.schema
        .createTable('hotline_ticket_follow')
        .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('hotline_ticket_follow_pk', ['ticket_id', 'user_id'])
        .execute();
      await db.schema.createIndex('hotline_ticket_follow_user').on('hotline_ticket_follow').column('user_id').execute();
      await db.schema
        .createTable('hotline_notice')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('user_id', 'uuid', (c) => c.notNull())
        .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('read_at', 'timestamptz')
        .addColumn('delivered_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('hotline_notice_user').on('hotline_notice').columns(['user_id', 'created_at']).execute();
      // the delivery job reads the undelivered ones only
      await sql`create index hotline_notice_outbox on hotline_notice (created_at) where delivered_at is null`.execute(db);
    },
  },
  // Issue 20: a node claims the notices it sends (until the lease ends), so two nodes never send one twice.
  '20261206-61-hotline-notice-lease': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('hotline_notice').addColumn('lease_until', 'timestamptz').execute();
    },
  },
  // Issue 20: the intake's Idempotency-Key, in the database so a retry reaching another node finds the first filing.
  '20261207-32-hotline-intake-key': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hotline_intake_key')
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('idem_key', 'text', (c) => c.notNull())
        .addColumn('body_hash', 'text', (c) => c.notNull())
        .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('hotline_ticket.id').onDelete('cascade'))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('hotline_intake_key_pk', ['caller', 'idem_key'])
        .execute();
      await db.schema.createIndex('hotline_intake_key_ticket').on('hotline_intake_key').column('ticket_id').execute();
    },
  },
  // Issue 20: the intake claims its Idempotency-Key and links the filer's photos to the ticket's id before it takes
  // the day's number (the counter row is then held for fewer round trips); the ticket row follows in the same
  // transaction, so these references are checked at commit.
  '20261207-75-hotline-deferred-ticket-refs': {
    async up(db: Kysely<unknown>) {
      await sql`alter table hotline_intake_key alter constraint hotline_intake_key_ticket_id_fkey deferrable initially deferred`.execute(db);
      await sql`alter table hotline_photo alter constraint hotline_photo_ticket_id_fkey deferrable initially deferred`.execute(db);
    },
  },
  // Issue 20: every node's similar-case index reads the tickets changed since its last refresh, every few seconds;
  // without this index each refresh read the whole table (millions of rows in a megacity).
  '20261207-90-hotline-ticket-updated': {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('hotline_ticket_updated').on('hotline_ticket').columns(['updated_at', 'id']).execute();
    },
  },
  // Issue 20: the workbench's queues over millions of tickets (bench/hotline/ticket-list.bench.ts). The open
  // tickets by deadline, city-wide and per unit, walk an index of the open tickets alone (closed ones would
  // otherwise be passed by the million); 督办 and 超期 are a small share, indexed alone. The predicates are the
  // list's literal conditions (ticket-store.ts `filtered`).
  '20261207-91-hotline-ticket-queues': {
    async up(db: Kysely<unknown>) {
      const open = sql<boolean>`status not in ('closed', 'merged')`;
      await db.schema.createIndex('hotline_ticket_open_due').on('hotline_ticket').columns(['due_at', 'created_at', 'id']).where(open).execute();
      await db.schema.createIndex('hotline_ticket_open_unit_due').on('hotline_ticket').columns(['unit_id', 'due_at', 'created_at', 'id']).where(open).execute();
      await db.schema.createIndex('hotline_ticket_supervised').on('hotline_ticket').columns(['created_at']).where(sql<boolean>`supervised`).execute();
      await db.schema.createIndex('hotline_ticket_overdue').on('hotline_ticket').columns(['unit_id', 'created_at']).where(sql<boolean>`overdue`).execute();
    },
  },
  // Issue 20: the list's search box over millions of tickets. `ilike '%…%'` can use no b-tree, so a rare word read
  // the whole table (seconds at 2 M tickets). The characters of a ticket's lower-cased number, title and content go
  // into a GIN index; a search first takes the tickets holding every character of the searched text, then checks
  // those with the `ilike` itself. Characters, not pg_trgm's trigrams: most Chinese words are two characters, which
  // give no trigram; and `string_to_array` is built in and cheap where the planner checks rows without the index
  // (a common word), where a function making bigrams cost ten times as much per row. The expression is the list's
  // own (ticket-store.ts TEXT_CHARACTERS). `if not exists`: a large database builds it beforehand, concurrently
  // (docs/deploy/README.md, Upgrading), instead of holding ticket writes for the build.
  '20261207-95-hotline-ticket-text-characters': {
    async up(db: Kysely<unknown>) {
      await sql`create index if not exists hotline_ticket_text_characters on hotline_ticket using gin (string_to_array(lower(number || ' ' || title || ' ' || content), null))`.execute(db);
    },
  },
};
