import type { KeyObject } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { actorRef, type Actor } from '../auth/roles.js';
import { Problem } from '../errors/problem.js';
import type { CompiledQuery } from 'kysely';
import type { AppendOptions, Ledger, LedgerBatch, LedgerFacts } from './ledger.js';
import { assertFacts, entryBodyText, parseEntryBody, type EntryBody } from './entry-body.js';
import { appendToPeaks, consistencyProof, inclusionProof, leafHash, MerkleTree, rootFromPeaks, type Hash, type HashAlg } from './merkle.js';
import { checkpointText, signCheckpoint, type CheckpointSigner, type LedgerMode, type SignatureAlgorithm } from './signing.js';
import { verifyStoredLedger, type VerifyStoredOptions } from './read-ledger.js';
import { contentDigest } from './content.js';
import type { Witness, WitnessedCheckpoint } from './witness.js';
import type { LedgerVerification } from './verify.js';
import * as store from './ledger-store.js';

/** A signed checkpoint as published. Hashes are hex; the signature is base64 over `signedText`. */
export interface CheckpointView {
  size: number;
  rootHash: string;
  time: string;
  signature: string;
  keyId: string;
  publicKey: string;
  /** The exact text the signature covers. */
  signedText: string;
}

/** One ledger entry as people read it (the audit trail lists these too). */
export interface EntryRecord {
  index: number;
  kind: string;
  actor: string;
  subject: string;
  time: string;
  facts: LedgerFacts;
}

export interface EntryView extends EntryRecord {
  /** The hashed bytes (UTF-8): leafHash = SHA-256(0x00 || body). */
  body: string;
  leafHash: string;
  /** The tree the proof is against, and its root. */
  treeSize: number;
  rootHash: string;
  /** RFC 6962 audit path, hex, from the leaf up. */
  inclusionProof: string[];
}

export interface ConsistencyView {
  from: number;
  to: number;
  fromRoot: string;
  toRoot: string;
  /** RFC 6962 consistency proof, hex. */
  proof: string[];
}

export interface PublicKeyView {
  algorithm: SignatureAlgorithm;
  keyId: string;
  publicKey: string;
}

const KIND = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const hex = (h: Hash): string => h.toString('hex');
const parsePeaks = (json: string): Hash[] => (JSON.parse(json) as string[]).map((p) => Buffer.from(p, 'hex'));

/** How a ledger hashes, signs and where its checkpoints go besides the database. */
export interface LedgerServiceOptions {
  signer: CheckpointSigner;
  clock: Clock;
  /** `gm`: SM3 and SM2; fixed at the first entry (createLedger checks it against the head row). */
  mode?: LedgerMode;
  sm2UserId?: string;
  checkpointIntervalSeconds?: number;
  /** Outside witnesses that receive every checkpoint (see witness.ts). */
  witnesses?: readonly Witness[];
  /**
   * After an append, a checkpoint is signed and witnessed this many seconds later (once per burst), so the
   * newest entries are outside the database's reach within seconds rather than at the next interval. 0: off.
   */
  witnessDelaySeconds?: number;
  onError?: (err: unknown) => void;
}

/**
 * The audit ledger (存证): appends entries to an RFC 6962 Merkle log, signs checkpoints, serves inclusion and
 * consistency proofs. Appends take the head row's lock, so any number of processes and nodes share one log.
 *
 * @example
 * const ledger = await createLedger(db, { clock: systemClock, dataDir: './data' });
 * await ledger.append('auth.key.created', actor, `api_key:${id}`, { roles: ['agent'] }, { trx });
 */
export class LedgerService implements Ledger {
  /** Leaf hashes of committed entries, loaded lazily from the database, to serve proofs in O(log² n). */
  private readonly tree: MerkleTree;
  private treeQueue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private soon: NodeJS.Timeout | undefined;
  private readonly key: CheckpointSigner;
  private readonly clock: Clock;
  private readonly checkpointIntervalSeconds: number;
  private readonly onError: (err: unknown) => void;
  readonly mode: LedgerMode;
  readonly hashAlg: HashAlg;
  readonly witnesses: readonly Witness[];

  constructor(
    private readonly db: Db,
    private readonly options: LedgerServiceOptions,
  ) {
    this.key = options.signer;
    this.clock = options.clock;
    this.checkpointIntervalSeconds = options.checkpointIntervalSeconds ?? 60;
    this.onError = options.onError ?? ((err) => console.error('ledger checkpoint failed:', err));
    this.mode = options.mode ?? 'standard';
    this.hashAlg = this.mode === 'gm' ? 'sm3' : 'sha256';
    this.witnesses = options.witnesses ?? [];
    this.tree = new MerkleTree(this.hashAlg);
  }

  /**
   * Appends one entry and returns its index. Joins the caller's transaction when given one, so the state change
   * and its entry commit or roll back together; otherwise runs in its own.
   */
  async append(kind: string, actor: Actor, subject: string, facts: LedgerFacts, options: AppendOptions = {}): Promise<{ index: number }> {
    const write = async (trx: Db): Promise<{ index: number }> => {
      const batch = await this.batch(trx);
      const appended = batch.add(kind, actor, subject, facts, options);
      await batch.write();
      return appended;
    };
    const db = options.trx ?? this.db;
    return db.isTransaction ? write(db) : db.transaction().execute(write);
  }

  async batch(trx: Db, before?: CompiledQuery): Promise<LedgerBatch> {
    if (!trx.isTransaction) throw new TypeError('a ledger batch needs a transaction');
    const head = await store.lockHead(trx, before);
    let size = Number(head.size);
    let peaks = parsePeaks(head.peaks);
    const rows: store.EntryRow[] = [];
    let rider: { query: CompiledQuery; then: (rows: Array<Record<string, unknown>>) => void | Promise<void> } | undefined;
    return {
      before: head.before,
      add: (kind, actor, subject, facts, options = {}) => {
        if (!KIND.test(kind)) throw new TypeError(`ledger kind "${kind}" must be dotted lower case, like auth.login`);
        if (typeof subject !== 'string' || subject.length === 0) throw new TypeError('a ledger entry needs a subject');
        assertFacts(facts);
        const index = size++;
        const time = this.clock();
        const body: EntryBody = { index, kind, actor: actorRef(actor), subject, facts, time: time.toISOString() };
        // The content's digest makes the entry vouch for the row it records (a reply rewritten later no longer matches).
        if (options.content) body.content = contentDigest(options.content, this.hashAlg);
        const text = entryBodyText(body);
        const leaf = leafHash(text, this.hashAlg);
        peaks = appendToPeaks(peaks, index, leaf, this.hashAlg);
        rows.push({ idx: index, kind, actor: body.actor, subject, created_at: time, body: text, leaf_hash: hex(leaf), root_hash: hex(rootFromPeaks(peaks, this.hashAlg)) });
        return { index };
      },
      ride: (query, then) => {
        if (rider) throw new TypeError('a ledger batch takes one rider');
        rider = { query, then };
      },
      write: async () => {
        const riding = rider;
        rider = undefined;
        if (rows.length === 0) {
          if (riding) await riding.then((await trx.executeQuery<Record<string, unknown>>(riding.query)).rows);
          return;
        }
        const returned = await store.writeEntries(trx, rows.splice(0), size, JSON.stringify(peaks.map(hex)), riding?.query);
        if (riding) await riding.then(returned);
        this.witnessSoon();
      },
    };
  }

  /** Schedules one checkpoint `witnessDelaySeconds` after the first append of a burst (only once started). */
  private witnessSoon(): void {
    const delay = this.options.witnessDelaySeconds ?? 0;
    if (!this.timer || delay <= 0 || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.checkpointInBackground();
    }, delay * 1000);
    this.soon.unref();
  }

  private checkpointInBackground(): void {
    if (this.running) {
      // A checkpoint is being signed; look again when it is done, so a burst's last entries are not left out.
      void this.running.then(() => this.witnessSoon());
      return;
    }
    this.running = this.checkpointIfGrown()
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** The current size and root of the log (committed entries). */
  async head(): Promise<{ size: number; rootHash: string }> {
    const head = await this.readHead();
    return { size: head.size, rootHash: hex(rootFromPeaks(parsePeaks(head.peaks), this.hashAlg)) };
  }

  /** The newest signed checkpoint, without making one. */
  async latestCheckpoint(): Promise<CheckpointView | undefined> {
    const row = await store.findLatestCheckpoint(this.db);
    return row && this.view(row);
  }

  /** The newest checkpoint, signing a new one first when the log has grown past it (or none exists yet). */
  async checkpoint(): Promise<CheckpointView> {
    return (await this.checkpointIfGrown(true))!;
  }

  /**
   * Signs a checkpoint of the current head when it is larger than the newest checkpoint. When two nodes race
   * for the same size, the first insert wins and both return it.
   */
  async checkpointIfGrown(evenWhenEmpty = false): Promise<CheckpointView | undefined> {
    const [latest, head] = await Promise.all([store.findLatestCheckpoint(this.db), this.readHead()]);
    if (latest && Number(latest.size) >= head.size) return this.view(latest);
    if (!latest && head.size === 0 && !evenWhenEmpty) return undefined;
    const rootHash = hex(rootFromPeaks(parsePeaks(head.peaks), this.hashAlg));
    const time = this.clock();
    await store.insertCheckpoint(this.db, {
      size: head.size,
      root_hash: rootHash,
      signed_at: time,
      signature: await signCheckpoint(this.key, head.size, rootHash, time, this.mode),
      key_id: this.key.keyId,
    });
    const view = this.view((await store.findCheckpoint(this.db, head.size))!);
    await this.witness(view);
    return view;
  }

  /**
   * Hands a checkpoint to every witness. A witness that fails is reported, never fatal: the checkpoint is in the
   * database, and the next one (or `syncWitnesses` at start) carries the witness past it.
   */
  private async witness(view: CheckpointView): Promise<void> {
    const record = this.witnessRecord(view);
    for (const witness of this.witnesses) {
      await witness.record(record).catch((err: unknown) => this.onError(new Error(`ledger witness ${witness.name} failed: ${(err as Error).message}`)));
    }
  }

  /** Gives each witness the newest checkpoint when it is behind (a node that was down, a witness that failed). */
  async syncWitnesses(): Promise<void> {
    const latest = await store.findLatestCheckpoint(this.db);
    if (!latest) return;
    const view = this.view(latest);
    for (const witness of this.witnesses) {
      const held = await witness.list();
      if (!held.some((c) => c.size >= view.size)) await witness.record(this.witnessRecord(view));
    }
  }

  private witnessRecord(view: CheckpointView): WitnessedCheckpoint {
    return { size: view.size, rootHash: view.rootHash, time: view.time, signature: view.signature, keyId: view.keyId, mode: this.mode };
  }

  /**
   * One entry with its inclusion proof against `treeSize` (default: the newest checkpoint, signed now if the
   * entry is newer than it).
   */
  async entry(index: number, treeSize?: number): Promise<EntryView> {
    const head = await this.readHead();
    if (!Number.isSafeInteger(index) || index < 0 || index >= head.size) {
      throw new Problem('LEDGER_ENTRY_NOT_FOUND', { detail: `the ledger has ${head.size} entries (0..${head.size - 1})` });
    }
    const size = treeSize ?? (await this.checkpoint()).size;
    if (!Number.isSafeInteger(size) || size <= index || size > head.size) {
      throw new Problem('LEDGER_BAD_RANGE', {
        detail: `treeSize must be greater than the index ${index} and at most the ledger size ${head.size}`,
        errors: [{ field: 'treeSize', message: `must be in ${index + 1}..${head.size}` }],
      });
    }
    const row = await store.findEntry(this.db, index);
    const body = row && parseEntryBody(row.body);
    if (!row || !body) throw new Error(`ledger entry ${index} is unreadable; run \`cityhub ledger verify\``);
    const tree = await this.treeOf(size);
    return {
      index,
      kind: body.kind,
      actor: body.actor,
      subject: body.subject,
      time: body.time,
      facts: body.facts,
      body: row.body,
      leafHash: row.leaf_hash,
      treeSize: size,
      rootHash: hex(tree.root(size)),
      inclusionProof: inclusionProof(tree, index, size).map(hex),
    };
  }

  /** The consistency proof between the trees of `from` and `to` entries (default `to`: the newest checkpoint). */
  async consistency(from: number, to?: number): Promise<ConsistencyView> {
    const head = await this.readHead();
    const target = to ?? (await this.checkpoint()).size;
    const bad = (detail: string, field: string): Problem =>
      new Problem('LEDGER_BAD_RANGE', { detail, errors: [{ field: `/query/${field}`, message: detail }] });
    if (!Number.isSafeInteger(from) || from < 0) throw bad('from must be a whole number ≥ 0', 'from');
    if (!Number.isSafeInteger(target) || target < 0) throw bad('to must be a whole number ≥ 0', 'to');
    if (from > target) throw bad(`from (${from}) must not exceed to (${target})`, 'from');
    if (target > head.size) throw bad(`to (${target}) exceeds the ledger size ${head.size}`, 'to');
    if (from < 1 && target > 0) throw bad('from must be at least 1: every tree extends the empty tree, there is nothing to prove', 'from');
    const tree = await this.treeOf(target);
    return {
      from,
      to: target,
      fromRoot: hex(tree.root(from)),
      toRoot: hex(tree.root(target)),
      proof: consistencyProof(tree, from, target).map(hex),
    };
  }

  /** The public key as a KeyObject, for verifying this node's checkpoints in process. */
  publicKeyObject(): KeyObject {
    return this.key.publicKey;
  }

  publicKey(): PublicKeyView {
    return { algorithm: this.key.algorithm, keyId: this.key.keyId, publicKey: this.key.publicKeyPem };
  }

  /** Recomputes the whole stored ledger against this node's key and witnesses (see `cityhub ledger verify`). */
  async verify(options: VerifyStoredOptions = {}): Promise<LedgerVerification> {
    const witnessed = options.witnessed ?? (await Promise.all(this.witnesses.map(async (w) => ({ name: w.name, checkpoints: await w.list() }))));
    return verifyStoredLedger(this.db, [this.key.publicKey], { ...options, witnessed });
  }

  /** Starts the periodic checkpoint: every interval, a new signed checkpoint when the log grew. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.checkpointInBackground();
    }, this.checkpointIntervalSeconds * 1000);
    this.timer.unref();
    // A witness that missed checkpoints while this node was down gets the newest one now.
    if (this.witnesses.length > 0) {
      this.running = this.syncWitnesses()
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.running = undefined;
        });
    }
  }

  /** Stops the timer; the returned promise settles when a checkpoint in progress has finished. */
  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = undefined;
    this.soon = undefined;
    return Promise.resolve(this.running).then(() => undefined);
  }

  private async readHead(): Promise<{ size: number; peaks: string }> {
    const head = await store.readHead(this.db);
    if (!head) throw new Error('the ledger tables are missing; run `cityhub migrate`');
    return { size: Number(head.size), peaks: head.peaks };
  }

  /** The in-memory tree, extended from the database to at least `size` leaves (one loader at a time). */
  private treeOf(size: number): Promise<MerkleTree> {
    const next = this.treeQueue.then(async () => {
      const pageSize = 10_000;
      while (this.tree.size < size) {
        const from = this.tree.size;
        const rows = await store.listLeafHashes(this.db, from, Math.min(size, from + pageSize));
        if (rows.length === 0 || Number(rows[0].idx) !== from) {
          throw new Error(`ledger entry ${from} is missing from storage; run \`cityhub ledger verify\``);
        }
        for (const row of rows) {
          if (Number(row.idx) !== this.tree.size) {
            throw new Error(`ledger entry ${this.tree.size} is missing from storage; run \`cityhub ledger verify\``);
          }
          this.tree.append(Buffer.from(row.leaf_hash, 'hex'));
        }
      }
      return this.tree;
    });
    // The caller gets the failure through `next`; the queue only orders the next read after this one.
    this.treeQueue = next.catch(() => undefined);
    return next;
  }

  private view(row: { size: number | string; root_hash: string; signed_at: Date; signature: string; key_id: string }): CheckpointView {
    const size = Number(row.size);
    const time = row.signed_at instanceof Date ? row.signed_at : new Date(row.signed_at);
    return {
      size,
      rootHash: row.root_hash,
      time: time.toISOString(),
      signature: row.signature,
      keyId: row.key_id,
      publicKey: this.key.publicKeyPem,
      signedText: checkpointText(size, row.root_hash, time, this.mode),
    };
  }
}
