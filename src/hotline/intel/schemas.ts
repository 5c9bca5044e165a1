import { Type, type Static, type TSchema } from 'typebox';
import { NStr, Nullable } from '../../platform/http/common-schemas.js';
import { UnitSuggestion } from '../schemas.js';
import { GroundingSource } from './knowledge-schemas.js';

/**
 * The request and response schemas of hotline intelligence (/api/hotline: assist, hot issues, alerts, replies,
 * classifier models, labels, the user dictionary), with the types derived from them: the services take and
 * return these types, and the web app imports them (type-only). A leaf: typebox and the hotline's schemas only.
 */

const NNum = Nullable(Type.Number());

/** Which method produced an answer: the configured LLM, or the offline method (no LLM, or it failed). */
export const AnswerMethod = Type.Enum(['llm', 'offline']);
export type AnswerMethod = Static<typeof AnswerMethod>;

// ---- intake assist ------------------------------------------------------------------------------------------

/** What the assist reads: the matter as an agent (or a citizen) is typing it. */
export const AssistInput = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  content: Type.String({ minLength: 1, maxLength: 10_000 }),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  lon: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  lat: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  areaId: Type.Optional(Nullable(Type.String({ format: 'uuid' }))),
  /** the filed ticket being assisted: never proposed as its own duplicate or similar case */
  ticketId: Type.Optional(Nullable(Type.String({ format: 'uuid' }))),
}, { additionalProperties: false });
export type AssistInput = Static<typeof AssistInput>;

/** One of the classifier's top categories. */
export const CategoryGuess = Type.Object({
  categoryId: NStr,
  /** the category's path, `城乡建设/市政设施/路灯` (levels 2–3 where the model learnt them) */
  label: Type.String(),
  level1: Type.String(),
  confidence: Type.Number(),
});
export type CategoryGuess = Static<typeof CategoryGuess>;

/** The street or district the matter is in, and how it was found. */
export const AreaGuess = Type.Object({ areaId: Type.String(), name: Type.String(), via: Type.Enum(['given', 'address', 'nearest']) });
export type AreaGuess = Static<typeof AreaGuess>;

/** The unit routing would send the top category to (the hotline's suggestion), with that category. */
export const UnitGuess = Type.Object({ ...UnitSuggestion.properties, categoryId: NStr });
export type UnitGuess = Static<typeof UnitGuess>;

/** A filed ticket that is likely the same matter: a proposal to merge under its main ticket. */
export const DuplicateProposal = Type.Object({
  ticketId: Type.String(),
  number: Type.String(),
  title: Type.String(),
  similarity: Type.Number(),
  /** metres between the two points, when both have coordinates */
  distanceMeters: NNum,
  /** how the place matched: `distance` (≤ radius), `area` (same street/district) or `text` (no place to compare) */
  placeMatch: Type.Enum(['distance', 'area', 'text']),
  /** the ticket to merge under: the candidate's own main ticket when it is already merged */
  mainTicketId: Type.String(),
  /** the assist only proposes; the merge is the workflow's `merge` action */
  proposal: Type.Literal('merge'),
});
export type DuplicateProposal = Static<typeof DuplicateProposal>;

/** A similar past ticket with the reply given then (参考答复). */
export const SimilarCase = Type.Object({
  ticketId: Type.String(),
  number: Type.String(),
  title: Type.String(),
  similarity: Type.Number(),
  status: Type.String(),
  /** the reply given then, PII masked */
  reply: NStr,
  createdAt: Type.String(),
});
export type SimilarCase = Static<typeof SimilarCase>;

/** 工单摘要, and which method wrote it (`llmError`: why the configured LLM did not). */
export const TicketSummary = Type.Object({ text: Type.String(), method: AnswerMethod, llmError: Type.Optional(Type.String()) });
export type TicketSummary = Static<typeof TicketSummary>;

/** The assist's answer; a citizen's is cut to the category suggestion (`limited`). */
export const AssistResult = Type.Object({
  categories: Nullable(Type.Array(CategoryGuess)),
  /** why there are no categories (no model yet, training, too few tickets) */
  classifierReason: NStr,
  area: Nullable(AreaGuess),
  unit: Nullable(UnitGuess),
  duplicates: Type.Array(DuplicateProposal),
  similar: Type.Array(SimilarCase),
  summary: Nullable(TicketSummary),
  /** true when the answer was cut to the category suggestion (a citizen asked) */
  limited: Type.Boolean(),
});
export type AssistResult = Static<typeof AssistResult>;

// ---- hot issues and alerts ----------------------------------------------------------------------------------

export const HotIssuesQuery = Type.Object({ top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) });
export type HotIssuesQuery = Static<typeof HotIssuesQuery>;

/** The terms of the heat index, before weighting. */
export const HeatFactors = Type.Object({ volume: Type.Number(), citizens: Type.Number(), likes: Type.Number(), growth: Type.Number(), recency: Type.Number() });

/** A cluster of tickets about one matter at one place, ranked by the heat index (热点). */
export const HotIssue = Type.Object({
  /** stable within one computation: the id of the cluster's first ticket */
  id: Type.String(),
  heat: Type.Number(),
  factors: HeatFactors,
  title: Type.String(),
  place: NStr,
  areaId: NStr,
  from: Type.String(),
  to: Type.String(),
  memberIds: Type.Array(Type.String()),
});
export type HotIssue = Static<typeof HotIssue>;

/** A cluster growing faster than its own baseline (未诉先办). */
export const EmergingAlert = Type.Object({
  issueId: Type.String(),
  title: Type.String(),
  place: NStr,
  /** tickets in the last 24 hours */
  count: Type.Integer(),
  /** mean daily tickets over the baseline days (before the floor) */
  baselineRate: Type.Number(),
  /** Poisson upper tail P(X ≥ count | baseline) */
  pValue: Type.Number(),
  zScore: Type.Number(),
  memberIds: Type.Array(Type.String()),
});
export type EmergingAlert = Static<typeof EmergingAlert>;

/** `tickets`: how many were clustered (-1 when the list came from the cache). */
export const HotIssueList = Type.Object({ issues: Type.Array(HotIssue), computedAt: Type.String(), tickets: Type.Integer() });
export type HotIssueList = Static<typeof HotIssueList>;

export const AlertList = Type.Object({ alerts: Type.Array(EmergingAlert), computedAt: Type.String() });
export type AlertList = Static<typeof AlertList>;

// ---- replies ------------------------------------------------------------------------------------------------

/** The six standard parts of a reply, each holding `t`. */
const replyParts = <T extends TSchema>(t: T) =>
  Type.Object({ greeting: t, acknowledgement: t, handling: t, result: t, contact: t, closing: t });

export const DraftInput = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  content: Type.String({ minLength: 1, maxLength: 10_000 }),
  /** the handling unit's name, when known */
  unitName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  /** the handler's own findings (办理情况): the draft's handling and result when given */
  findings: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  /** the ticket's date (YYYY-MM-DD): only policy sections valid on it are cited (default today) */
  asOf: Type.Optional(Nullable(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }))),
  /** the ticket drafted for, never cited as its own similar case */
  ticketId: Type.Optional(Nullable(Type.String({ format: 'uuid' }))),
}, { additionalProperties: false });
export type DraftInput = Static<typeof DraftInput>;

/** A draft reply: its text and its standard parts, in order, so an agent can edit one. */
export const ReplyDraft = Type.Object({
  text: Type.String(),
  parts: replyParts(Type.String()),
  /** the past tickets whose replies the handling/result parts were taken from */
  basedOn: Type.Array(Type.Object({ ticketId: Type.String(), number: Type.String(), similarity: Type.Number() })),
});
export type ReplyDraft = Static<typeof ReplyDraft>;

/** The draft with the method that wrote it. */
export const DraftResult = Type.Object({
  ...ReplyDraft.properties,
  /** the cases and policy sections the text cites by their markers ([C1], [P1]); the agent inserts or drops them */
  sources: Type.Array(GroundingSource),
  /** the markers the text cites, in order */
  citations: Type.Array(Type.String()),
  method: AnswerMethod,
  llmError: Type.Optional(Type.String()),
});
export type DraftResult = Static<typeof DraftResult>;

export const ReplyQualityInput = Type.Object({
  message: Type.String({ minLength: 1, maxLength: 10_000 }),
  reply: Type.String({ minLength: 1, maxLength: 10_000 }),
  /** days between the message and the reply, when known */
  delayDays: Type.Optional(Nullable(Type.Number({ minimum: 0 }))),
}, { additionalProperties: false });
export type ReplyQualityInput = Static<typeof ReplyQualityInput>;

const ReplyPartsFound = replyParts(Type.Boolean());
export const ReplyPart = Type.KeyOf(ReplyPartsFound);
export type ReplyPart = Static<typeof ReplyPart>;

/** The reply-quality score (rules in docs/hotline-intel.md). */
export const ReplyQuality = Type.Object({
  /** 0..100 */
  score: Type.Number(),
  relevance: Type.Number(),
  completeness: Type.Number(),
  interpretability: Type.Number(),
  /** null when the delay is unknown (its weight is then spread over the others) */
  timeliness: NNum,
  parts: ReplyPartsFound,
  missing: Type.Array(ReplyPart),
});
export type ReplyQuality = Static<typeof ReplyQuality>;

// ---- classifier models, training jobs, labels ---------------------------------------------------------------

/** Accuracy and macro-F1 of one model on the hold-out. */
export const HoldoutScore = Type.Object({ accuracy: Type.Number(), macroF1: Type.Number() });
export type HoldoutScore = Static<typeof HoldoutScore>;

export const ConfidentShare = Type.Object({
  minConfidence: Type.Number(),
  /** share of the hold-out predicted at or above `minConfidence` */
  share: Type.Number(),
  /** accuracy of those predictions (null when there are none) */
  accuracy: NNum,
}, { description: 'share of the hold-out at or above the auto-categorisation threshold, and the accuracy there' });
export type ConfidentShare = Static<typeof ConfidentShare>;

/** Precision, recall and F1 of one class. */
export const ClassMetrics = Type.Object({
  label: Type.String(),
  precision: Type.Number(),
  recall: Type.Number(),
  f1: Type.Number(),
  /** Number of gold items of this class. */
  support: Type.Integer(),
});
export type ClassMetrics = Static<typeof ClassMetrics>;

/** Stored with every model version (the `evaluation` column). Scores are over the model's own labels (category paths). */
export const ModelEvaluation = Type.Object({
  /** how the hold-out is chosen, for whoever reads the figures later */
  method: Type.Literal('holdout-sha1'),
  holdoutFraction: Type.Number(),
  heldOut: Type.Integer(),
  accuracy: Type.Optional(Type.Number()),
  macroF1: Type.Optional(Type.Number()),
  /** the same hold-out scored at level 1 (gold and predicted paths cut to their level-1 name) */
  level1: Type.Optional(Type.Object(HoldoutScore.properties, { description: 'the same hold-out at level 1 (labels are category paths)' })),
  /** the predictions confident enough to categorise a ticket by themselves (classifier.autoCategorize) */
  confident: Type.Optional(ConfidentShare),
  perClass: Type.Optional(Type.Array(ClassMetrics)),
  /** the model that was active at training time, scored on the same hold-out (at level 1: models may differ in depth) */
  baseline: Nullable(Type.Object({ version: Type.Integer(), ...HoldoutScore.properties })),
});
export type ModelEvaluation = Static<typeof ModelEvaluation>;

export const TrainTrigger = Type.Enum(['manual', 'scheduled', 'start']);
export type TrainTrigger = Static<typeof TrainTrigger>;

export const ModelView = Type.Object({
  version: Type.Integer(),
  createdAt: Type.String(),
  trainedBy: Type.String(),
  trigger: Type.String(),
  examples: Type.Integer(),
  heldOut: Type.Integer(),
  labels: Type.Array(Type.String()),
  evaluation: ModelEvaluation,
  trainSeconds: Type.Number(),
  status: Type.Enum(['active', 'candidate', 'retired']),
  activatedAt: NStr,
});
export type ModelView = Static<typeof ModelView>;

export const JobView = Type.Object({
  id: Type.String(),
  trigger: Type.String(),
  requestedBy: Type.String(),
  status: Type.Enum(['running', 'succeeded', 'failed']),
  startedAt: Type.String(),
  heartbeatAt: Type.String(),
  finishedAt: NStr,
  progress: NStr,
  modelVersion: Nullable(Type.Integer()),
  activated: Nullable(Type.Boolean()),
  error: NStr,
});
export type JobView = Static<typeof JobView>;

/** New categorised tickets and agents' labels since the newest model. */
export const NewSinceLastModel = Type.Object({ since: NStr, labels: Type.Integer(), examples: Type.Integer() });
export type NewSinceLastModel = Static<typeof NewSinceLastModel>;

export const ModelList = Type.Object({
  activeVersion: Nullable(Type.Integer()),
  /** the version this node uses */
  loadedVersion: Nullable(Type.Integer()),
  newSinceLastModel: NewSinceLastModel,
  running: Nullable(JobView),
  models: Type.Array(ModelView),
  jobs: Type.Array(JobView),
});
export type ModelList = Static<typeof ModelList>;

export const TrainBody = Type.Optional(Type.Object({ activate: Type.Optional(Type.Boolean()) }, { additionalProperties: false }));
export const TrainStarted = Type.Object({ job: JobView });
export type TrainStarted = Static<typeof TrainStarted>;
export const JobParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1 }) });

/** An agent's category for a ticket (数据标注). */
export const LabelInput = Type.Object({ ticketId: Type.String({ format: 'uuid' }), categoryId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
export type LabelInput = Static<typeof LabelInput>;

export const LabelView = Type.Object({
  id: Type.Integer(),
  ticketId: Type.String(),
  categoryId: Type.String(),
  label: Type.String(),
  /** the active model's top label for the ticket when it was labelled */
  suggested: NStr,
  /** whether the agent agreed with the suggestion (null without a model) */
  agrees: Nullable(Type.Boolean()),
  modelVersion: Nullable(Type.Integer()),
  source: Type.String(),
  createdAt: Type.String(),
});
export type LabelView = Static<typeof LabelView>;

// ---- the user dictionary ------------------------------------------------------------------------------------

/** place and unit names and terms are kept whole by the segmenter; stop words are dropped. */
export const wordKinds = ['place', 'unit', 'term', 'stop'] as const;
export const WordKind = Type.Enum([...wordKinds]);
export type WordKind = Static<typeof WordKind>;

export const WordView = Type.Object({ word: Type.String(), kind: Type.String(), addedBy: Type.String(), createdAt: Type.String() });
export type WordView = Static<typeof WordView>;

export const WordList = Type.Object({ words: Type.Array(WordView) });
export type WordList = Static<typeof WordList>;

export const NewWord = Type.Object({ word: Type.String({ minLength: 1, maxLength: 30 }), kind: WordKind }, { additionalProperties: false });
export type NewWord = Static<typeof NewWord>;

export const AddWordsBody = Type.Object({ words: Type.Array(NewWord, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });

export const WordsAdded = Type.Object({ added: Type.Array(WordView), existing: Type.Array(Type.String()) });
export type WordsAdded = Static<typeof WordsAdded>;

export const WordParams = Type.Object({ word: Type.String({ minLength: 1, maxLength: 30 }) });
