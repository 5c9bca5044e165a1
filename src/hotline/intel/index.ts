import { systemActor } from '../../platform/auth/roles.js';
import { defineModule } from '../../platform/module/module.js';
import { bigramSimilarity, TICKETS_CHANGED } from '../index.js';
import { IntelConfigSchema } from './config.js';
import { intelMigrations } from './migrations.js';
import { intelPermissions } from './permissions.js';
import { intelProblems } from './problems.js';
import { intelRoutes } from './intel-routes.js';
import { knowledgeRoutes } from './knowledge-routes.js';
import { knowledgeMigrations } from './knowledge-migrations.js';
import { KnowledgeService } from './knowledge-service.js';
import { GroundedDrafter } from './grounding.js';
import { CategoryClassifier, type ClassifierStatus } from './category-classifier.js';
import { CityReference } from './city-reference.js';
import { DictionaryService } from './dictionary-service.js';
import { HotIssueService } from './hot-issue-service.js';
import { IntakeService } from './intake-service.js';
import { ModelService } from './model-service.js';
import { ReplyService } from './reply-service.js';
import { TicketIndex } from './ticket-index.js';
import { cosine } from './similar-index.js';

export { IntelConfigSchema, type IntelConfig } from './config.js';

/** Bus subject: this node changed the active model or the user dictionary (the database has the change). */
export const INTEL_CHANGED = 'hotline.intel.changed';

/** What the intelligence can do now (health pages, tests). */
export interface IntelStatus {
  /** tickets in this node's index */
  indexed: number;
  classifier: ClassifierStatus;
  /** why there is no usable classifier (null when there is one) */
  classifierReason: string | null;
  /** the model version this node uses */
  modelVersion: number | null;
  /** a language model is on (`llm.enabled`) for summaries and drafts */
  llm: boolean;
}

/** Hotline intelligence from the city's own history (`hub.services.intel`). */
export interface IntelServices {
  /** Intake assist: category top-3, area and unit, likely duplicates, similar cases with replies, a summary. */
  intake: IntakeService;
  /** Hot issues and emerging alerts. */
  hot: HotIssueService;
  /** Reply drafts grounded on closed cases and the knowledge base, and reply-quality scores. */
  replies: ReplyService;
  /** The policy knowledge base: documents, sections, search and the agents' Q&A. */
  knowledge: KnowledgeService;
  /** This node's similar-case index of the tickets: `refresh()`, `similar()`, `tokenize()`. */
  index: TicketIndex;
  /** The category model this node uses, and the start-up training (`train()`). */
  classifier: CategoryClassifier;
  /** Classifier versions in the database, training jobs, activation, scheduled retraining and agents' labels. */
  models: ModelService;
  /** The segmenter's user dictionary (place and unit names, terms, stop words) that administrators extend. */
  dictionary: DictionaryService;
  status(): IntelStatus;
}

declare module '../../platform/module/module.js' {
  interface ModuleServices {
    intel: IntelServices;
  }
}

// The system acts with the data bureau's role: it reads the organisations' names (dictionary) and trains models.
const dictionaryReader = systemActor('intel-dictionary', ['data_admin']);
const startupTrainer = systemActor('start', ['data_admin']);

/**
 * Hotline intelligence (docs/hotline-intel.md): the similar-case index refreshed from the database (every node
 * sees every node's tickets, and the bus brings new ones within `eventBatchMs`), duplicates, hot issues and
 * emerging alerts, reply drafts and scores, summaries, the category classifier with its versions, training and
 * agents' labels, and the segmenter's user dictionary. The LLM, when configured, writes summaries and drafts;
 * the offline methods answer otherwise and say so (`method`). It categorises tickets filed without a category
 * and learns from agents' 改类 through the hotline's hooks.
 */
export const intelModule = defineModule({
  name: 'intel',
  config: IntelConfigSchema,
  migrations: { ...intelMigrations, ...knowledgeMigrations },
  problems: intelProblems,
  permissions: intelPermissions,
  requires: ['hotline'],
  create(platform, config, { hotline }) {
    const { db, clock, ledger, events, auth, log, llm } = platform;
    const reference = new CityReference(db);
    const dictionary = new DictionaryService(
      db, clock, ledger,
      async () => (await auth.listOrgs(dictionaryReader)).map((o) => o.name),
      () => {
        events.publish(INTEL_CHANGED);
        // This node at once (a bus may not echo its own events); the others when the event or their refresh comes.
        index.refresh().catch((err: unknown) => log.warn({ err }, 'refreshing the index after a dictionary change failed'));
      },
    );
    const classifier: CategoryClassifier = new CategoryClassifier(config.classifier, reference, () => models.startTraining(startupTrainer, { trigger: 'start' }), log);
    const models: ModelService = new ModelService({
      db, ledger, config: config.classifier, clock, log,
      onLoad: (model, version) => {
        classifier.use(model, version);
        // New categories may have come with the model: map its labels to category ids again.
        reference.loadCategories().catch((err: unknown) => log.warn({ err }, 'reading the categories for a new model failed'));
      },
      suggest: (title, content) => classifier.suggest(title, content),
      onUnreadable: (m) => classifier.unreadable(m),
      onActivated: () => events.publish(INTEL_CHANGED),
    });
    const index = new TicketIndex({ db, config, dictionary, reference, syncModel: () => models.syncActive(), log });
    const intake = new IntakeService({
      config, clock, index, classifier, reference, llm,
      suggestUnit: (categoryId, areaId) => hotline.routing.suggestUnit(categoryId, areaId),
    });
    const knowledge = new KnowledgeService({
      db, clock, ledger, llm, config: config.knowledge, timeZone: platform.city.timeZone,
      tokens: (text) => index.tokenize('', text),
    });
    const drafter = new GroundedDrafter({ db, index, knowledge, config: config.knowledge });
    const services: IntelServices = {
      intake,
      hot: new HotIssueService(config, clock, index),
      replies: new ReplyService(config, index, llm, drafter),
      knowledge,
      index,
      classifier,
      models,
      dictionary,
      status: () => {
        const c = classifier.status;
        return { indexed: index.size, classifier: c.status, classifierReason: c.reason || null, modelVersion: models.loaded, llm: llm.enabled };
      },
    };

    // An agent's 改类 is a training label, stored in the workflow action's own transaction.
    hotline.workflow.onChange(models.labelRecategorized);
    // A ticket filed without a category gets the classifier's when it is confident; otherwise a person decides.
    hotline.intake.useAutoCategorizer((title, content) => classifier.autoCategory(title, content));
    // The open appeals near a citizen's pin are ranked by this index (BM25 vectors, cosine); a ticket not indexed
    // yet keeps the hotline's own bigram measure.
    hotline.nearby.useTextSimilarity((text, list) => {
      const idx = index.current;
      const query = idx.vector(index.tokenize(text, ''));
      const fallback = bigramSimilarity(text, list.filter((t) => idx.docIndex(t.id) === undefined));
      return new Map(list.map((t) => {
        const d = idx.docIndex(t.id);
        return [t.id, d === undefined ? (fallback.get(t.id) ?? 0) : cosine(query, idx.docVector(d))];
      }));
    });
    // Tickets filed on any node reach every node's index at once (duplicates within seconds of each other); a model
    // or dictionary changed elsewhere is picked up by a refresh at once (the bus reports a failed refresh).
    const unsubscribe = [
      events.subscribe(TICKETS_CHANGED, (data) => index.ticketsChanged(data.ids)),
      events.subscribe(INTEL_CHANGED, async () => void (await index.refresh())),
    ];

    return {
      services,
      routes: [
        { prefix: '/api/hotline', plugin: intelRoutes(services) },
        { prefix: '/api/hotline/knowledge', plugin: knowledgeRoutes(knowledge, config.knowledge.uploadMaxBytes) },
      ],
      jobs: [
        // What an event missed: the tickets changed since the last refresh, and another node's new model.
        { name: 'refresh', intervalSeconds: config.refreshIntervalSeconds, everyNode: true, run: () => index.refresh() },
        {
          name: 'retrain',
          intervalSeconds: config.classifier.retrainIntervalHours > 0 ? config.classifier.retrainCheckSeconds : 0,
          run: () => models.retrainIfDue(),
        },
      ],
      /**
       * Loads the active model and the index and, when configured and no model is active, starts the start-up
       * training (in a worker thread; the server answers meanwhile).
       */
      async start() {
        await models.syncActive().catch((err: unknown) => log.warn({ err }, 'loading the active classifier model failed'));
        await index.refresh();
        if (config.classifier.trainAtStart && models.loaded === null) setImmediate(() => classifier.trainInBackground());
      },
      stop() {
        for (const off of unsubscribe) off();
        index.stop();
      },
    };
  },
});
