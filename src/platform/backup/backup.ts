import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Db } from '../db/database.js';
import * as store from './backup-store.js';

/** The first line of a backup file. */
export interface BackupManifest {
  format: 'cityhub-backup/v1';
  createdAt: string;
  engine: string;
  /** The schema version: every migration applied, by name. A restore needs the same set. */
  migrations: string[];
  /** Every table with its row count at the backup's snapshot, in load order (parents first). */
  tables: { name: string; rows: number }[];
  /** The ledger at the snapshot: `ledger verify` on the restored database must find exactly this. */
  ledger: { size: number; mode: string };
}

const PAGE = 1000;

/**
 * Tables ordered parents first; a foreign key to the table itself or to one not loaded yet (a cycle) is
 * "deferred": its columns are loaded empty and set in a second pass, when every row exists.
 */
export function loadOrder(tables: string[], fks: { child: string; parent: string; columns: string[] }[]) {
  const order: string[] = [];
  const deferred = new Map<string, string[]>();
  const remaining = new Set(tables);
  const parentsOf = (t: string) => fks.filter((f) => f.child === t && f.parent !== t && remaining.has(f.parent));
  while (remaining.size > 0) {
    const ready = [...remaining].filter((t) => parentsOf(t).length === 0).sort();
    // A cycle: take the first table and defer its keys into the rest of the cycle.
    const next = ready.length > 0 ? ready : [[...remaining].sort()[0]];
    for (const t of next) {
      remaining.delete(t);
      order.push(t);
    }
  }
  for (const t of order) {
    const loaded = new Set(order.slice(0, order.indexOf(t)));
    const cols = fks.filter((f) => f.child === t && !loaded.has(f.parent)).flatMap((f) => f.columns);
    if (cols.length > 0) deferred.set(t, [...new Set(cols)]);
  }
  return { order, deferred };
}

/**
 * Writes a consistent backup of the whole schema to `file` (gzip, JSON lines): every table read in ONE
 * REPEATABLE READ transaction, so the copy is the database at one instant while writes go on — on PostgreSQL
 * other connections keep writing; on PGlite (one connection) they wait for the copy. The last line holds the
 * SHA-256 of everything before it.
 *
 * @example const manifest = await writeBackup(db, 'cityhub-20261206.backup.gz', 'postgres', new Date());
 */
export async function writeBackup(db: Db, file: string, engine: string, now: Date): Promise<BackupManifest> {
  const out = createWriteStream(file, { mode: 0o600 });
  try {
    return await streamBackup(db, out, engine, now);
  } catch (err) {
    out.destroy();
    throw err;
  }
}

/**
 * The backup as a gzip stream into `out` (a file, or the socket of a `cityhub backup` asking the serving process,
 * backup-socket.ts); resolves when `out` has taken all of it. On failure `out` is left to the caller to destroy:
 * the reader then finds no trailer and refuses the copy.
 */
export async function streamBackup(db: Db, out: Writable, engine: string, now: Date): Promise<BackupManifest> {
  const gzip = createGzip();
  gzip.pipe(out);
  const hash = createHash('sha256');
  const write = async (line: string) => {
    const text = `${line}\n`;
    hash.update(text, 'utf8');
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  const copy = db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const tables = await store.listTables(trx);
    const { order } = loadOrder(tables, await store.listForeignKeys(trx));
    const counts = [];
    for (const name of order) counts.push({ name, rows: await store.countRows(trx, name) });
    const head = await trx.selectFrom('ledger_head').select(['size', 'mode']).executeTakeFirst();
    const m: BackupManifest = {
      format: 'cityhub-backup/v1', createdAt: now.toISOString(), engine, migrations: await store.listMigrationNames(trx),
      tables: counts, ledger: { size: Number(head?.size ?? 0), mode: head?.mode ?? 'standard' },
    };
    await write(JSON.stringify(m));
    for (const { name, rows } of counts) {
      await write(JSON.stringify({ table: name, rows }));
      for (let offset = 0; offset < rows; offset += PAGE) {
        for (const row of await store.pageRows(trx, name, offset, PAGE)) await write(row);
      }
    }
    return m;
  });
  let manifest: BackupManifest;
  try {
    manifest = await copy;
  } catch (err) {
    gzip.unpipe(out);
    gzip.destroy();
    throw err;
  }
  gzip.end(`${JSON.stringify({ end: true, sha256: hash.digest('hex') })}\n`);
  await finished(out);
  return manifest;
}

/**
 * Reads a backup file through and checks its checksum: the manifest when the file is whole, a BackupError naming
 * what is wrong otherwise (a copy cut short in transfer, a damaged file). Restoring checks the same again.
 *
 * @example const { tables, ledger } = await checkBackup('cityhub.backup.gz');
 */
export async function checkBackup(file: string): Promise<BackupManifest> {
  const hash = createHash('sha256');
  let manifest: BackupManifest | undefined;
  // the checksum is the last line: each line is hashed once the next one shows it was not the last
  let last: string | undefined;
  try {
    for await (const line of lines(file)) {
      if (last !== undefined) hash.update(`${last}\n`, 'utf8');
      manifest ??= parseManifest(file, line);
      last = line;
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file} is damaged: ${(err as Error).message}`);
  }
  if (!manifest) throw new BackupError(`${file} is not a CityHub backup (empty)`);
  let trailer: { end?: boolean; sha256?: string } = {};
  try {
    trailer = JSON.parse(last!) as typeof trailer;
  } catch {
    // not JSON: cut short mid-line
  }
  if (!trailer.end) throw new BackupError(`${file} is cut short: it has no checksum line`);
  if (trailer.sha256 !== hash.digest('hex')) throw new BackupError(`${file} is damaged: its checksum does not match`);
  return manifest;
}

const parseManifest = (file: string, line: string | undefined): BackupManifest => {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(line ?? '') as BackupManifest;
  } catch {
    throw new BackupError(`${file} is not a CityHub backup (no manifest line)`);
  }
  if (manifest.format !== 'cityhub-backup/v1') throw new BackupError(`${file} is not a CityHub backup (format ${String(manifest.format)})`);
  return manifest;
};

export class BackupError extends Error {
  override name = 'BackupError';
}

/** Reads a backup's lines one at a time (the file can be larger than memory). */
async function* lines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file).pipe(createGunzip());
  for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line !== '') yield line;
}

/**
 * Loads a backup into a migrated database at the same schema version, replacing everything in it, in one
 * transaction: nothing is left half-restored when the file is damaged (its checksum or a count is checked
 * before the commit). Returns the manifest.
 *
 * @example await migrateToLatest(db, allMigrations()); const m = await restoreBackup(db, file);
 */
export async function restoreBackup(db: Db, file: string): Promise<BackupManifest> {
  const it = lines(file)[Symbol.asyncIterator]();
  const hash = createHash('sha256');
  const next = async (): Promise<string | undefined> => {
    const r = await it.next();
    if (r.done) return undefined;
    return r.value;
  };
  const first = await next();
  const manifest = parseManifest(file, first);
  hash.update(`${first}\n`, 'utf8');
  const have = await store.listMigrationNames(db);
  const missing = manifest.migrations.filter((m) => !have.includes(m));
  const extra = have.filter((m) => !manifest.migrations.includes(m));
  if (missing.length > 0 || extra.length > 0) {
    throw new BackupError(
      `the backup's schema version differs from this CityHub's: ` +
        `${missing.length > 0 ? `it has migrations this version lacks (${missing.slice(0, 3).join(', ')}…): restore with the version that made it or a newer one; ` : ''}` +
        `${extra.length > 0 ? `this version has newer migrations (${extra.slice(0, 3).join(', ')}…): restore with the version that made the backup, then upgrade` : ''}`,
    );
  }
  await db.transaction().execute(async (trx) => {
    const tables = await store.listTables(trx);
    const { deferred } = loadOrder(tables, await store.listForeignKeys(trx));
    await store.truncateTables(trx, tables);
    const second: { table: string; key: string[]; columns: string[]; rows: Record<string, unknown>[] }[] = [];
    for (const { name, rows } of manifest.tables) {
      const sectionLine = await next();
      const section = sectionLine ? (JSON.parse(sectionLine) as { table?: string; rows?: number }) : {};
      if (section.table !== name || section.rows !== rows) throw new BackupError(`${file} is damaged: expected the rows of ${name}`);
      hash.update(`${sectionLine}\n`, 'utf8');
      if (!tables.includes(name)) throw new BackupError(`the backup holds table ${name}, which this schema does not have`);
      const columns = await store.listInsertableColumns(trx, name);
      const later = deferred.get(name) ?? [];
      const key = later.length > 0 ? await store.listPrimaryKey(trx, name) : [];
      const pass2 = { table: name, key, columns: later, rows: [] as Record<string, unknown>[] };
      let batch: Record<string, unknown>[] = [];
      const flush = async () => {
        if (batch.length > 0) await store.insertRows(trx, name, columns, JSON.stringify(batch));
        batch = [];
      };
      for (let i = 0; i < rows; i++) {
        const line = await next();
        if (line === undefined) throw new BackupError(`${file} is cut short in table ${name}`);
        hash.update(`${line}\n`, 'utf8');
        const row = JSON.parse(line) as Record<string, unknown>;
        if (later.length > 0 && later.some((c) => row[c] !== null)) {
          pass2.rows.push(Object.fromEntries([...key, ...later].map((c) => [c, row[c]])));
          for (const c of later) row[c] = null;
        }
        batch.push(row);
        if (batch.length >= PAGE) await flush();
      }
      await flush();
      if (pass2.rows.length > 0) second.push(pass2);
    }
    for (const pass of second) {
      if (pass.key.length === 0) throw new BackupError(`table ${pass.table} refers to itself but has no primary key to restore by`);
      for (let i = 0; i < pass.rows.length; i += PAGE) {
        await store.updateColumns(trx, pass.table, pass.key, pass.columns, JSON.stringify(pass.rows.slice(i, i + PAGE)));
      }
    }
    for (const s of await store.listSequenceColumns(trx)) if (s.seq) await store.resetSequence(trx, s.seq, s.table, s.column);
    const end = await next();
    const trailer = end ? (JSON.parse(end) as { end?: boolean; sha256?: string }) : {};
    if (!trailer.end || trailer.sha256 !== hash.digest('hex')) throw new BackupError(`${file} is damaged: its checksum does not match (nothing was restored)`);
    for (const { name, rows } of manifest.tables) {
      const n = await store.countRows(trx, name);
      if (n !== rows) throw new BackupError(`restoring ${name} gave ${n} rows, the backup holds ${rows} (nothing was restored)`);
    }
  });
  return manifest;
}
