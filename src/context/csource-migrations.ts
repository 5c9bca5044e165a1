import { sql, type Kysely, type Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const csourceMigrations: Record<string, Migration> = {
  '20261220-01-context-csources': {
    async up(db: Kysely<unknown>) {
      // Registrations are few (a city's sources, not its devices): matched in TypeScript from the tenant's list.
      await db.schema
        .createTable('context_csource_registration')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('body', 'jsonb', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('modified_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_csource_registration_pk', ['tenant', 'id'])
        .execute();
      await db.schema
        .createTable('context_csource_subscription')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('body', 'jsonb', (c) => c.notNull())
        .addColumn('active', 'boolean', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('modified_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_csource_subscription_pk', ['tenant', 'id'])
        .execute();
      await db.schema
        .createTable('context_remote_subscription')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('subscription_id', 'text', (c) => c.notNull())
        .addColumn('registration_id', 'text', (c) => c.notNull())
        .addColumn('remote_url', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await sql`create index context_remote_subscription_local on context_remote_subscription (tenant, subscription_id)`.execute(db);
    },
  },
  '20261206-01-context-entity-maps': {
    async up(db: Kysely<unknown>) {
      // Entity maps (§5.14, v1.9): the ids a query selected, here ("@none") and per registration, kept until
      // they expire so clients page through one stable list.
      await db.schema
        .createTable('context_entity_map')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('body', 'jsonb', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('context_entity_map_pk', ['tenant', 'id'])
        .execute();
      await sql`create index context_entity_map_expiry on context_entity_map (expires_at)`.execute(db);
    },
  },
  '20261222-01-context-csource-subscription-period': {
    async up(db: Kysely<unknown>) {
      // Periodic (timeInterval) subscriptions to registrations: when the last period was claimed (by any node).
      await db.schema.alterTable('context_csource_subscription').addColumn('last_notification', 'timestamptz').execute();
    },
  },
  '20261223-01-context-csource-subscription-status': {
    async up(db: Kysely<unknown>) {
      // §5.2.14 delivery members of subscriptions to registrations (timesSent, lastSuccess…), as entity subscriptions keep them.
      await db.schema.alterTable('context_csource_subscription')
        .addColumn('times_sent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('times_failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_success', 'timestamptz')
        .addColumn('last_failure', 'timestamptz')
        .execute();
    },
  },
};
