import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { AssistInput, IntelService } from './intel-service.js';

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
  categories: Nullable(Type.Array(Type.Object({ categoryId: NStr, label: Type.String(), confidence: Type.Number() }))),
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

const tags = ['hotline-intel'];

/** Intake assist, hot issues, emerging alerts, reply drafts and scores under /api/hotline. */
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
}
