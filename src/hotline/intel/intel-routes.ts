import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { AssistInput, IntelService } from './intel-service.js';
import { wordKinds, type WordKind } from './user-dictionary.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const NStr = Nullable(Type.String());
const NNum = Nullable(Type.Number());
const Method = Type.Enum(['llm', 'offline']);

const AssistBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  content: Type.String({ minLength: 1, maxLength: 10_000 }),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  lon: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  lat: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  areaId: Type.Optional(Nullable(Type.String({ format: 'uuid' }))),
}, { additionalProperties: false });

const Duplicate = Type.Object({
  ticketId: Type.String(), number: Type.String(), title: Type.String(), similarity: Type.Number(),
  distanceMeters: NNum, placeMatch: Type.String(), mainTicketId: Type.String(), proposal: Type.Literal('merge'),
});
const SimilarCase = Type.Object({
  ticketId: Type.String(), number: Type.String(), title: Type.String(), similarity: Type.Number(), status: Type.String(),
  reply: NStr, createdAt: Type.String(),
});
const Summary = Type.Object({ text: Type.String(), method: Method, llmError: Type.Optional(Type.String()) });
const AssistResult = Type.Object({
  categories: Nullable(Type.Array(Type.Object({ categoryId: NStr, label: Type.String(), level1: Type.String(), confidence: Type.Number() }))),
  classifierReason: NStr,
  area: Nullable(Type.Object({ areaId: Type.String(), name: Type.String(), via: Type.String() })),
  unit: Nullable(Type.Object({ unitId: NStr, source: Type.String(), ruleId: NStr, categoryId: NStr })),
  duplicates: Type.Array(Duplicate),
  similar: Type.Array(SimilarCase),
  summary: Nullable(Summary),
  limited: Type.Boolean(),
});

const Factors = Type.Object({ volume: Type.Number(), citizens: Type.Number(), likes: Type.Number(), growth: Type.Number(), recency: Type.Number() });
const HotIssue = Type.Object({
  id: Type.String(), heat: Type.Number(), factors: Factors, title: Type.String(), place: NStr, areaId: NStr,
  from: Type.String(), to: Type.String(), memberIds: Type.Array(Type.String()),
});
const Alert = Type.Object({
  issueId: Type.String(), title: Type.String(), place: NStr, count: Type.Integer(), baselineRate: Type.Number(),
  pValue: Type.Number(), zScore: Type.Number(), memberIds: Type.Array(Type.String()),
});

const DraftBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  content: Type.String({ minLength: 1, maxLength: 10_000 }),
  unitName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
}, { additionalProperties: false });
const Part = Type.String();
const Draft = Type.Object({
  text: Type.String(),
  parts: Type.Object({ greeting: Part, acknowledgement: Part, handling: Part, result: Part, contact: Part, closing: Part }),
  basedOn: Type.Array(Type.Object({ ticketId: Type.String(), number: Type.String(), similarity: Type.Number() })),
  method: Method,
  llmError: Type.Optional(Type.String()),
});
const ScoreBody = Type.Object({
  message: Type.String({ minLength: 1, maxLength: 10_000 }),
  reply: Type.String({ minLength: 1, maxLength: 10_000 }),
  delayDays: Type.Optional(Nullable(Type.Number({ minimum: 0 }))),
}, { additionalProperties: false });
const Score = Type.Object({
  score: Type.Number(), relevance: Type.Number(), completeness: Type.Number(), interpretability: Type.Number(), timeliness: NNum,
  parts: Type.Record(Type.String(), Type.Boolean()), missing: Type.Array(Type.String()),
});

const Score4 = { accuracy: Type.Number(), macroF1: Type.Number() };
const WordView = Type.Object({ word: Type.String(), kind: Type.String(), addedBy: Type.String(), createdAt: Type.String() });

const Evaluation = Type.Object({
  method: Type.String(),
  holdoutFraction: Type.Number(),
  heldOut: Type.Integer(),
  accuracy: Type.Optional(Type.Number()),
  macroF1: Type.Optional(Type.Number()),
  level1: Type.Optional(Type.Object(Score4, { description: 'the same hold-out at level 1 (labels are category paths)' })),
  confident: Type.Optional(Type.Object({ minConfidence: Type.Number(), share: Type.Number(), accuracy: Nullable(Type.Number()) }, {
    description: 'share of the hold-out at or above the auto-categorisation threshold, and the accuracy there',
  })),
  perClass: Type.Optional(Type.Array(Type.Object({
    label: Type.String(), precision: Type.Number(), recall: Type.Number(), f1: Type.Number(), support: Type.Integer(),
  }))),
  baseline: Nullable(Type.Object({ version: Type.Integer(), ...Score4 })),
});
const ModelView = Type.Object({
  version: Type.Integer(), createdAt: Type.String(), trainedBy: Type.String(), trigger: Type.String(), examples: Type.Integer(),
  heldOut: Type.Integer(), labels: Type.Array(Type.String()), evaluation: Evaluation, trainSeconds: Type.Number(),
  status: Type.Enum(['active', 'candidate', 'retired']), activatedAt: NStr,
});
const JobView = Type.Object({
  id: Type.String(), trigger: Type.String(), requestedBy: Type.String(), status: Type.Enum(['running', 'succeeded', 'failed']),
  startedAt: Type.String(), heartbeatAt: Type.String(), finishedAt: NStr, progress: NStr, modelVersion: Nullable(Type.Integer()),
  activated: Nullable(Type.Boolean()), error: NStr,
});
const ModelList = Type.Object({
  activeVersion: Nullable(Type.Integer()),
  loadedVersion: Nullable(Type.Integer()),
  newSinceLastModel: Type.Object({ since: NStr, labels: Type.Integer(), examples: Type.Integer() }),
  running: Nullable(JobView),
  models: Type.Array(ModelView),
  jobs: Type.Array(JobView),
});
const LabelBody = Type.Object({ ticketId: Type.String({ format: 'uuid' }), categoryId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const LabelView = Type.Object({
  id: Type.Integer(), ticketId: Type.String(), categoryId: Type.String(), label: Type.String(), suggested: NStr,
  agrees: Nullable(Type.Boolean()), modelVersion: Nullable(Type.Integer()), source: Type.String(), createdAt: Type.String(),
});

const tags = ['hotline-intel'];

/**
 * Intake assist, hot issues, emerging alerts, reply drafts and scores, classifier models and agents' labels
 * under /api/hotline.
 */
export async function intelRoutes(app: FastifyInstance, opts: { intel: IntelService }) {
  const { intel } = opts;

  app.post('/assist', {
    config: { access: 'hotline.intel.assist' },
    schema: {
      tags, summary: 'Intake assist: category top-3, unit, duplicates, similar cases with replies, summary (受理辅助)',
      description: 'A citizen gets the category suggestion only (`limited: true`).',
      body: AssistBody, response: { 200: AssistResult },
    },
  }, (request) => intel.assist(request.actor, request.body as AssistInput));

  app.get('/hot-issues', {
    config: { access: 'hotline.intel.hot.read' },
    schema: {
      tags, summary: 'Hot issues (热点): clusters by text, place and time, ranked by the heat index',
      querystring: Type.Object({ top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
      response: { 200: Type.Object({ issues: Type.Array(HotIssue), computedAt: Type.String(), tickets: Type.Integer() }) },
    },
  }, (request) => intel.hotIssues(request.actor, (request.query as { top?: number }).top));

  app.get('/alerts', {
    config: { access: 'hotline.intel.hot.read' },
    schema: {
      tags, summary: 'Emerging issues (未诉先办): clusters growing faster than their own baseline',
      response: { 200: Type.Object({ alerts: Type.Array(Alert), computedAt: Type.String() }) },
    },
  }, (request) => intel.alerts(request.actor));

  app.post('/replies/draft', {
    config: { access: 'hotline.intel.reply' },
    schema: { tags, summary: 'A draft reply from similar replied cases and the template', body: DraftBody, response: { 200: Draft } },
  }, (request) => intel.draftReply(request.actor, request.body as { title: string; content: string; unitName?: string | null }));

  app.post('/replies/score', {
    config: { access: 'hotline.intel.reply' },
    schema: { tags, summary: 'Reply-quality score (relevance, completeness, interpretability, timeliness)', body: ScoreBody, response: { 200: Score } },
  }, (request) => intel.scoreReply(request.actor, request.body as { message: string; reply: string; delayDays?: number | null }));

  app.get('/intel/models', {
    config: { access: 'hotline.intel.model.read' },
    schema: {
      tags, summary: 'Classifier model versions with their hold-out evaluation, recent training jobs, labels since the last model',
      response: { 200: ModelList },
    },
  }, (request) => intel.models.list(request.actor));

  app.post('/intel/models/train', {
    config: { access: 'hotline.intel.model.manage' },
    schema: {
      tags, summary: 'Train a new model version in the background (202 with the job; poll /intel/models/jobs/{id})',
      description: '`activate`: true activates the new version whatever its evaluation, false keeps it as a candidate; '
        + 'absent, it becomes active unless its hold-out macro-F1 is below the active model’s by more than `activationMargin`.',
      body: Type.Optional(Type.Object({ activate: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
      response: { 202: Type.Object({ job: JobView }) },
    },
  }, async (request, reply) => {
    const body = (request.body ?? {}) as { activate?: boolean };
    const started = await intel.models.startTraining(request.actor, { trigger: 'manual', activate: body.activate });
    return reply.code(202).send({ job: started!.job });
  });

  app.get('/intel/models/jobs/:id', {
    config: { access: 'hotline.intel.model.read' },
    schema: { tags, summary: 'A training job: running, succeeded (with the model version) or failed', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: JobView } },
  }, (request) => intel.models.job(request.actor, (request.params as { id: string }).id));

  app.post('/intel/models/:version/activate', {
    config: { access: 'hotline.intel.model.manage' },
    schema: {
      tags, summary: 'Make a stored version the active model (roll back or forward); ledgered',
      params: Type.Object({ version: Type.Integer({ minimum: 1 }) }), response: { 200: ModelView },
    },
  }, (request) => intel.models.activate(request.actor, (request.params as { version: number }).version));

  app.get('/intel/dictionary', {
    config: { access: 'hotline.intel.dictionary.read' },
    schema: {
      tags, summary: 'The segmenter’s user dictionary (用户词典): words administrators added (area and organisation names are added by themselves)',
      response: { 200: Type.Object({ words: Type.Array(WordView) }) },
    },
  }, (request) => intel.dictionary.list(request.actor));

  app.post('/intel/dictionary', {
    config: { access: 'hotline.intel.dictionary.manage' },
    schema: {
      tags, summary: 'Add words: place and unit names, terms (kept whole), stop words (dropped); every node rebuilds its index',
      body: Type.Object({ words: Type.Array(Type.Object({
        word: Type.String({ minLength: 1, maxLength: 30 }),
        kind: Type.Enum([...wordKinds]),
      }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ added: Type.Array(WordView), existing: Type.Array(Type.String()) }) },
    },
  }, async (request, reply) => {
    const result = await intel.dictionary.add(request.actor, (request.body as { words: { word: string; kind: WordKind }[] }).words);
    void intel.refresh().catch(() => {}); // this node at once; the others on their next refresh
    return reply.code(201).send(result);
  });

  app.delete('/intel/dictionary/:word', {
    config: { access: 'hotline.intel.dictionary.manage' },
    schema: { tags, summary: 'Remove a word from the user dictionary', params: Type.Object({ word: Type.String({ minLength: 1, maxLength: 30 }) }) },
  }, async (request, reply) => {
    await intel.dictionary.remove(request.actor, (request.params as { word: string }).word);
    void intel.refresh().catch(() => {});
    return reply.code(204).send();
  });

  app.post('/intel/labels', {
    config: { access: 'hotline.intel.label' },
    schema: {
      tags, summary: 'An agent’s category for a ticket (数据标注): used instead of the ticket’s category at the next training',
      body: LabelBody, response: { 201: LabelView },
    },
  }, async (request, reply) => reply.code(201).send(await intel.models.addLabel(request.actor, request.body as { ticketId: string; categoryId: string })));
}
