import { sql, type Kysely, type Migration } from 'kysely';

// Migrations see the database untyped: they must keep working after the types move on.
export const authMigrations: Record<string, Migration> = {
  '20261126-01-auth-identity': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('org')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('credit_code', 'text', (c) => c.unique())
        .addColumn('parent_id', 'uuid', (c) => c.references('org.id'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('app_user')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('org_id', 'uuid', (c) => c.references('org.id'))
        .addColumn('roles', sql`text[]`, (c) => c.notNull())
        .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('auth_session')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('api_key')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('org_id', 'uuid', (c) => c.references('org.id'))
        .addColumn('roles', sql`text[]`, (c) => c.notNull())
        .addColumn('created_by', 'uuid')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('last_used_at', 'timestamptz')
        .execute();
    },
  },
  // `operator` meant both the market operator of public data and the metrics reader: split, keeping each holder's access.
  '20261206-01-auth-split-operator-role': {
    async up(db: Kysely<unknown>) {
      for (const table of ['app_user', 'api_key']) {
        await sql`update ${sql.table(table)} set roles = array_remove(roles, 'operator') || array['market_operator', 'ops']::text[]
                  where 'operator' = any(roles)`.execute(db);
      }
    },
  },
  // 等保 2.0 level 3 identity: forced password change, password history, idle sessions, pending sessions, TOTP.
  '20261206-21-auth-identity-controls': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('app_user')
        .addColumn('must_change_password', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema.alterTable('app_user')
        .addColumn('password_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.alterTable('auth_session')
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.alterTable('auth_session').addColumn('pending', 'text').execute();
      await db.schema
        .createTable('auth_password_history')
        .addColumn('user_id', 'uuid', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('auth_password_history_user').on('auth_password_history').columns(['user_id', 'created_at']).execute();
      await db.schema
        .createTable('auth_totp')
        .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('app_user.id').onDelete('cascade'))
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('confirmed_at', 'timestamptz')
        .addColumn('last_step', 'bigint')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
};
