import { chmodSync, mkdirSync, openSync, closeSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Engine = 'pglite' | 'postgres';

// int8 (counts, sums, bigserial) as JS numbers: CityHub's counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// numeric as numbers too (rates, averages); exact decimals are not needed for these.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** The slice of pg.Pool the platform calls (metrics read the counters). */
export interface PoolLike {
  query: pg.Pool['query'];
  connect: pg.Pool['connect'];
  end: pg.Pool['end'];
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface DatabaseHandle {
  engine: Engine;
  pool: PoolLike;
  db: Db;
  /**
   * For reads that may lag the primary by a moment (cockpit, KPI, catalog search, temporal queries): a streaming
   * replica when `database.readUrl` is set (DATABASE_READ_URL), else the primary's `db` itself. Never write
   * through it: a replica refuses writes.
   */
  reader: Db;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string;
  /** Folder for PGlite's files; when absent (tests) PGlite runs in memory. */
  dataDir?: string;
  /** PostgreSQL only: the schema to use (tests give each file its own). */
  searchPath?: string;
  poolMax?: number;
  /** PostgreSQL only: a read replica's connection string (the handle's `reader`). */
  readUrl?: string;
}

export class DataDirLockedError extends Error {
  constructor(readonly lockFile: string, readonly pid: number) {
    super(
      `the data folder is in use by another CityHub process (pid ${pid}); stop it first, ` +
        `or remove ${lockFile} if that process no longer exists`,
    );
    this.name = 'DataDirLockedError';
  }
}

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * PGlite is single-process: two processes writing one folder would corrupt it. A lock file holding our pid
 * makes the second one refuse cleanly; a lock left by a dead process is taken over.
 */
const acquireLock = (lockFile: string): (() => void) => {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (pid && processAlive(pid)) throw new DataDirLockedError(lockFile, pid);
      unlinkSync(lockFile);
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
};

/**
 * A folder only the service user may enter (0700): created so, and tightened when found looser (an older
 * CityHub, a copy, a umask of 022). The database's files, the ledger key and uploads stay unreadable to other
 * local users whatever the modes of the files inside.
 *
 * @example privateFolder('./data');
 */
export function privateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // Windows has no such modes; its folders inherit their ACLs.
  if (process.platform === 'win32') return;
  if ((statSync(folder).mode & 0o077) !== 0) chmodSync(folder, 0o700);
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  let release = (): void => {};
  let pglite;
  if (dataDir) {
    privateFolder(dataDir);
    release = acquireLock(path.join(dataDir, 'pglite.lock'));
    try {
      privateFolder(path.join(dataDir, 'pgdata'));
      pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pgdata') });
    } catch (err) {
      release();
      throw err;
    }
  } else {
    pglite = await PGlite.create();
  }
  // PGlite has one connection; the pool keeps it open for the life of the process (no idle reaping).
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, idleTimeoutMillis: 0 } as pg.PoolConfig);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: 'pglite',
    pool,
    db,
    reader: db,
    async close() {
      await db.destroy();
      await pglite.close();
      release();
    },
  };
}

/** A pool and its Kysely on one PostgreSQL server. */
function postgresPool(url: string, searchPath: string | undefined, max: number): { pool: pg.Pool; db: Db } {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    ...(searchPath ? { options: `-c search_path=${searchPath}` } : {}),
  });
  // An idle client's network error must not crash the process; the pool replaces the client.
  pool.on('error', () => {});
  return { pool, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}

function openPostgres(url: string, searchPath: string | undefined, max: number, readUrl: string | undefined): DatabaseHandle {
  const { pool, db } = postgresPool(url, searchPath, max);
  const reader = readUrl ? postgresPool(readUrl, searchPath, max).db : db;
  return {
    engine: 'postgres',
    pool,
    db,
    reader,
    async close() {
      await db.destroy();
      if (reader !== db) await reader.destroy();
    },
  };
}

/**
 * Opens the pool the whole app uses: PostgreSQL when a URL is given, the embedded PGlite otherwise; with
 * `readUrl`, a second pool on a read replica for the reads that may lag (`reader`).
 *
 * @example const { db, close } = await openDatabase({ dataDir: './data' });
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.readUrl && !options.databaseUrl) {
    throw new Error('database.readUrl (DATABASE_READ_URL) names a PostgreSQL read replica: set DATABASE_URL to its primary too');
  }
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.searchPath, options.poolMax ?? 10, options.readUrl);
  return openPglite(options.dataDir);
}
