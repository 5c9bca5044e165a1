import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.js';
import type { IntelConfig } from './config.js';
import type { CityReference } from './city-reference.js';
import type { DictionaryService } from './dictionary-service.js';
import { FreshRun } from '../../platform/jobs/fresh-run.js';
import { ChangedTickets } from './changed-tickets.js';
import * as store from './intel-store.js';
import { Segmenter } from './segment.js';
import { SimilarIndex, type SimilarHit, type TicketSource } from './similar-index.js';
import { STOP_WORDS_ZH } from './stopwords-zh.js';

/** Re-read this much before the watermark: a transaction that committed late with an earlier updated_at. */
const OVERLAP_MS = 60_000;

/** The newest ticket change the index has read, and its time (to step back from by the overlap). */
interface Watermark extends store.ChangeCursor {
  at: Date;
}

export interface TicketIndexDeps {
  db: Db;
  config: Pick<IntelConfig, 'similar' | 'loadBatchSize' | 'eventBatchMs'>;
  dictionary: DictionaryService;
  reference: CityReference;
  /** Loads the database's active classifier model when it changed (another node may have trained one). */
  syncModel: () => Promise<unknown>;
  log: Logger;
}

/**
 * The similar-case index of the city's tickets on this node, kept in step with the database: the periodic
 * refresh reads what changed since the last one (so every node sees every node's tickets), tickets the bus
 * reports changed are read within `eventBatchMs`, and a changed user dictionary rebuilds the segmenter and the
 * index from scratch. Owns the segmenter, the index, the watermark and the refresh under way.
 */
export class TicketIndex {
  private segmenterValue: Segmenter | undefined;
  private indexValue: SimilarIndex | undefined;
  private watermark: Watermark | null = null;
  /** The dictionary signature the current segmenter and index were built with (null: not built yet). */
  private builtWith: string | null = null;
  private readonly refreshes = new FreshRun(() => this.doRefresh());
  private loading: Promise<void> | undefined;
  /** A full read of the tickets has completed (the index may still be empty: a city with no tickets yet). */
  private loadedOnce = false;
  /** Tickets the bus reported changed, not read yet. */
  private readonly changed: ChangedTickets;

  constructor(private readonly deps: TicketIndexDeps) {
    this.changed = new ChangedTickets(deps.config.eventBatchMs, (ids) => this.readChanged(ids), (err) =>
      deps.log.warn({ err }, 'reading changed tickets into the index failed (the next refresh reads them)'),
    );
  }

  /** The segmenter (jieba's dictionary loads on first use, not when a hub is created). */
  get segmenter(): Segmenter {
    return (this.segmenterValue ??= new Segmenter());
  }

  /** The index as it is now (a rebuild swaps in another: take it once per question). */
  get current(): SimilarIndex {
    return (this.indexValue ??= new SimilarIndex(this.segmenter, this.deps.config.similar));
  }

  get size(): number {
    return this.current.size;
  }

  tokenize(title: string, content: string): string[] {
    return this.current.tokenize(title, content);
  }

  /** The top-k similar past tickets with their replies. */
  similar(title: string, content: string, k = this.deps.config.similar.topK, excludeId?: string): SimilarHit[] {
    const index = this.current;
    return index.search(index.tokenize(title, content), k, excludeId ? (t) => t.id !== excludeId : undefined);
  }

  /** Tickets the bus reported changed (ids from a `TICKETS_CHANGED` message): read within `eventBatchMs`. */
  ticketsChanged(ids: unknown): void {
    this.changed.add(ids);
  }

  /** Drops the tickets reported and not read yet. */
  stop(): void {
    this.changed.clear();
  }

  /** Waits for the first load when nothing has been read yet (a question before the first refresh). */
  async ready(): Promise<void> {
    if (!this.watermark && this.current.size === 0) {
      this.loading ??= this.refresh().then(() => undefined);
      await this.loading;
    }
  }

  /**
   * Reads the tickets created or changed since the last refresh (keyset on updated_at, id) into the index, and
   * loads the active model if another node changed it. Idempotent: a ticket read twice only updates its reply,
   * status and main ticket. The refresh answered starts at or after this call, so it sees every change committed
   * before it.
   */
  refresh(): Promise<{ read: number }> {
    return this.refreshes.run();
  }

  private async doRefresh(): Promise<{ read: number }> {
    await this.deps.reference.loadIfEmpty();
    let read = 0;
    if ((await this.deps.dictionary.signature()) !== this.builtWith) read += await this.rebuild();
    const loaded = await this.readInto(this.current, this.watermark);
    this.watermark = loaded.watermark;
    read += loaded.read;
    await this.deps.syncModel().catch((err: unknown) => this.deps.log.warn({ err }, 'loading the active classifier model failed (tried again at the next refresh)'));
    this.loadedOnce = true;
    return { read };
  }

  /**
   * A new segmenter from the user dictionary and a new index of every ticket, swapped in when complete (the old
   * ones answer meanwhile): words change how every text splits, so old and new tokens must not mix.
   */
  private async rebuild(): Promise<number> {
    const content = await this.deps.dictionary.content();
    const segmenter = new Segmenter({ userWords: content.words, stopWords: [...STOP_WORDS_ZH, ...content.stopWords] });
    const index = new SimilarIndex(segmenter, this.deps.config.similar);
    const loaded = await this.readInto(index, null);
    this.segmenterValue = segmenter;
    this.indexValue = index;
    this.watermark = loaded.watermark;
    this.builtWith = content.signature;
    return loaded.read;
  }

  /** Reads tickets changed after the watermark (keyset on updated_at, id; a minute of overlap) into `index`. */
  private async readInto(index: SimilarIndex, watermark: Watermark | null): Promise<{ read: number; watermark: Watermark | null }> {
    const batch = this.deps.config.loadBatchSize;
    let after: store.ChangeCursor | null = watermark
      ? { updatedAt: new Date(watermark.at.getTime() - OVERLAP_MS).toISOString(), id: '00000000-0000-0000-0000-000000000000' }
      : null;
    let read = 0;
    for (;;) {
      const rows = await store.findIndexRows(this.deps.db, after, batch);
      for (const r of rows) index.add(toSource(r));
      read += rows.length;
      if (rows.length === 0) break;
      const last = rows[rows.length - 1];
      after = { updatedAt: last.change_key, id: last.id };
      const at = new Date(last.updated_at);
      if (!watermark || at >= watermark.at) watermark = { ...after, at };
      if (rows.length < batch) break;
    }
    return { read, watermark };
  }

  /** Reads the reported tickets (draining `ids`) into the index, a batch at a time. */
  private async readChanged(ids: Set<string>): Promise<void> {
    // Before the first full read there is nothing to add to: that read takes every ticket.
    if (!this.loadedOnce) return ids.clear();
    const index = this.current;
    while (ids.size > 0) {
      const batch = [...ids].slice(0, this.deps.config.loadBatchSize);
      for (const id of batch) ids.delete(id);
      for (const r of await store.findIndexRowsByIds(this.deps.db, batch)) index.add(toSource(r));
    }
  }
}

const toSource = (r: store.IndexRow): TicketSource => ({
  id: r.id,
  number: r.number,
  title: r.title,
  content: r.content,
  createdAt: new Date(r.created_at).getTime(),
  areaId: r.area_id,
  districtId: r.district_id,
  lon: r.lon,
  lat: r.lat,
  replyText: r.reply_text,
  status: r.status,
  mainTicketId: r.main_ticket_id,
  categoryId: r.category_id,
  likes: r.likes,
  // the phone's keyed hash, never the phone: with field encryption the phone is ciphertext, different in every row
  citizen: r.citizen_user_id ?? r.citizen_phone_hash ?? r.citizen_phone,
});
