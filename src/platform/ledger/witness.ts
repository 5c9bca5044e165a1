import { open, readFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LedgerMode } from './signing.js';

/**
 * A signed checkpoint as a witness keeps it. The witness holds it outside the database, so whoever can write the
 * database cannot delete the newest entries together with the checkpoints that cover them: the verifier finds the
 * witnessed checkpoint and names the cut.
 */
export interface WitnessedCheckpoint {
  size: number;
  /** hex */
  rootHash: string;
  /** ISO 8601 UTC with milliseconds, as signed */
  time: string;
  /** base64 */
  signature: string;
  keyId: string;
  mode: LedgerMode;
}

/**
 * Somewhere outside the database that keeps every checkpoint the ledger signs: a file on another disk or mount
 * ({@link FileWitness}), a second node, a timestamping service. `record` is called after the checkpoint is stored,
 * so a witness never holds a checkpoint the database did not.
 */
export interface Witness {
  /** Names the witness in verdicts: `file /var/lib/cityhub-witness/ledger.jsonl`. */
  readonly name: string;
  record(checkpoint: WitnessedCheckpoint): Promise<void>;
  /** Every checkpoint it holds, oldest first. */
  list(): Promise<WitnessedCheckpoint[]>;
}

const isCheckpoint = (v: unknown): v is WitnessedCheckpoint => {
  const c = v as WitnessedCheckpoint;
  return (
    !!c && typeof c === 'object' && Number.isSafeInteger(c.size) && c.size >= 0 && typeof c.rootHash === 'string' &&
    typeof c.time === 'string' && typeof c.signature === 'string' && typeof c.keyId === 'string' && (c.mode === 'standard' || c.mode === 'gm')
  );
};

/** Reads witness lines (JSON, one checkpoint a line); a damaged line is an error naming it, never skipped. */
export function parseWitnessLines(text: string, name: string): WitnessedCheckpoint[] {
  const out: WitnessedCheckpoint[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${name}: line ${i + 1} is not JSON (the witness was damaged)`);
    }
    if (!isCheckpoint(value)) throw new Error(`${name}: line ${i + 1} is not a checkpoint (the witness was damaged)`);
    out.push(value);
  });
  return out;
}

/**
 * A witness file: one JSON line per checkpoint, appended and flushed to disk (fdatasync) before `record` returns.
 * Put it where the database's administrators cannot write — another disk, an NFS export owned by the auditors, a
 * WORM bucket mounted read-append — and never inside the data folder (createLedger refuses that).
 *
 * @example const witness = new FileWitness('/var/lib/cityhub-witness/ledger.jsonl');
 */
export class FileWitness implements Witness {
  readonly name: string;
  private queue: Promise<unknown> = Promise.resolve();
  private newest = -1;

  constructor(readonly file: string) {
    this.file = path.resolve(file);
    this.name = `file ${this.file}`;
  }

  record(checkpoint: WitnessedCheckpoint): Promise<void> {
    const next = this.queue.then(async () => {
      if (checkpoint.size <= this.newest) return;
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(checkpoint)}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.newest = checkpoint.size;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async list(): Promise<WitnessedCheckpoint[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const all = parseWitnessLines(text, this.name);
    this.newest = Math.max(this.newest, ...all.map((c) => c.size));
    return all;
  }
}
