import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import { Problem } from '../../platform/errors/problem.js';
import { PeriodicJob } from '../../platform/jobs/periodic-job.js';
import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import { TICKETS_CHANGED, type AutoCategory, type TicketService, type UnitSuggestion } from '../ticket-service.js';
import type { EventBus } from '../../platform/events/index.js';
import type { IntelConfig } from './intel-config.js';
import * as store from './intel-store.js';
import { categoryPath, level1Of } from './category-labels.js';
import { Segmenter } from './segment.js';
import { STOP_WORDS_ZH } from './stopwords-zh.js';
import { UserDictionary } from './user-dictionary.js';
import { SimilarIndex, type SimilarHit, type TicketSource } from './similar-index.js';
import { findDuplicates, type DuplicateProposal } from './duplicate-detector.js';
import { clusterItems, emergingAlerts, rankHotIssues, type EmergingAlert, type HotIssue, type HotItem } from './hot-issues.js';
import { offlineDraft, llmDraft, type ReplyDraft } from './reply-drafter.js';
import { scoreReply, type ReplyQuality } from './reply-quality.js';
import { offlineSummary, llmSummary } from './ticket-summary.js';
import { createLlmClient, withLlmFallback, type AnswerMethod, type ChatCompletionClient } from './llm-client.js';
import { TextClassifier } from './text-classifier.js';
import { ClassifierModels, systemActor } from './classifier-models.js';

export interface AssistInput {
  title: string;
  content: string;
  address?: string | null;
  lon?: number | null;
  lat?: number | null;
  areaId?: string | null;
}

export interface CategoryGuess {
  categoryId: string | null;
  /** the category's path, `城乡建设/市政设施/路灯` (levels 2–3 where the model learnt them) */
  label: string;
  level1: string;
  confidence: number;
}

export interface SimilarCase {
  ticketId: string;
  number: string;
  title: string;
  similarity: number;
  status: string;
  /** the reply given then (参考答复), PII masked */
  reply: string | null;
  createdAt: string;
}

export interface AssistResult {
  categories: CategoryGuess[] | null;
  /** why there are no categories (no model yet, training, too few tickets) */
  classifierReason: string | null;
  area: { areaId: string; name: string; via: 'given' | 'address' | 'nearest' } | null;
  unit: (UnitSuggestion & { categoryId: string | null }) | null;
  duplicates: DuplicateProposal[];
  similar: SimilarCase[];
  summary: { text: string; method: AnswerMethod; llmError?: string } | null;
  /** true when the answer was cut to the category suggestion (a citizen asked) */
  limited: boolean;
}

interface AreaInfo {
  id: string;
  name: string;
  level: string;
  lon: number | null;
  lat: number | null;
}

/** Bus subject: this node changed the active model or the user dictionary (the database has the change). */
export const INTEL_CHANGED = 'hotline.intel.changed';

const DAY = 86_400_000;
/** Re-read this much before the watermark: a transaction that committed late with an earlier updated_at. */
const OVERLAP_MS = 60_000;

/** Only a citizen (no staff role) gets the limited answer. */
const citizenOnly = (actor: Actor) => actor.roles.includes('citizen') && !actor.roles.some((r) => r !== 'citizen');

/**
 * Hotline intelligence from the city's own history: the similar-case index (refreshed from the database, so every
 * node sees every node's tickets), duplicates, hot issues and emerging alerts, reply drafts and scores, summaries,
 * and the intake assist that puts them together. The LLM, when configured, writes summaries and drafts; the
 * offline methods answer otherwise and say so (`method`).
 */
export class IntelService {
  private segmenterValue: Segmenter | undefined;
  private indexValue: SimilarIndex | undefined;
  private watermark: Watermark | null = null;
  private loading: Promise<void> | undefined;
  private refreshing: Promise<{ read: number }> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private areas: AreaInfo[] = [];
  /** Category path (the classifier's labels, category-labels.ts) → category id. */
  private categoryIds = new Map<string, string>();
  private classifier: TextClassifier | undefined;
  private classifierState: { status: 'none' | 'training' | 'ready' | 'unavailable'; reason: string } = {
    status: 'none',
    reason: 'no model trained yet',
  };
  private training: Promise<void> | undefined;
  private hotCache: { at: number; key: string; issues: HotIssue[]; alerts: EmergingAlert[] } | undefined;
  private readonly llm: ChatCompletionClient | undefined;
  /** Classifier versions in the database, training jobs, activation, scheduled retraining and agents' labels. */
  readonly models: ClassifierModels;
  private readonly retrainJob: PeriodicJob;

  /** The segmenter's user dictionary (place and unit names, terms, stop words) that administrators extend. */
  readonly dictionary: UserDictionary;
  /** The dictionary signature the current segmenter and index were built with (null: not built yet). */
  private builtWith: string | null = null;
  private events: EventBus | undefined;
  private unsubscribe: (() => void)[] = [];
  /** Tickets the bus reported changed, not read yet. */
  private readonly changedIds = new Set<string>();
  /** A full read of the tickets has completed (the index may still be empty: a city with no tickets yet). */
  private loadedOnce = false;
  private changedTimer: NodeJS.Timeout | undefined;
  private readingChanged: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly tickets: TicketService,
    readonly config: IntelConfig,
    private readonly clock: Clock,
    ledger?: Ledger,
    /** the platform's organisations: their names join the dictionary as unit names */
    orgs?: { listOrgs(actor: Actor): Promise<{ name: string }[]> },
  ) {
    this.llm = createLlmClient(config.llm);
    const unitNames = async () => (orgs ? (await orgs.listOrgs(systemActor('intel'))).map((o) => o.name) : []);
    this.dictionary = new UserDictionary(db, clock, ledger, unitNames, () => this.events?.publish(INTEL_CHANGED));
    this.models = new ClassifierModels({
      db,
      ledger,
      config: config.classifier,
      clock,
      onLoad: (model) => {
        this.useClassifier(model);
        // New categories may have come with the model: map its labels to category ids again.
        void this.loadCategories().catch(() => {});
      },
      suggest: (title, content) => this.classifier?.predict({ title, detail: content }).label ?? null,
      onUnreadable: (m) => {
        if (this.classifier) return;
        const what = m.format === null ? 'is not a classifier model' : `is in model format ${m.format}`;
        const next = m.olderFormat ? 'a new model is trained at start or by the scheduled retraining' : 'upgrade this node';
        this.classifierState = { status: 'unavailable', reason: `the active model v${m.version} ${what}, which this release cannot read: ${next}` };
      },
      onActivated: () => this.events?.publish(INTEL_CHANGED),
    });
    this.retrainJob = new PeriodicJob(() => this.models.retrainIfDue(), config.classifier.retrainIntervalHours > 0 ? config.classifier.retrainCheckSeconds : 0);
  }

  private async loadCategories(): Promise<void> {
    this.categoryIds = new Map((await store.findActiveCategories(this.db)).map((c) => [categoryPath(c), c.id]));
  }

  /** The segmenter (jieba's dictionary loads on first use, not when a hub is created). */
  get segmenter(): Segmenter {
    return (this.segmenterValue ??= new Segmenter());
  }

  get index(): SimilarIndex {
    return (this.indexValue ??= new SimilarIndex(this.segmenter, this.config.similar));
  }

  /**
   * Loads the active classifier model and the index, and starts the periodic refresh (which also picks up a newly
   * activated model), the scheduled retraining and, if configured and no model is active, the start-up training.
   */
  async start(): Promise<void> {
    await this.models.syncActive().catch(() => false);
    await this.refresh();
    const seconds = this.config.refreshIntervalSeconds;
    if (seconds > 0 && !this.timer) {
      this.timer = setInterval(() => void this.refresh().catch(() => {}), seconds * 1000);
      this.timer.unref();
    }
    this.retrainJob.start();
    if (this.config.classifier.trainAtStart && this.models.loaded === null) {
      // Training runs in a worker thread; never let a failure stop the server.
      setImmediate(() => void this.trainClassifier().catch(() => {}));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.retrainJob.stop();
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearTimeout(this.changedTimer);
    this.changedTimer = undefined;
    this.changedIds.clear();
  }

  /**
   * Joins the event bus: tickets that this node or another reports changed are read into the index within
   * `eventBatchMs` (a duplicate filed seconds after the first call is found), and a model or dictionary changed
   * elsewhere is picked up by a refresh at once. The periodic refresh stays, for whatever an event missed.
   */
  useEvents(events: EventBus): void {
    this.events = events;
    this.unsubscribe.push(
      events.subscribe(TICKETS_CHANGED, (data) => this.ticketsChanged(data.ids)),
      events.subscribe(INTEL_CHANGED, () => void this.refreshAfterCurrent().catch(() => {})),
    );
  }

  private ticketsChanged(ids: unknown): void {
    if (!Array.isArray(ids)) return;
    for (const id of ids) if (typeof id === 'string') this.changedIds.add(id);
    this.scheduleChangedRead();
  }

  private scheduleChangedRead(): void {
    if (this.changedTimer || this.readingChanged || this.changedIds.size === 0) return;
    this.changedTimer = setTimeout(() => {
      this.changedTimer = undefined;
      this.readingChanged = this.readChanged()
        .catch(() => {})
        .finally(() => {
          this.readingChanged = undefined;
          this.scheduleChangedRead();
        });
    }, this.config.eventBatchMs);
  }

  private async readChanged(): Promise<void> {
    // Before the first full read there is nothing to add to: that read takes every ticket.
    if (!this.loadedOnce) return this.changedIds.clear();
    const index = this.index;
    while (this.changedIds.size > 0) {
      const ids = [...this.changedIds].slice(0, this.config.loadBatchSize);
      for (const id of ids) this.changedIds.delete(id);
      for (const r of await store.findIndexRowsByIds(this.db, ids)) index.add(toSource(r));
    }
  }

  /** A refresh that starts after the one under way (which may have read the state before the change). */
  private async refreshAfterCurrent(): Promise<void> {
    await this.refreshing?.catch(() => {});
    await this.refresh();
  }

  /**
   * Reads the tickets created or changed since the last refresh (keyset on updated_at, id) into the index.
   * Idempotent: a ticket read twice only updates its reply, status and main ticket.
   */
  refresh(): Promise<{ read: number }> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<{ read: number }> {
    if (this.areas.length === 0) {
      this.areas = (await store.findAreas(this.db)).map((a) => ({ id: a.id, name: a.name, level: a.level, lon: a.center_lon, lat: a.center_lat }));
      await this.loadCategories();
    }
    let read = 0;
    if ((await this.dictionary.signature()) !== this.builtWith) read += await this.rebuildIndex();
    const loaded = await this.readInto(this.index, this.watermark);
    this.watermark = loaded.watermark;
    read += loaded.read;
    // Another node may have trained or activated a model: switch to the database's active version.
    await this.models.syncActive().catch(() => false);
    this.loadedOnce = true;
    return { read };
  }

  /**
   * A new segmenter from the user dictionary and a new index of every ticket, swapped in when complete (the old
   * ones answer meanwhile): words change how every text splits, so old and new tokens must not mix.
   */
  private async rebuildIndex(): Promise<number> {
    const content = await this.dictionary.content();
    const segmenter = new Segmenter({ userWords: content.words, stopWords: [...STOP_WORDS_ZH, ...content.stopWords] });
    const index = new SimilarIndex(segmenter, this.config.similar);
    const loaded = await this.readInto(index, null);
    this.segmenterValue = segmenter;
    this.indexValue = index;
    this.watermark = loaded.watermark;
    this.builtWith = content.signature;
    this.hotCache = undefined;
    return loaded.read;
  }

  /** Reads tickets changed after the watermark (keyset on updated_at, id; a minute of overlap) into `index`. */
  private async readInto(index: SimilarIndex, watermark: Watermark | null): Promise<{ read: number; watermark: Watermark | null }> {
    let after = watermark ? { updatedAt: new Date(watermark.updatedAt.getTime() - OVERLAP_MS), id: '00000000-0000-0000-0000-000000000000' } : null;
    let read = 0;
    for (;;) {
      const rows = await store.findIndexRows(this.db, after, this.config.loadBatchSize);
      for (const r of rows) index.add(toSource(r));
      read += rows.length;
      if (rows.length === 0) break;
      const last = rows[rows.length - 1];
      after = { updatedAt: new Date(last.updated_at), id: last.id };
      if (!watermark || after.updatedAt >= watermark.updatedAt) watermark = after;
      if (rows.length < this.config.loadBatchSize) break;
    }
    return { read, watermark };
  }

  private async ready(): Promise<void> {
    if (!this.watermark && this.index.size === 0) {
      this.loading ??= this.refresh().then(() => undefined);
      await this.loading;
    }
  }

  /**
   * Trains a model version from the database's categorised tickets and agents' labels (level 1) as the system
   * (trigger `start`), stores it and, by the activation rule, uses it; or records why it cannot.
   */
  trainClassifier(): Promise<void> {
    this.training ??= this.doTrain().finally(() => (this.training = undefined));
    return this.training;
  }

  private async doTrain(): Promise<void> {
    const before = this.classifierState;
    this.classifierState = { status: 'training', reason: 'the classifier is being trained from the city’s tickets' };
    try {
      const started = await this.models.startTraining(systemActor('start'), { trigger: 'start' });
      await started?.done;
      this.classifierState = this.classifier ? { status: 'ready', reason: '' } : before;
    } catch (err) {
      const reason =
        err instanceof Problem && err.code === 'HOTLINE_INTEL_TRAINING_RUNNING'
          ? 'another node is training the classifier; its model loads on the next refresh'
          : err instanceof Problem && err.code === 'HOTLINE_INTEL_TOO_FEW_EXAMPLES'
            ? `too few categorised tickets to train (${err.detail})`
            : `training failed: ${(err as Error).message}`;
      this.classifierState = this.classifier ? { status: 'ready', reason: '' } : { status: 'unavailable', reason };
    }
  }

  /** Uses a model trained elsewhere (e.g. loaded from the model table by the classifier's owner). */
  useClassifier(model: TextClassifier): void {
    this.classifier = model;
    this.classifierState = { status: 'ready', reason: '' };
  }

  /**
   * The category for a ticket filed without one, when the model's calibrated probability reaches
   * `classifier.autoCategorize.minConfidence`; null otherwise (no model, not sure enough, or a label with no category).
   */
  autoCategory(title: string, content: string): AutoCategory | null {
    const { enabled, minConfidence } = this.config.classifier.autoCategorize;
    if (!enabled || !this.classifier) return null;
    const p = this.classifier.predict({ title, detail: content });
    const categoryId = this.categoryIds.get(p.label);
    if (p.confidence < minConfidence || !categoryId) return null;
    return { categoryId, confidence: round(p.confidence), modelVersion: this.models.loaded };
  }

  /** The top-k similar past tickets with their replies. */
  similar(title: string, content: string, k = this.config.similar.topK, excludeId?: string): SimilarHit[] {
    return this.index.search(this.index.tokenize(title, content), k, excludeId ? (t) => t.id !== excludeId : undefined);
  }

  /**
   * Intake assist (POST /api/hotline/assist): category top-3, suggested unit, likely duplicates, similar cases
   * with replies and a summary. A citizen gets the category suggestion only.
   */
  async assist(actor: Actor, input: AssistInput): Promise<AssistResult> {
    assertCan(actor, 'hotline.intel.assist');
    await this.ready();
    let categories: CategoryGuess[] | null = null;
    let classifierReason: string | null = null;
    if (this.classifier) {
      const p = this.classifier.predict({ title: input.title, detail: input.content });
      categories = p.top3.map((x) => ({
        categoryId: this.categoryIds.get(x.label) ?? null, label: x.label, level1: level1Of(x.label), confidence: round(x.probability),
      }));
    } else {
      classifierReason = this.classifierState.reason;
      if (this.classifierState.status === 'none' && this.config.classifier.trainAtStart) void this.trainClassifier().catch(() => {});
    }
    if (citizenOnly(actor)) {
      return { categories, classifierReason, area: null, unit: null, duplicates: [], similar: [], summary: null, limited: true };
    }
    const area = this.resolveArea(input);
    const topCategory = categories?.[0]?.categoryId ?? null;
    const unit = topCategory || area ? { ...(await this.tickets.suggestUnit(topCategory, area?.areaId ?? null)), categoryId: topCategory } : null;
    const tokens = this.index.tokenize(input.title, input.content);
    // One search serves both: its candidates, cut to top-k, are the similar cases, and filtered, the duplicates.
    const hits = this.index.search(tokens, this.config.similar.candidates);
    const duplicates = findDuplicates(
      this.index,
      { tokens, at: this.clock().getTime(), lon: input.lon, lat: input.lat, areaId: area?.areaId ?? null },
      this.config.duplicates,
      hits,
    );
    const similar = hits.slice(0, this.config.similar.topK).map(toCase);
    const summary = await this.summarize({ ...input, category: categories?.[0]?.label ?? null });
    return { categories, classifierReason, area, unit, duplicates, similar, summary, limited: false };
  }

  /** 工单摘要: the LLM when configured and answering, else the offline extractive summary. */
  async summarize(input: { title: string; content: string; address?: string | null; category?: string | null }) {
    const r = await withLlmFallback(this.llm, (llm) => llmSummary(llm, input), () => offlineSummary(input));
    return { text: r.value, method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
  }

  /** Duplicates of a filed ticket (for the workbench): proposals to merge under the main ticket. */
  async duplicatesOf(ticket: { id: string; title: string; content: string; createdAt: Date; lon?: number | null; lat?: number | null; areaId?: string | null }) {
    await this.ready();
    return findDuplicates(
      this.index,
      { tokens: this.index.tokenize(ticket.title, ticket.content), at: ticket.createdAt.getTime(), lon: ticket.lon, lat: ticket.lat, areaId: ticket.areaId, selfId: ticket.id },
      this.config.duplicates,
    );
  }

  private resolveArea(input: AssistInput): AssistResult['area'] {
    if (input.areaId) {
      const a = this.areas.find((x) => x.id === input.areaId);
      return a ? { areaId: a.id, name: a.name, via: 'given' } : null;
    }
    const text = `${input.address ?? ''} ${input.title}`;
    // The longest area name the address mentions: a street beats its district.
    const named = this.areas.filter((a) => a.name.length >= 2 && text.includes(a.name)).sort((a, b) => b.name.length - a.name.length)[0];
    if (named) return { areaId: named.id, name: named.name, via: 'address' };
    if (input.lon != null && input.lat != null) {
      let best: AreaInfo | undefined;
      let bestD = Infinity;
      for (const a of this.areas) {
        if (a.level !== 'street' || a.lon == null || a.lat == null) continue;
        const d = (a.lon - input.lon) ** 2 + (a.lat - input.lat) ** 2;
        if (d < bestD) {
          bestD = d;
          best = a;
        }
      }
      if (best) return { areaId: best.id, name: best.name, via: 'nearest' };
    }
    return null;
  }

  /** Hot issues (top-N) and emerging alerts over the last `hot.windowDays` days, cached `hot.cacheSeconds`. */
  async hotIssues(actor: Actor, topN?: number): Promise<{ issues: HotIssue[]; computedAt: string; tickets: number }> {
    assertCan(actor, 'hotline.intel.hot.read');
    const r = await this.computeHot(topN);
    return { issues: r.issues, computedAt: new Date(r.at).toISOString(), tickets: r.tickets };
  }

  async alerts(actor: Actor): Promise<{ alerts: EmergingAlert[]; computedAt: string }> {
    assertCan(actor, 'hotline.intel.hot.read');
    const r = await this.computeHot();
    return { alerts: r.alerts, computedAt: new Date(r.at).toISOString() };
  }

  private async computeHot(topN = this.config.hot.topN) {
    await this.ready();
    await this.refresh();
    const now = this.clock().getTime();
    const key = String(topN);
    const cached = this.hotCache;
    if (cached && cached.key === key && now - cached.at < this.config.hot.cacheSeconds * 1000) {
      return { ...cached, tickets: -1 };
    }
    const { hot, alerts } = this.config;
    const windowMs = Math.max(hot.windowDays, alerts.baselineDays + 1) * DAY;
    const items: HotItem[] = [];
    const all = this.index.all();
    for (let d = 0; d < all.length; d++) {
      const t = all[d];
      if (now - t.createdAt > windowMs || t.createdAt > now) continue;
      items.push({ ...t, vector: this.index.docVector(d), likes: t.likes });
    }
    const clusters = clusterItems(items, hot);
    const inHotWindow = clusters.filter((c) => c.members.some((m) => now - m.createdAt <= hot.windowDays * DAY));
    const issues = rankHotIssues(inHotWindow, now, { ...hot, topN });
    const found = emergingAlerts(clusters, now, alerts);
    this.hotCache = { at: now, key, issues, alerts: found };
    return { at: now, key, issues, alerts: found, tickets: items.length };
  }

  /** A draft reply from similar replied cases and the template; the LLM writes it when configured. */
  async draftReply(actor: Actor, input: { title: string; content: string; unitName?: string | null }) {
    assertCan(actor, 'hotline.intel.reply');
    await this.ready();
    const similar = this.index.search(this.index.tokenize(input.title, input.content), this.config.similar.topK, (t) => !!t.replyText);
    const offline = offlineDraft(input, similar);
    const r = await withLlmFallback<ReplyDraft>(
      this.llm,
      async (llm) => ({ ...offline, text: await llmDraft(llm, input, similar) }),
      () => offline,
    );
    return { ...r.value, method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
  }

  /** The reply-quality score of a reply to a message (rules in docs/hotline-intel.md). */
  async scoreReply(actor: Actor, input: { message: string; reply: string; delayDays?: number | null }): Promise<ReplyQuality> {
    assertCan(actor, 'hotline.intel.reply');
    await this.ready();
    return scoreReply(this.index, input, this.config.replies);
  }

  /** What the assist can do now (for health pages and tests). */
  status() {
    return {
      indexed: this.index.size,
      classifier: this.classifierState.status,
      classifierReason: this.classifierState.reason || null,
      modelVersion: this.models.loaded,
      llm: !!this.llm,
    };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The newest ticket change the index has read. */
interface Watermark {
  updatedAt: Date;
  id: string;
}

const toCase = (h: SimilarHit): SimilarCase => ({
  ticketId: h.ticket.id,
  number: h.ticket.number,
  title: h.ticket.title,
  similarity: round(h.similarity),
  status: h.ticket.status,
  reply: h.ticket.replyText,
  createdAt: new Date(h.ticket.createdAt).toISOString(),
});

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
  citizen: r.citizen_user_id ?? r.citizen_phone,
});
