import { Type, type Static } from 'typebox';

const num = (min: number, def: number, max?: number) =>
  Type.Number(max === undefined ? { minimum: min, default: def } : { minimum: min, maximum: max, default: def });

/**
 * `modules.intel`: every threshold, window and weight of the hotline intelligence (docs/hotline-intel.md).
 * Nothing here is a constant in code; a city tunes it to its own history.
 */
export const IntelConfigSchema = Type.Object({
  /** How often the in-memory index reads tickets created or changed since its last refresh (0 = only on demand). */
  refreshIntervalSeconds: Type.Integer({ minimum: 0, default: 10 }),
  /**
   * Tickets reported changed on the event bus (by this node or another) within this many milliseconds are read
   * into the index together, at once rather than at the next refresh.
   */
  eventBatchMs: Type.Integer({ minimum: 0, default: 50 }),
  /** Tickets read per database round trip while loading the index. */
  loadBatchSize: Type.Integer({ minimum: 100, default: 5000 }),
  similar: Type.Object(
    {
      topK: Type.Integer({ minimum: 1, maximum: 50, default: 5 }),
      /** BM25 parameters. */
      k1: num(0, 1.2),
      b: num(0, 0.75, 1),
      /** Title words count this many times (a title states the matter). */
      titleWeight: Type.Integer({ minimum: 1, maximum: 5, default: 2 }),
      /** BM25 candidates re-scored by cosine (hashed tf-idf vectors) before the top-k is cut. */
      candidates: Type.Integer({ minimum: 5, maximum: 500, default: 50 }),
      /** Query words with a document frequency above this share of the index are ignored (no signal, long postings). */
      maxDfShare: num(0, 0.2, 1),
      /** Hash buckets of the tf-idf vectors (power of two). */
      hashBits: Type.Integer({ minimum: 10, maximum: 24, default: 18 }),
    },
    { default: {} },
  ),
  duplicates: Type.Object(
    {
      /** Cosine similarity at or above which two tickets are the same matter. */
      minSimilarity: num(0, 0.45, 1),
      /** Same matter without any place to compare needs this much more. */
      textOnlyMinSimilarity: num(0, 0.7, 1),
      /** Two points at most this far apart are the same place. */
      radiusMeters: num(0, 500),
      /** Tickets this many days apart (either way) are not duplicates. */
      windowDays: num(0, 7),
      maxResults: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
    },
    { default: {} },
  ),
  hot: Type.Object(
    {
      /** Tickets of the last `windowDays` days are clustered. */
      windowDays: Type.Integer({ minimum: 1, default: 30 }),
      /** Cosine similarity to join a cluster. */
      clusterSimilarity: num(0, 0.35, 1),
      /** Cosine similarity of two clusters' centroids to merge them (a matter first worded two ways). */
      mergeSimilarity: num(0, 0.6, 1),
      /** Tickets further apart than this (when both have coordinates) are not in one cluster. */
      clusterRadiusMeters: num(0, 2000),
      minClusterSize: Type.Integer({ minimum: 1, default: 3 }),
      topN: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
      /** Heat index weights (see docs/hotline-intel.md). */
      weights: Type.Object(
        {
          volume: num(0, 1),
          citizens: num(0, 1),
          likes: num(0, 0.5),
          growth: num(0, 0.5),
          recency: num(0, 1),
        },
        { default: {} },
      ),
      /** Growth compares the last `growthDays` days with the `growthDays` before. */
      growthDays: Type.Integer({ minimum: 1, default: 7 }),
      /** Recency decays with this half-life (days) from the cluster's last ticket. */
      recencyHalfLifeDays: num(0.1, 7),
      /** Seconds a computed hot-issue list is reused. */
      cacheSeconds: Type.Integer({ minimum: 0, default: 60 }),
    },
    { default: {} },
  ),
  alerts: Type.Object(
    {
      /** Days of history before the current day that form a cluster's baseline. */
      baselineDays: Type.Integer({ minimum: 3, default: 14 }),
      /** Floor of the baseline daily rate (a quiet cluster is not infinitely surprising). */
      minBaselineRate: num(0, 0.2),
      /** Poisson upper-tail probability below which the day is a burst. */
      alpha: num(0, 0.001, 1),
      /** A burst needs at least this many tickets in the day. */
      minCount: Type.Integer({ minimum: 1, default: 3 }),
    },
    { default: {} },
  ),
  replies: Type.Object(
    {
      /** Reply delays (days) scored 1.0 / 0.7 / 0.4; slower replies score 0.1. */
      timelyDays: Type.Array(Type.Number({ minimum: 0 }), { minItems: 3, maxItems: 3, default: [7, 15, 30] }),
      weights: Type.Object(
        { relevance: num(0, 0.3), completeness: num(0, 0.3), interpretability: num(0, 0.2), timeliness: num(0, 0.2) },
        { default: {} },
      ),
      /** Interpretability counts this many explanation cues as full marks. */
      interpretCues: Type.Integer({ minimum: 1, default: 2 }),
      /** Characters of substance (beyond greeting, receipt, closing, date) a reply needs to explain anything. */
      substanceChars: Type.Integer({ minimum: 1, default: 40 }),
    },
    { default: {} },
  ),
  assist: Type.Object(
    {
      /**
       * Category suggestions below this calibrated probability are not shown (a 0 % "suggestion" only invites a
       * wrong click); the classifier's reason is shown instead when none is left.
       */
      minCategoryConfidence: num(0, 0.1, 1),
    },
    { default: {} },
  ),
  /** The policy knowledge base, grounded drafts and knowledge Q&A (docs/hotline-llm.md). */
  knowledge: Type.Object(
    {
      /** Largest uploaded document. */
      uploadMaxBytes: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
      /** What a DOCX's parts or a PDF's streams may expand to in all (zip bombs stop here). */
      maxExpandedBytes: Type.Integer({ minimum: 1024, default: 50 * 1024 * 1024 }),
      /** Expanded ÷ compressed size of one DOCX part. */
      maxCompressionRatio: num(1, 100),
      maxPages: Type.Integer({ minimum: 1, default: 500 }),
      /** A section longer than this many characters is cut at sentence ends. */
      maxSectionChars: Type.Integer({ minimum: 100, default: 1200 }),
      /**
       * A section is a source only when it holds at least this share of the question's word weight (idf); below
       * it the Q&A answers 知识库中未找到相关依据.
       */
      minRelevance: num(0, 0.35, 1),
      /** The same for the policy sections a reply draft cites (a whole message is asked, so fewer of its words match). */
      minDraftRelevance: num(0, 0.25, 1),
      /** Sections a Q&A answer or a draft cites at most. */
      maxSections: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
      /** Similar closed cases a draft cites at most, and the cosine similarity they need. */
      maxCases: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
      minCaseSimilarity: num(0, 0.2, 1),
    },
    { default: {} },
  ),
  classifier: Type.Object(
    {
      /**
       * Train a model from the database's tickets at start when the database holds no active model (one node
       * trains, in a worker thread; the others load the model on their refresh). On by default: in the worker the
       * server keeps answering (bench/hotline/intel-train-responsiveness.bench.ts, docs/hotline-intel.md).
       */
      trainAtStart: Type.Boolean({ default: true }),
      minTrainingTickets: Type.Integer({ minimum: 2, default: 50 }),
      /** Deepest taxonomy level the model predicts (1–3); the city's categories below it count as their ancestor. */
      maxCategoryLevel: Type.Integer({ minimum: 1, maximum: 3, default: 3 }),
      /** A level-2 or level-3 category with fewer training tickets than this is learnt as its parent. */
      minExamplesPerCategory: Type.Integer({ minimum: 1, default: 20 }),
      /**
       * A ticket filed without a category gets the model's top category when its calibrated probability is at least
       * `minConfidence`; below it, an agent decides (the hold-out evaluation reports the share and accuracy above it).
       */
      autoCategorize: Type.Object(
        { enabled: Type.Boolean({ default: true }), minConfidence: num(0.5, 0.9, 1) },
        { default: {} },
      ),
      maxTrainingTickets: Type.Integer({ minimum: 100, default: 20000 }),
      /** Train in a `node:worker_threads` worker (false: on the main thread, which stalls requests meanwhile). */
      worker: Type.Boolean({ default: true }),
      /** Share of the examples held out (by a hash of the text) to evaluate each version; the model never trains on them. */
      holdoutFraction: num(0, 0.1, 0.5),
      /** Scheduled retraining: at most once per this many hours (0 = off). */
      retrainIntervalHours: num(0, 24),
      /** …and only when at least this many new categorised tickets and agents' labels arrived since the last model. */
      retrainMinNewExamples: Type.Integer({ minimum: 0, default: 20 }),
      /** How often each node checks whether a scheduled retraining is due. */
      retrainCheckSeconds: Type.Integer({ minimum: 1, default: 300 }),
      /**
       * A new model (scheduled, or manual without `activate`) becomes active only if its hold-out macro-F1 is at
       * most this much below the active model's on the same hold-out; otherwise it is kept as a candidate.
       */
      activationMargin: num(0, 0.01, 1),
      /** A running training whose node has not reported for this long is taken as dead and frees the slot. */
      jobStaleMinutes: num(1, 15),
      /** How often a training node reports that it is alive (and its progress). */
      heartbeatSeconds: Type.Integer({ minimum: 1, default: 30 }),
    },
    { default: {} },
  ),
});

export type IntelConfig = Static<typeof IntelConfigSchema>;
