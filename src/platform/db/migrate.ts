import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Db } from './database.js';

export type Migrations = Record<string, Migration>;

/** A module's (or a platform part's) migrations, under the name of their owner. */
export interface OwnedMigrations {
  owner: string;
  migrations: Migrations;
}

const NAME = /^\d{8}-\d{2}-[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Every owner's migrations in one set. A name must read `YYYYMMDD-NN-…-<owner>-what` (the owner's name is one
 * of its words) and may be used once: a collision would silently drop one migration, so it fails naming both.
 */
export function gatherMigrations(sets: OwnedMigrations[]): Migrations {
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const { owner, migrations } of sets) {
    for (const name of Object.keys(migrations)) {
      if (!NAME.test(name) || !name.split('-').slice(2).includes(owner)) {
        problems.push(`migration "${name}" of ${owner}: name it YYYYMMDD-NN-${owner}-what`);
      }
      const other = owners.get(name);
      if (other) problems.push(`migration "${name}" is declared by both ${other} and ${owner}`);
      owners.set(name, owner);
    }
  }
  if (problems.length > 0) throw new Error(`migrations:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return Object.fromEntries(sets.flatMap((s) => Object.entries(s.migrations)));
}

/**
 * Brings the schema to the latest version. Migration names are `YYYYMMDD-NN-module-what`, so the order is
 * by date across modules. Nodes starting together (a rolling upgrade, three pods at once) migrate one after the
 * other: the whole run, the creation of Kysely's own tables included (which can race on PostgreSQL), holds an
 * advisory lock named for the schema, on the one connection that migrates; the next node then finds nothing to do.
 */
export async function migrateToLatest(db: Db, migrations: Migrations): Promise<MigrationResultSet> {
  const result = await db.connection().execute(async (conn) => {
    // Name the schema: without it Kysely looks for its lock table in ANY schema and, finding another schema's
    // (tests and nodes sharing one PostgreSQL), skips creating its own.
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(conn);
    const schema = rows[0].schema;
    // hashtext: the lock is an integer; one per schema, so cities (or test files) sharing a server do not wait on each other
    await sql`select pg_advisory_lock(hashtext(${`cityhub.migrate.${schema}`}))`.execute(conn);
    try {
      const migrator = new Migrator({
        db: withOwnSchemaIntrospection(conn, schema),
        migrationTableSchema: schema,
        provider: { getMigrations: async () => migrations },
        allowUnorderedMigrations: true,
      });
      return await migrator.migrateToLatest();
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${`cityhub.migrate.${schema}`}))`.execute(conn);
    }
  });
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const error = result.error as Error;
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error.message}`, { cause: error });
  }
  return result;
}

/**
 * Kysely's migrator asks whether its tables exist by listing every table of every schema, with functions that
 * fail ("schema … does not exist") when another schema is dropped meanwhile, as tests and cities sharing one
 * PostgreSQL do. It only needs its own schema, so it is given an introspection that looks there alone.
 */
function withOwnSchemaIntrospection<DB>(db: Kysely<DB>, schema: string): Kysely<DB> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => {
      const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return rows;
    },
    getTables: async () => {
      const { rows } = await sql<{ name: string }>`select c.relname as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relkind in ('r', 'p')`.execute(db);
      return rows.map(({ name }) => ({ name, schema, isView: false, columns: [] }));
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  };
  return new Proxy(db, {
    get(target, key) {
      if (key === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, key, target);
      // Kysely keeps its state in private fields, reachable only with the real instance as `this`
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
