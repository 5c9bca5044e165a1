import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import { assertCan } from '../../platform/auth/permissions.js';
import { actorRef, systemActor, type Actor } from '../../platform/auth/roles.js';
import { Problem } from '../../platform/errors/problem.js';
import { FreshRun } from '../../platform/jobs/fresh-run.js';
import type { TicketChangeHook } from '../index.js';
import { agreesWith, categoryPath, collapseRareLabels, type CategoryLevels } from './category-labels.js';
import type { IntelConfig } from './config.js';
import * as store from './model-store.js';
import { modelFromGzip, storedModelVersion, trainAndEvaluate, trainInWorker, type TrainingInput, type TrainingResult } from './model-training.js';
import type { JobView, LabelInput, LabelView, ModelEvaluation, ModelList, ModelView, NewSinceLastModel, TrainTrigger } from './schemas.js';
import { MODEL_VERSION, TextClassifier } from './text-classifier.js';
import { normalizeText } from './text-normalize.js';

export interface TrainOptions {
  trigger: TrainTrigger;
  /** true: activate whatever the evaluation; false: keep as a candidate; absent: the activation rule decides */
  activate?: boolean;
  onProgress?: (message: string) => void;
}

export interface TrainOutcome {
  job: JobView;
  model: ModelView;
  activated: boolean;
  /** why it was (not) activated */
  reason: string;
}

/** An active model whose serialisation format this release cannot read. */
export interface UnreadableModel {
  version: number;
  /** its TextClassifier serialisation version (null: not a classifier model at all) */
  format: number | null;
  /** true: written by an older release, so this node's training replaces it */
  olderFormat: boolean;
}

/** What `ModelService` needs: storage, the ledger, time, a logger, and the hooks to the node's classifier. */
export interface ModelServiceDeps {
  db: Db;
  ledger: Ledger | undefined;
  config: IntelConfig['classifier'];
  clock: Clock;
  log: Logger;
  /** A model became active on this node (trained here, activated here, or found on a refresh). */
  onLoad(model: TextClassifier, version: number): void;
  /** The current model's top label for a text (null when none is loaded). */
  suggest(title: string, content: string): string | null;
  /** The active model cannot be read by this release (the node keeps the model it has, if any). */
  onUnreadable?(model: UnreadableModel): void;
  /** This node committed another active version (trained and activated, or activated by hand). */
  onActivated?(version: number): void;
}

/** The scheduled retraining acts as the system with the data bureau's role (it trains and activates models). */
const scheduler = systemActor('scheduler', ['data_admin']);

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

// The status columns hold only the values the schemas list (this service writes them).
const toModelView = (r: store.ModelRow): ModelView => ({
  version: r.version,
  createdAt: iso(r.created_at),
  trainedBy: r.trained_by,
  trigger: r.trigger,
  examples: r.examples,
  heldOut: r.held_out,
  labels: r.labels,
  evaluation: r.evaluation as ModelEvaluation,
  trainSeconds: r.train_seconds,
  status: r.status as ModelView['status'],
  activatedAt: isoOrNull(r.activated_at),
});

const toJobView = (r: store.JobRow): JobView => ({
  id: r.id,
  trigger: r.trigger,
  requestedBy: r.requested_by,
  status: r.status as JobView['status'],
  startedAt: iso(r.started_at),
  heartbeatAt: iso(r.heartbeat_at),
  finishedAt: isoOrNull(r.finished_at),
  progress: r.progress,
  modelVersion: r.model_version,
  activated: r.activated,
  error: r.error,
});

const HOUR = 3_600_000;

/**
 * Classifier models in the database (issue 4): training runs (in a worker thread, one at a time in the whole
 * cluster), versions with their hold-out evaluation, activation (roll back / forward, ledgered), the scheduled
 * retraining, and agents' labels (数据标注) that override a ticket's category at the next training. Every node
 * loads the active model at start and whenever its periodic refresh finds another one active.
 */
export class ModelService {
  private loadedVersion: number | null = null;
  /** Models loaded so far: a sync that started before the latest load must not replace it with what it read. */
  private loads = 0;
  /** The active version when this release cannot read its serialisation format. */
  private unreadable: UnreadableModel | null = null;
  /** A sync asked for after a model was activated must not share one that read the version before it. */
  private readonly syncs = new FreshRun(() => this.doSync());

  constructor(private readonly deps: ModelServiceDeps) {}

  private get db(): Db {
    return this.deps.db;
  }

  private get config(): IntelConfig['classifier'] {
    return this.deps.config;
  }

  /** The model version this node uses (null: none loaded from the database). */
  get loaded(): number | null {
    return this.loadedVersion;
  }

  /** Versions with their evaluation, the active one, this node's, recent jobs and what changed since the last model. */
  async list(actor: Actor): Promise<ModelList> {
    assertCan(actor, 'hotline.intel.model.read');
    const [models, jobs, activeVersion, newSinceLastModel] = await Promise.all([
      store.listModels(this.db, 100),
      store.listJobs(this.db, 10),
      store.findActiveVersion(this.db),
      this.newSinceLastModel(),
    ]);
    return {
      activeVersion,
      loadedVersion: this.loadedVersion,
      newSinceLastModel,
      running: jobs.filter((j) => j.status === 'running').map(toJobView)[0] ?? null,
      models: models.map(toModelView),
      jobs: jobs.map(toJobView),
    };
  }

  async job(actor: Actor, id: string): Promise<JobView> {
    assertCan(actor, 'hotline.intel.model.read');
    const row = await store.findJob(this.db, id);
    if (!row) throw new Problem('HOTLINE_INTEL_JOB_NOT_FOUND', { detail: `training job ${id} does not exist` });
    return toJobView(row);
  }

  /**
   * New categorised tickets and agents' labels since the newest model (any status): tickets that can train now
   * minus those that could when it was trained, plus the labels given after it (a label on a ticket that already
   * had a category counts once, as a label).
   */
  async newSinceLastModel(): Promise<NewSinceLastModel> {
    const latest = await store.findLatestModel(this.db);
    const since = latest ? new Date(latest.created_at) : null;
    const [labels, tickets] = await Promise.all([store.countLabels(this.db, since), store.countLabelledTickets(this.db)]);
    const examples = latest ? Math.max(0, tickets - latest.labelled_tickets) + labels : tickets;
    return { since: since?.toISOString() ?? null, labels, examples };
  }

  /**
   * Starts a training run: claims the cluster's one training slot (409 HOTLINE_INTEL_TRAINING_RUNNING when taken;
   * for the scheduler, null when not due or taken) and returns the job at once; `done` settles when the model is
   * stored (and activated or kept as a candidate).
   */
  async startTraining(actor: Actor, options: TrainOptions): Promise<{ job: JobView; done: Promise<TrainOutcome> } | null> {
    assertCan(actor, 'hotline.intel.model.manage');
    const rows = await store.findTrainingExamples(this.db, this.config.maxTrainingTickets);
    const categories = new Set(rows.map((r) => r.level1));
    if (rows.length < this.config.minTrainingTickets || categories.size < 2) {
      throw new Problem('HOTLINE_INTEL_TOO_FEW_EXAMPLES', {
        detail: `${rows.length} categorised tickets in ${categories.size} categories; training needs ${this.config.minTrainingTickets} and 2`,
        extra: { examples: rows.length, categories: categories.size },
      });
    }
    const now = this.deps.clock();
    await store.failStaleJobs(this.db, now, new Date(now.getTime() - this.config.jobStaleMinutes * 60_000));
    const job =
      options.trigger === 'scheduled'
        ? await store.claimScheduledJob(this.db, actorRef(actor), now, new Date(now.getTime() - this.config.retrainIntervalHours * HOUR))
        : await store.insertRunningJob(this.db, { trigger: options.trigger, requested_by: actorRef(actor), now });
    if (!job) {
      if (options.trigger === 'scheduled') return null;
      const running = await store.findRunningJob(this.db);
      throw new Problem('HOTLINE_INTEL_TRAINING_RUNNING', {
        detail: running ? `job ${running.id} started at ${iso(running.started_at)} is still running` : undefined,
        extra: { jobId: running?.id ?? null },
      });
    }
    // Levels 2–3 where the history has enough tickets of them, level 1 elsewhere (category-labels.ts).
    const labels = collapseRareLabels(rows.map((r) => categoryPath(r, this.config.maxCategoryLevel)), this.config.minExamplesPerCategory);
    const examples = rows.map((r, i) => ({ title: r.title || undefined, detail: r.content || undefined, label: labels[i] }));
    const agentLabels = rows.filter((r) => r.labelled).length;
    const done = this.run(actor, job, examples, agentLabels, options);
    // The caller may not wait (the API answers 202): the failure is in the job row and the log either way.
    done.catch((err: unknown) => this.deps.log.warn({ err, jobId: job.id, trigger: options.trigger }, 'classifier training failed'));
    return { job: toJobView(job), done };
  }

  private async run(
    actor: Actor, job: store.JobRow, examples: TrainingInput['examples'], agentLabels: number, options: TrainOptions,
  ): Promise<TrainOutcome> {
    let progress: string | null = null;
    const onProgress = (m: string) => {
      progress = m;
      options.onProgress?.(m);
    };
    const beat = setInterval(() => {
      // A missed beat is only late: the next one (or the end of the run) writes the row; a lasting failure shows.
      void store.updateJob(this.db, job.id, { heartbeat_at: this.deps.clock(), ...(progress ? { progress } : {}) })
        .catch((err: unknown) => this.deps.log.warn({ err, jobId: job.id }, 'classifier training heartbeat not written'));
    }, this.config.heartbeatSeconds * 1000);
    beat.unref();
    try {
      const activeVersion = await store.findActiveVersion(this.db);
      const activeModel = activeVersion === null ? null : await store.findModelGzip(this.db, activeVersion);
      // A model of another serialisation version cannot be scored here (a format change between releases).
      const activeFormat = activeModel ? await storedModelVersion(activeModel) : null;
      const input: TrainingInput = {
        examples,
        holdoutFraction: this.config.holdoutFraction,
        autoCategorizeConfidence: this.config.autoCategorize.minConfidence,
        baseline: activeVersion !== null && activeModel && activeFormat === MODEL_VERSION ? { version: activeVersion, modelGzip: activeModel } : null,
      };
      const result = this.config.worker ? await trainInWorker(input, onProgress) : trainAndEvaluate(input, onProgress);
      const labelledTickets = await store.countLabelledTickets(this.db);
      const { activate, reason } = this.decide(result, activeVersion, activeFormat, options.activate);
      // Decoded before the commit, so this node uses the model as soon as the job reads `succeeded`.
      const decoded = activate ? await modelFromGzip(result.modelGzip) : null;
      const now = this.deps.clock();
      const version = await this.db.transaction().execute(async (trx) => {
        const { version } = await store.insertModel(trx, {
          created_at: now, trained_by: actorRef(actor), trigger: options.trigger, examples: result.examples,
          held_out: result.evaluation.heldOut, labelled_tickets: labelledTickets, agent_labels: agentLabels, labels: result.labels,
          evaluation: result.evaluation as unknown as Record<string, unknown>, train_seconds: result.trainSeconds, model_gzip: result.modelGzip,
        });
        if (activate) await this.activateIn(trx, actor, version, now, reason);
        await store.updateJob(trx, job.id, {
          status: 'succeeded', finished_at: now, heartbeat_at: now, model_version: version, activated: activate,
          progress: `v${version} ${activate ? 'activated' : 'kept as a candidate'}: ${reason}`,
        });
        return version;
      });
      if (decoded) this.load(decoded, version);
      if (activate) this.deps.onActivated?.(version);
      onProgress(`stored as version ${version}, ${activate ? 'active' : 'candidate'} (${reason})`);
      const [model, jobRow] = await Promise.all([store.findModel(this.db, version), store.findJob(this.db, job.id)]);
      return { job: toJobView(jobRow!), model: toModelView(model!), activated: activate, reason };
    } catch (err) {
      const now = this.deps.clock();
      // The training's own error is the one to report; a job row left `running` is freed as stale (jobStaleMinutes).
      await store.updateJob(this.db, job.id, { status: 'failed', finished_at: now, heartbeat_at: now, error: (err as Error).message })
        .catch((writeErr: unknown) => this.deps.log.error({ err: writeErr, jobId: job.id }, 'a failed classifier training could not be recorded'));
      throw err;
    } finally {
      clearInterval(beat);
    }
  }

  /** The activation rule (docs/hotline-intel.md): not worse than the active model on the same hold-out by more than the margin. */
  private decide(
    result: TrainingResult, activeVersion: number | null, activeFormat: number | null, forced: boolean | undefined,
  ): { activate: boolean; reason: string } {
    if (forced === true) return { activate: true, reason: 'activation requested' };
    if (forced === false) return { activate: false, reason: 'kept as a candidate on request' };
    if (activeVersion === null) return { activate: true, reason: 'no active model' };
    // During a rolling upgrade an older node must not replace what newer nodes wrote, and newer nodes replace old formats.
    if (activeFormat !== null && activeFormat > MODEL_VERSION) {
      return { activate: false, reason: `the active model v${activeVersion} has a newer format (${activeFormat} > ${MODEL_VERSION}): upgrade this node` };
    }
    if (activeFormat !== MODEL_VERSION) return { activate: true, reason: `the active model v${activeVersion} has an older format this release cannot read` };
    // At level 1: the two models may predict to different depths (a new category level learnt since).
    const f1 = result.evaluation.level1?.macroF1;
    const base = result.evaluation.baseline?.macroF1;
    if (f1 === undefined) return { activate: false, reason: 'no hold-out to evaluate on' };
    if (base === undefined) return { activate: true, reason: `the active model v${activeVersion} could not be scored` };
    const margin = this.config.activationMargin;
    return f1 >= base - margin
      ? { activate: true, reason: `level-1 macro-F1 ${f1} vs ${base} of v${activeVersion} (margin ${margin})` }
      : { activate: false, reason: `level-1 macro-F1 ${f1} is below ${base} of v${activeVersion} by more than ${margin}` };
  }

  private async activateIn(trx: Db, actor: Actor, version: number, at: Date, reason: string): Promise<void> {
    const { previous } = await store.activateModel(trx, version, at);
    await this.deps.ledger?.append('hotline.intel.model.activate', actor, `classifier-model:${version}`, { version, previous, reason }, { trx });
  }

  /** Makes a stored version the active one (roll back or forward); ledgered; this node switches at once, others on refresh. */
  async activate(actor: Actor, version: number): Promise<ModelView> {
    assertCan(actor, 'hotline.intel.model.manage');
    const bytes = await store.findModelGzip(this.db, version);
    if (!bytes) throw new Problem('HOTLINE_INTEL_MODEL_NOT_FOUND', { detail: `classifier model version ${version} does not exist` });
    const format = await storedModelVersion(bytes);
    if (format !== MODEL_VERSION) {
      throw new Problem('HOTLINE_INTEL_MODEL_FORMAT', {
        detail: `version ${version} is stored in model format ${format ?? 'unknown'}; this release reads format ${MODEL_VERSION}: train a new version instead`,
        extra: { format, supported: MODEL_VERSION },
      });
    }
    await this.db.transaction().execute((trx) => this.activateIn(trx, actor, version, this.deps.clock(), 'activated by hand'));
    this.deps.onActivated?.(version);
    await this.syncActive();
    return toModelView((await store.findModel(this.db, version))!);
  }

  /** Loads the active model if it is not the one this node uses; true when it switched. */
  syncActive(): Promise<boolean> {
    return this.syncs.run();
  }

  private async doSync(): Promise<boolean> {
    const epoch = this.loads;
    const version = await store.findActiveVersion(this.db);
    if (version === null || version === this.loadedVersion || version === this.unreadable?.version) return false;
    const bytes = await store.findModelGzip(this.db, version);
    if (!bytes) return false;
    const format = await storedModelVersion(bytes);
    if (format !== MODEL_VERSION) {
      // Keep the model this node has (if any); an older format is replaced by the next training (docs/hotline-intel.md).
      this.unreadable = { version, format, olderFormat: format === null || format < MODEL_VERSION };
      this.deps.onUnreadable?.(this.unreadable);
      return false;
    }
    this.unreadable = null;
    const model = await modelFromGzip(bytes);
    // A model trained or activated on this node while this one was read is newer than what this sync saw.
    if (epoch !== this.loads) return false;
    this.load(model, version);
    return true;
  }

  private load(model: TextClassifier, version: number): void {
    this.loads++;
    this.loadedVersion = version;
    this.deps.onLoad(model, version);
  }

  /**
   * The scheduled retraining (every node calls it every `retrainCheckSeconds`): trains when it is on, enough new
   * examples arrived since the last model and neither a model nor a scheduled attempt is younger than the
   * interval; the claim lets one node through. Resolves when that training is done.
   */
  async retrainIfDue(): Promise<{ trained: boolean; reason: string; outcome?: TrainOutcome }> {
    if (this.config.retrainIntervalHours <= 0) return { trained: false, reason: 'scheduled retraining is off' };
    const fresh = await this.newSinceLastModel();
    // A node left without a model by a format change trains whatever the count of new examples.
    const replacing = this.loadedVersion === null && this.unreadable?.olderFormat === true;
    if (!replacing && fresh.since && fresh.examples < this.config.retrainMinNewExamples) {
      return { trained: false, reason: `${fresh.examples} new examples since the last model (need ${this.config.retrainMinNewExamples})` };
    }
    let started;
    try {
      started = await this.startTraining(scheduler, { trigger: 'scheduled' });
    } catch (err) {
      if (err instanceof Problem && err.code === 'HOTLINE_INTEL_TOO_FEW_EXAMPLES') return { trained: false, reason: err.detail ?? err.title };
      throw err;
    }
    if (!started) return { trained: false, reason: 'not due, or another node is training' };
    const outcome = await started.done;
    return { trained: true, reason: outcome.reason, outcome };
  }

  /**
   * An agent's category for a ticket (数据标注): stored as a label with the model's suggestion at that moment; the
   * next training learns the label instead of the ticket's own category.
   */
  async addLabel(actor: Actor, input: LabelInput): Promise<LabelView> {
    assertCan(actor, 'hotline.intel.label');
    const ticket = await store.findLabelledTicket(this.db, input.ticketId);
    if (!ticket) throw new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: `ticket ${input.ticketId} does not exist` });
    const category = await store.findCategoryLevels(this.db, input.categoryId);
    if (!category) throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { errors: [{ field: 'categoryId', message: 'no such category' }] });
    const row = await this.recordLabel(this.db, actor, ticket, category, this.deps.clock());
    return {
      id: row.id,
      ticketId: row.ticket_id,
      categoryId: row.category_id,
      label: row.label,
      suggested: row.suggested,
      agrees: row.suggested === null ? null : agreesWith(row.suggested, row.label),
      modelVersion: row.model_version,
      source: row.source,
      createdAt: iso(row.created_at),
    };
  }

  /**
   * A ticket's 改类 by an agent, in the workflow action's own transaction (TicketService.onChange): the new
   * category is a correction of whatever the ticket had, so it counts as a label towards the next training.
   */
  readonly labelRecategorized: TicketChangeHook = async (trx, change) => {
    if (change.action !== 'recategorize' || !change.after.category_id) return;
    const category = await store.findCategoryLevels(trx, change.after.category_id);
    if (category) await this.recordLabel(trx, change.actor, change.after, category, change.at);
  };

  /** Stores the label with the model's suggestion for the same text (how often agents agree with it). */
  private recordLabel(db: Db, actor: Actor, ticket: { id: string; title: string; content: string }, category: CategoryLevels & { id: string }, at: Date) {
    const suggested = this.deps.suggest(ticket.title, ticket.content);
    return store.insertLabel(db, {
      ticket_id: ticket.id,
      category_id: category.id,
      label: categoryPath(category),
      text: normalizeText(`${ticket.title}\n${ticket.content}`),
      suggested,
      model_version: suggested === null ? null : this.loadedVersion,
      source: 'agent',
      actor: actorRef(actor),
      created_at: at,
    });
  }
}
