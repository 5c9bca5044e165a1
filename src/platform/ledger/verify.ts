import type { KeyObject } from 'node:crypto';
import { parseEntryBody } from './entry-body.js';
import { appendToPeaks, leafHash, rootFromPeaks, type Hash, type HashAlg } from './merkle.js';
import { keyIdOf, verifyCheckpointSignature, type LedgerMode } from './signing.js';
import { leavesRowUnchanged, type ContentFault, type RecordedContent } from './content.js';
import type { WitnessedCheckpoint } from './witness.js';

/** A ledger_entry row as stored (any of it may have been tampered with). */
export interface StoredEntry {
  idx: number | string;
  kind: string;
  actor: string;
  subject: string;
  created_at: Date | string;
  body: string;
  leaf_hash: string;
  root_hash: string;
}

/** A ledger_checkpoint row as stored. */
export interface StoredCheckpoint {
  size: number | string;
  root_hash: string;
  signed_at: Date | string;
  signature: string;
  key_id: string;
  /** Where the verifier found it: `database` (default) or a witness's name. */
  source?: string;
}

/** The ledger_head row as stored. */
export interface StoredHead {
  size: number | string;
  peaks: string;
  mode?: string;
  sm2_user_id?: string | null;
}

/** The checkpoints one outside witness holds. */
export interface WitnessRecords {
  name: string;
  checkpoints: readonly WitnessedCheckpoint[];
}

export interface VerifierOptions {
  head?: StoredHead;
  /** The ledger's mode; default: the head's, else standard. */
  mode?: LedgerMode;
  sm2UserId?: string;
  /** Checkpoints held outside the database: they must all hold, and none may be missing from the database. */
  witnessed?: readonly WitnessRecords[];
  /**
   * The ledger is a restored backup: witnessed checkpoints beyond its end are entries made after the backup,
   * reported in `lostAfterBackup`, not as a cut.
   */
  restoredBackup?: boolean;
  /** Keep, per subject, what the newest entry recorded of its content (for reconcileContent). */
  collectContent?: boolean;
}

/**
 * What went wrong first. `modified`: an entry's bytes changed (body or a column); `missing`: an entry was
 * deleted; `reordered`: an entry sits at another index than the one it was hashed with; `inserted`: an entry
 * that was never appended; `checkpoint`: a signed checkpoint does not hold (bad signature, unknown key, or the
 * entries below it were rewritten together with their hashes); `content`: a row of a covered table was rewritten
 * or deleted after the entry that records it (content.ts).
 */
export type LedgerFaultKind = 'modified' | 'missing' | 'reordered' | 'inserted' | 'checkpoint' | 'content';

export interface LedgerFault {
  /** The first bad index (for a rewritten prefix: the first index the checkpoints cannot vouch for). */
  index: number | null;
  kind: LedgerFaultKind;
  message: string;
}

export interface LedgerVerification {
  ok: boolean;
  /** Entries checked before the first fault (all of them when ok). */
  entries: number;
  /** Checkpoints stored in the database checked before the first fault. */
  checkpoints: number;
  /** hex root over the entries checked. */
  root: string;
  /** Whether checkpoint signatures were checked (false when no public key was given). */
  signaturesChecked: boolean;
  fault?: LedgerFault;
  mode: LedgerMode;
  /** Checkpoints from outside witnesses that were checked. */
  witnessedCheckpoints: number;
  /** With `restoredBackup`: the newest witnessed checkpoint beyond the restored ledger (entries lost since the backup). */
  lostAfterBackup?: { size: number; time: string; witness: string };
  /** Rows of covered tables compared with their newest entry (read-ledger.ts fills it in). */
  content?: { checked: number; uncovered: number; faults: ContentFault[] };
}

const toNumber = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

const isoOf = (v: Date | string): string | undefined => {
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

/**
 * Recomputes a ledger offline, row by row, and stops at the first fault. Feed it the entries in idx order
 * (as `ORDER BY idx` returns them, gaps and all), then call {@link finish}. Memory is O(log n), so a log of any
 * length can be streamed through it page by page.
 *
 * @example
 * const v = new LedgerVerifier(checkpoints, publicKey, { head });
 * for (const row of rows) if (v.add(row)) break;
 * const result = v.finish();
 */
export class LedgerVerifier {
  private readonly checkpoints: StoredCheckpoint[];
  private readonly keys: Map<string, KeyObject> | undefined;
  private readonly mode: LedgerMode;
  private readonly alg: HashAlg;
  private readonly sm2UserId: string | undefined;
  /** Sizes of the checkpoints stored in the database (a witnessed one missing here was deleted). */
  private readonly storedSizes: Set<number>;
  private witnessedChecked = 0;
  private storedChecked = 0;
  private lost: LedgerVerification['lostAfterBackup'];
  /** subject → what its newest entry recorded of its content. */
  readonly recorded = new Map<string, RecordedContent>();
  private peaks: Hash[] = [];
  private count = 0;
  private nextCheckpoint = 0;
  /** The largest size a valid checkpoint vouched for: entries below it are known good. */
  private vouched = 0;
  private fault: LedgerFault | undefined;

  constructor(
    checkpoints: readonly StoredCheckpoint[],
    publicKeys: KeyObject | readonly KeyObject[] | null,
    private readonly options: VerifierOptions = {},
  ) {
    const headMode = options.head?.mode;
    this.mode = options.mode ?? (headMode === 'gm' ? 'gm' : 'standard');
    this.alg = this.mode === 'gm' ? 'sm3' : 'sha256';
    this.sm2UserId = options.head?.sm2_user_id ?? options.sm2UserId ?? undefined;
    this.storedSizes = new Set(checkpoints.map((c) => toNumber(c.size)));
    const witnessed = (options.witnessed ?? []).flatMap((w) =>
      w.checkpoints.map((c): StoredCheckpoint & { mode: string } => ({
        size: c.size, root_hash: c.rootHash, signed_at: c.time, signature: c.signature, key_id: c.keyId, source: w.name, mode: c.mode,
      })),
    );
    this.checkpoints = [...checkpoints.map((c) => ({ ...c, source: c.source ?? 'database' })), ...witnessed].sort((a, b) => toNumber(a.size) - toNumber(b.size));
    this.keys = publicKeys ? new Map([publicKeys].flat().map((k) => [keyIdOf(k), k])) : undefined;
    const otherMode = witnessed.find((c) => c.mode !== this.mode);
    if (otherMode) {
      this.fail(null, 'checkpoint', `the ledger head records ${this.mode} mode, but ${otherMode.source} holds a checkpoint made in ${otherMode.mode} mode: the head row was altered`);
      return;
    }
    this.checkCheckpoints();
  }

  /** Entries accepted so far. */
  get checked(): number {
    return this.count;
  }

  get failed(): LedgerFault | undefined {
    return this.fault;
  }

  /** Checks the next stored row; returns the fault when this row (or a checkpoint it completes) is bad. */
  add(row: StoredEntry): LedgerFault | undefined {
    if (this.fault) return this.fault;
    const i = this.count;
    const idx = toNumber(row.idx);
    const body = parseEntryBody(row.body);
    if (!Number.isSafeInteger(idx)) return this.fail(i, 'modified', `entry ${i} was modified: its idx column is not an integer`);
    if (idx < i) return this.fail(idx, 'inserted', `entry ${idx} was inserted: the index appears twice`);
    if (idx > i) {
      if (body?.index === i) return this.fail(i, 'reordered', `entry ${i} is out of order: its row was moved to idx ${idx}`);
      const range = idx - i > 1 ? ` (entries ${i}..${idx - 1} are gone)` : '';
      return this.fail(i, 'missing', `entry ${i} is missing (deleted)${range}`);
    }
    if (!body) return this.fail(i, 'modified', `entry ${i} was modified: its body is no longer a valid entry`);
    const leaf = leafHash(row.body, this.alg);
    if (leaf.toString('hex') !== row.leaf_hash) {
      return this.fail(i, 'modified', `entry ${i} was modified: its body does not hash to its stored leaf hash`);
    }
    if (body.index > i) {
      return this.fail(i, 'reordered', `entry ${i} is out of order: row ${i} holds entry ${body.index} (entries swapped, moved or one removed)`);
    }
    if (body.index < i) {
      return this.fail(i, 'inserted', `entry ${i} is out of order/inserted: row ${i} holds a copy of entry ${body.index}`);
    }
    for (const column of ['kind', 'actor', 'subject'] as const) {
      if (row[column] !== body[column]) return this.fail(i, 'modified', `entry ${i} was modified: its ${column} column differs from its hashed body`);
    }
    if (isoOf(row.created_at) !== body.time) {
      return this.fail(i, 'modified', `entry ${i} was modified: its created_at column differs from its hashed body`);
    }
    this.peaks = appendToPeaks(this.peaks, i, leaf, this.alg);
    if (rootFromPeaks(this.peaks, this.alg).toString('hex') !== row.root_hash) {
      return this.fail(
        i,
        'modified',
        `entry ${i} does not chain: its stored root hash differs from the root recomputed over entries 0..${i} ` +
          `(this entry was modified or inserted, or its root hash column changed)`,
      );
    }
    this.count++;
    if (this.options.collectContent) this.collect(row.subject, body);
    return this.checkCheckpoints();
  }

  /**
   * The newest entry about a subject decides what its row must hold; one without content stops the check, unless
   * its source declares the kind as leaving the row unchanged (a read through a grant).
   */
  private collect(subject: string, body: NonNullable<ReturnType<typeof parseEntryBody>>): void {
    if (!body.content) {
      if (!leavesRowUnchanged(subject, body.kind)) this.recorded.delete(subject);
      return;
    }
    const label = typeof body.facts.number === 'string' ? body.facts.number : undefined;
    this.recorded.set(subject, { index: body.index, kind: body.kind, digest: body.content, ...(label ? { label } : {}) });
  }

  /** Ends the walk: checkpoints and the head must not claim more entries than were found. */
  finish(): LedgerVerification {
    if (!this.fault) {
      const n = this.count;
      const beyond = this.beyondEnd();
      const head = this.options.head;
      if (beyond) {
        this.fail(n, 'missing', beyond);
      } else if (head && toNumber(head.size) > n) {
        this.fail(n, 'missing', `entry ${n} is missing (deleted): the ledger head records ${toNumber(head.size)} entries`);
      } else if (head && toNumber(head.size) < n) {
        const hs = toNumber(head.size);
        this.fail(hs, 'inserted', `entry ${hs} was inserted: the ledger head records only ${hs} entries`);
      } else if (head && !this.samePeaks(head.peaks)) {
        this.fail(null, 'modified', 'the ledger head was modified: its peaks differ from the recomputed tree');
      }
    }
    return {
      ok: !this.fault,
      entries: this.count,
      checkpoints: this.storedChecked,
      root: rootFromPeaks(this.peaks, this.alg).toString('hex'),
      signaturesChecked: !!this.keys,
      ...(this.fault ? { fault: this.fault } : {}),
      mode: this.mode,
      witnessedCheckpoints: this.witnessedChecked,
      ...(this.lost ? { lostAfterBackup: this.lost } : {}),
    };
  }

  /**
   * The verdict on checkpoints past the last entry found: the tail of the ledger was deleted. A witness's
   * checkpoint counts only when its signature holds (a forged line cannot accuse); with no database checkpoint
   * left beyond the end, the checkpoints were deleted along with the entries — only the witness still knew.
   */
  private beyondEnd(): string | undefined {
    const n = this.count;
    const rest = this.checkpoints.slice(this.nextCheckpoint);
    if (rest.length === 0) return undefined;
    for (const cp of rest) {
      if (cp.source !== 'database' && this.keys && !this.signatureHolds(cp)) {
        return `${cp.source} holds a checkpoint at size ${toNumber(cp.size)} whose signature does not verify (the witness was altered)`;
      }
    }
    const newest = rest[rest.length - 1];
    const size = toNumber(newest.size);
    const time = isoOf(newest.signed_at) ?? String(newest.signed_at);
    if (this.options.restoredBackup && rest.every((c) => c.source !== 'database')) {
      this.lost = { size, time, witness: newest.source ?? '' };
      return undefined;
    }
    const range = size - n > 1 ? `entries ${n}..${size - 1}` : `entry ${n}`;
    const stored = rest.filter((c) => c.source === 'database').at(-1);
    if (stored) {
      const storedSize = toNumber(stored.size);
      const covered = storedSize - n > 1 ? `entries ${n}..${storedSize - 1}` : `entry ${n}`;
      return `entry ${n} is missing (deleted): the tail of the ledger was cut — ${covered} are covered by the signed checkpoint at size ${storedSize} in the database`;
    }
    return (
      `entry ${n} is missing (deleted): the ledger was cut — ${newest.source} holds a checkpoint signed at ${time} for ${size} entries, ` +
      `but the database has ${n}; ${range} and the database's checkpoint(s) covering them were deleted`
    );
  }

  private signatureHolds(cp: StoredCheckpoint): boolean {
    const key = this.keys?.get(cp.key_id);
    const signedAt = cp.signed_at instanceof Date ? cp.signed_at : new Date(cp.signed_at);
    return !!key && verifyCheckpointSignature(key, toNumber(cp.size), cp.root_hash, signedAt, cp.signature, this.mode, this.sm2UserId);
  }

  private samePeaks(stored: string): boolean {
    try {
      const peaks = JSON.parse(stored) as unknown;
      return (
        Array.isArray(peaks) && peaks.length === this.peaks.length && peaks.every((p, i) => p === this.peaks[i].toString('hex'))
      );
    } catch {
      return false;
    }
  }

  /** Checks every checkpoint whose size the walk has just reached. */
  private checkCheckpoints(): LedgerFault | undefined {
    while (this.nextCheckpoint < this.checkpoints.length && toNumber(this.checkpoints[this.nextCheckpoint].size) === this.count) {
      const cp = this.checkpoints[this.nextCheckpoint];
      const size = this.count;
      const signedAt = cp.signed_at instanceof Date ? cp.signed_at : new Date(cp.signed_at);
      const where = cp.source === 'database' || !cp.source ? '' : ` held by ${cp.source}`;
      if (this.keys) {
        const key = this.keys.get(cp.key_id);
        if (!key) {
          return this.fail(null, 'checkpoint', `the checkpoint at size ${size}${where} is signed by an unknown key ${cp.key_id} (known: ${[...this.keys.keys()].join(', ')})`);
        }
        if (!verifyCheckpointSignature(key, size, cp.root_hash, signedAt, cp.signature, this.mode, this.sm2UserId)) {
          return this.fail(null, 'checkpoint', `the checkpoint at size ${size}${where} has an invalid signature (the checkpoint was altered)`);
        }
      }
      if (rootFromPeaks(this.peaks, this.alg).toString('hex') !== cp.root_hash) {
        return this.fail(
          this.vouched,
          'checkpoint',
          `entries 0..${size - 1} do not match the signed checkpoint at size ${size}${where}: an entry at or after index ` +
            `${this.vouched} was rewritten together with its hashes (or inserted/deleted)`,
        );
      }
      if (!where) this.storedChecked++;
      if (where) {
        this.witnessedChecked++;
        // In a restored backup, a witnessed checkpoint newer than every stored one (its root matched above) was
        // signed after the backup's snapshot: its row is lost with the backup, not deleted.
        const afterBackup = this.options.restoredBackup === true && [...this.storedSizes].every((stored) => stored < size);
        if (!this.storedSizes.has(size) && !afterBackup) {
          return this.fail(null, 'checkpoint', `the checkpoint at size ${size}${where} is missing from the database: it was deleted`);
        }
      }
      this.vouched = size;
      this.nextCheckpoint++;
    }
    return undefined;
  }

  private fail(index: number | null, kind: LedgerFaultKind, message: string): LedgerFault {
    this.fault = { index, kind, message };
    return this.fault;
  }
}

/**
 * Recomputes the whole ledger from its stored rows and names the first fault, if any. Pure: no database, no
 * clock; the public key must come from outside the database (config, key file, or the published key).
 *
 * @example
 * const result = verifyLedger(rows, checkpoints, readPublicKey(pem));
 * if (!result.ok) console.error(result.fault.message); // "entry 5 was modified: …"
 */
export function verifyLedger(
  rows: Iterable<StoredEntry>,
  checkpoints: readonly StoredCheckpoint[],
  publicKey: KeyObject | readonly KeyObject[] | null,
  options: VerifierOptions = {},
): LedgerVerification {
  const verifier = new LedgerVerifier(checkpoints, publicKey, options);
  const sorted = [...rows].sort((a, b) => toNumber(a.idx) - toNumber(b.idx));
  for (const row of sorted) if (verifier.add(row)) break;
  return verifier.finish();
}
