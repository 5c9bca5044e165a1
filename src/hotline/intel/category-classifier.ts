import type { Logger } from 'pino';
import { Problem } from '../../platform/errors/problem.js';
import type { AutoCategory } from '../index.js';
import type { IntelConfig } from './config.js';
import type { CityReference } from './city-reference.js';
import { level1Of } from './category-labels.js';
import type { UnreadableModel } from './model-service.js';
import type { CategoryGuess } from './schemas.js';
import type { TextClassifier } from './text-classifier.js';

export type ClassifierStatus = 'none' | 'training' | 'ready' | 'unavailable';

/** Starts a training as the system (trigger `start`); `done` settles when the model is stored. */
export type StartupTraining = () => Promise<{ done: Promise<unknown> } | null>;

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The category model this node uses and what it can say about it: the loaded model and its version, whether it
 * is ready, training or unavailable (and why), and the start-up training that gives a city its first model.
 * ModelService stores, trains and activates versions; it hands the one to use to `use`.
 */
export class CategoryClassifier {
  private model: TextClassifier | undefined;
  private version: number | null = null;
  private state: { status: ClassifierStatus; reason: string } = { status: 'none', reason: 'no model trained yet' };
  private training: Promise<void> | undefined;

  constructor(
    private readonly config: IntelConfig['classifier'],
    private readonly reference: CityReference,
    private readonly startTraining: StartupTraining,
    private readonly log: Logger,
  ) {}

  /** Uses a model (trained here, activated here, or found active in the database on a refresh). */
  use(model: TextClassifier, version: number | null = null): void {
    this.model = model;
    this.version = version;
    this.state = { status: 'ready', reason: '' };
  }

  /** The active model cannot be read by this release: says so, unless this node still has a model to use. */
  unreadable(m: UnreadableModel): void {
    if (this.model) return;
    const what = m.format === null ? 'is not a classifier model' : `is in model format ${m.format}`;
    const next = m.olderFormat ? 'a new model is trained at start or by the scheduled retraining' : 'upgrade this node';
    this.state = { status: 'unavailable', reason: `the active model v${m.version} ${what}, which this release cannot read: ${next}` };
  }

  get status(): { status: ClassifierStatus; reason: string; modelVersion: number | null } {
    return { ...this.state, modelVersion: this.version };
  }

  /**
   * The model's top-3 categories for a text, or null with the reason (no model yet, training, unreadable). With no
   * model and none being trained, a start-up training is started (when `trainAtStart` is on).
   */
  guess(title: string, content: string): { categories: CategoryGuess[] | null; reason: string | null } {
    if (!this.model) {
      if (this.state.status === 'none' && this.config.trainAtStart) this.trainInBackground();
      return { categories: null, reason: this.state.reason };
    }
    const p = this.model.predict({ title, detail: content });
    const categories = p.top3.map((x) => ({ categoryId: this.reference.categoryId(x.label), label: x.label, level1: level1Of(x.label), confidence: round(x.probability) }));
    return { categories, reason: null };
  }

  /** The model's top label for a text (null without a model): stored with an agent's label. */
  suggest(title: string, content: string): string | null {
    return this.model?.predict({ title, detail: content }).label ?? null;
  }

  /**
   * The category for a ticket filed without one, when the model's calibrated probability reaches
   * `autoCategorize.minConfidence`; null otherwise (no model, not sure enough, or a label with no category).
   */
  autoCategory(title: string, content: string): AutoCategory | null {
    const { enabled, minConfidence } = this.config.autoCategorize;
    if (!enabled || !this.model) return null;
    const p = this.model.predict({ title, detail: content });
    const categoryId = this.reference.categoryId(p.label);
    if (p.confidence < minConfidence || !categoryId) return null;
    return { categoryId, confidence: round(p.confidence), modelVersion: this.version };
  }

  /**
   * Trains a model version from the database's categorised tickets and agents' labels as the system (trigger
   * `start`), stores it and, by the activation rule, uses it; or records why it cannot (the reason the assist gives).
   */
  train(): Promise<void> {
    this.training ??= this.doTrain().finally(() => (this.training = undefined));
    return this.training;
  }

  /** The start-up training when `classifier.trainAtStart` is on (e.g. again once the demo city is seeded). */
  async trainIfConfigured(): Promise<void> {
    if (this.config.trainAtStart) await this.train();
  }

  /** A training nobody waits for: it runs in a worker thread, and a failure must never stop the server. */
  trainInBackground(): void {
    this.train().catch((err: unknown) => this.log.error({ err }, 'the start-up classifier training failed'));
  }

  private async doTrain(): Promise<void> {
    const before = this.state;
    this.state = { status: 'training', reason: 'the classifier is being trained from the city’s tickets' };
    try {
      const started = await this.startTraining();
      await started?.done;
      this.state = this.model ? { status: 'ready', reason: '' } : before;
    } catch (err) {
      const reason =
        err instanceof Problem && err.code === 'HOTLINE_INTEL_TRAINING_RUNNING'
          ? 'another node is training the classifier; its model loads on the next refresh'
          : err instanceof Problem && err.code === 'HOTLINE_INTEL_TOO_FEW_EXAMPLES'
            ? `too few categorised tickets to train (${err.detail})`
            : `training failed: ${(err as Error).message}`;
      this.state = this.model ? { status: 'ready', reason: '' } : { status: 'unavailable', reason };
    }
  }
}
