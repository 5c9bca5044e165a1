import { chmodSync, createWriteStream, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { BackupError, checkBackup, streamBackup, type BackupManifest } from './backup.js';

/** Where a serving process on the embedded database takes backup requests: inside its data folder. */
export const backupSocketPath = (dataDir: string): string => path.join(dataDir, 'backup.sock');

/** The request line; anything else is refused. */
const REQUEST = 'cityhub-backup/v1';
/** The longest first line either side reads before giving up on the other. */
const MAX_LINE = 1024;

export interface BackupSocketOptions {
  dataDir: string;
  db: Db;
  engine: string;
  clock: Clock;
  log: { info(facts: object, message: string): void; warn(facts: object, message: string): void };
}

/**
 * Takes a consistent backup while serving on the embedded database (issue 21, GB/T 22239-2019 8.1.4.9 a): PGlite
 * is one process, so `cityhub backup` cannot open a data folder the server holds; instead it asks the server over
 * a Unix socket in that folder, and the server streams the copy made inside one transaction (`streamBackup`; its
 * requests wait for the copy's transaction on the one connection). Only the service user reaches the socket: the
 * data folder is 0700 and the socket 0600, the same people who could copy the folder itself.
 *
 * @example const socket = new BackupSocket({ dataDir, db, engine: 'pglite', clock, log }); await socket.start();
 */
export class BackupSocket {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();

  constructor(private readonly options: BackupSocketOptions) {}

  async start(): Promise<void> {
    const file = backupSocketPath(this.options.dataDir);
    // The data folder's lock is this process's: a socket file found there was left by one that died.
    rmSync(file, { force: true });
    const server = createServer((socket) => void this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') chmodSync(file, 0o600);
    this.server = server;
  }

  /** Stops taking requests; a backup still streaming is cut (its reader then refuses the partial copy). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(backupSocketPath(this.options.dataDir), { force: true });
  }

  private async serve(socket: Socket): Promise<void> {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    socket.on('error', () => socket.destroy());
    const request = await firstLine(socket).catch(() => undefined);
    if (request?.line !== REQUEST) {
      socket.end(`${JSON.stringify({ error: `expected "${REQUEST}"` })}\n`);
      return;
    }
    const { db, engine, clock, log } = this.options;
    socket.write(`${JSON.stringify({ ok: true })}\n`);
    try {
      const started = Date.now();
      const m = await streamBackup(db, socket, engine, clock());
      log.info({ tables: m.tables.length, rows: m.tables.reduce((n, t) => n + t.rows, 0), ledger: m.ledger.size, ms: Date.now() - started }, 'backup taken for cityhub backup while serving');
    } catch (err) {
      log.warn({ err }, 'backup through the data folder socket failed');
      socket.destroy();
    }
  }
}

/** Reads up to the first newline; the bytes after it are handed back (the backup's start). */
function firstLine(socket: Socket): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const at = seen.indexOf(10);
      if (at < 0 && seen.length <= MAX_LINE) return;
      done();
      if (at < 0) reject(new Error('no line'));
      else resolve({ line: seen.subarray(0, at).toString('utf8'), rest: seen.subarray(at + 1) });
    };
    const onEnd = () => {
      done();
      reject(new Error('closed before a line'));
    };
    const done = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

/**
 * `cityhub backup` beside a serving process: asks it over the data folder's socket, writes the copy to `file`
 * (mode 0600) and reads the file back through its checksum before reporting the manifest.
 *
 * @example const manifest = await backupFromServer('./data', 'cityhub.backup.gz');
 */
export async function backupFromServer(dataDir: string, file: string): Promise<BackupManifest> {
  const socket = createConnection(backupSocketPath(dataDir));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`${REQUEST}\n`);
  const { line, rest } = await firstLine(socket).catch(() => {
    throw new BackupError('the serving process closed the backup socket without answering');
  });
  const answer = JSON.parse(line) as { ok?: boolean; error?: string };
  if (!answer.ok) throw new BackupError(`the serving process refused the backup: ${answer.error ?? line}`);
  const out = createWriteStream(file, { mode: 0o600 });
  // the server dying mid-copy: the file is cut short, and said so
  socket.on('error', (err) => out.destroy(err));
  out.write(rest);
  socket.pipe(out);
  socket.resume();
  await finished(out);
  return checkBackup(file);
}
