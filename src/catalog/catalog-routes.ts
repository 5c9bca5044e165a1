import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import type { CatalogServices } from './index.js';
import { MaskSpecSchema } from './masking.js';
import { csvRecords, xlsxRecords } from './data-service.js';
import type { DatasetInput, DatasetPatch } from './catalog-service.js';
import type { GrantDecision, ShareRequestInput } from './sharing-service.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const Text = (max = 2000) => Type.String({ minLength: 1, maxLength: max });
/** A dataset by its id or identifier. */
const DatasetRef = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 100 }) });
const GradeSchema = Type.Union([Type.Literal('general'), Type.Literal('important'), Type.Literal('core')]);
const ShareAttr = Type.Union([Type.Literal('unconditional'), Type.Literal('conditional'), Type.Literal('not_shared')]);
const OpenAttr = Type.Union([Type.Literal('open'), Type.Literal('conditional_open'), Type.Literal('not_open')]);
const UpdateCycle = Type.Union(['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'].map((c) => Type.Literal(c)));
const FieldType = Type.Union(['string', 'integer', 'number', 'boolean', 'date', 'datetime', 'cn_id'].map((c) => Type.Literal(c)));
/** Identifiers that would collide with the sharing routes are not allowed. */
const Identifier = Type.String({ pattern: '^(?!(requests|grants|my-data-usage)$)[a-z][a-z0-9-]{1,62}$' });

const Contact = Type.Object({ name: Text(200), email: Type.Optional(Type.String({ maxLength: 200 })), phone: Type.Optional(Type.String({ maxLength: 50 })) });
const Temporal = Type.Object({ start: Type.Optional(Type.String({ format: 'date' })), end: Type.Optional(Type.String({ format: 'date' })) });
const Distribution = Type.Object({
  title: Text(200), format: Type.String({ minLength: 1, maxLength: 20 }), mediaType: Type.Optional(Type.String({ maxLength: 100 })),
  accessUrl: Type.Optional(Type.String({ maxLength: 500 })), description: Type.Optional(Type.String({ maxLength: 1000 })),
});

const FieldInputSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  title: Text(200),
  type: FieldType,
  required: Type.Optional(Type.Boolean()),
  category: Text(100),
  grade: GradeSchema,
  generalLevel: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  personal: Type.Optional(Type.Boolean()),
  sensitive: Type.Optional(Type.Boolean()),
  subjectId: Type.Optional(Type.Boolean()),
  defaultMask: Type.Optional(MaskSpecSchema),
});

const metadataProps = {
  title: Text(300),
  description: Text(5000),
  keywords: Type.Optional(Type.Array(Text(50), { maxItems: 50 })),
  themes: Type.Optional(Type.Array(Text(50), { maxItems: 20 })),
  contact: Type.Optional(Contact),
  licence: Type.Optional(Type.String({ maxLength: 500 })),
  temporal: Type.Optional(Temporal),
  spatial: Type.Optional(Type.String({ maxLength: 200 })),
  landingPage: Type.Optional(Type.String({ maxLength: 500 })),
  language: Type.Optional(Type.String({ maxLength: 10 })),
  distributions: Type.Optional(Type.Array(Distribution, { maxItems: 20 })),
  shareAttr: ShareAttr,
  shareBasis: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  shareConditions: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  openAttr: OpenAttr,
  updateCycle: UpdateCycle,
  sourceSystem: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  fields: Type.Array(FieldInputSchema, { minItems: 1, maxItems: 500 }),
};

const DatasetCreate = Type.Object({ identifier: Identifier, ownerOrgId: Type.Optional(Uuid), ...metadataProps });
const DatasetPatchSchema = Type.Partial(Type.Object(metadataProps));

const FieldView = Type.Object({
  name: Type.String(), title: Type.String(), type: Type.String(), required: Type.Boolean(), category: Type.String(),
  grade: Type.String(), generalLevel: Nullable(Type.String()), personal: Type.Boolean(), sensitive: Type.Boolean(),
  subjectId: Type.Boolean(), defaultMask: MaskSpecSchema,
});
const DatasetView = Type.Object({
  id: Type.String(), identifier: Type.String(), ownerOrgId: Type.String(), ownerName: Nullable(Type.String()),
  title: Type.String(), description: Type.String(), keywords: Type.Array(Type.String()), themes: Type.Array(Type.String()),
  contact: Nullable(Contact), licence: Nullable(Type.String()), temporal: Nullable(Temporal), spatial: Nullable(Type.String()),
  landingPage: Nullable(Type.String()), language: Nullable(Type.String()), distributions: Type.Array(Distribution),
  shareAttr: Type.String(), shareBasis: Nullable(Type.String()), shareConditions: Nullable(Type.String()), openAttr: Type.String(),
  updateCycle: Type.String(), sourceSystem: Nullable(Type.String()), grade: Type.String(), generalLevel: Nullable(Type.String()),
  version: Type.Integer(), dataVersion: Type.Integer(), rowCount: Type.Integer(), createdAt: Type.String(), updatedAt: Type.String(),
  fields: Type.Array(FieldView),
});
const FacetList = Type.Array(Type.Object({ value: Type.String(), label: Type.Optional(Type.String()), count: Type.Integer() }));
const SearchResult = Type.Object({
  total: Type.Integer(),
  items: Type.Array(Type.Object({
    id: Type.String(), identifier: Type.String(), title: Type.String(), description: Type.String(), ownerOrgId: Type.String(),
    ownerName: Nullable(Type.String()), themes: Type.Array(Type.String()), keywords: Type.Array(Type.String()), grade: Type.String(),
    generalLevel: Nullable(Type.String()), shareAttr: Type.String(), openAttr: Type.String(), updateCycle: Type.String(),
    version: Type.Integer(), rowCount: Type.Integer(), updatedAt: Type.String(),
  })),
  facets: Type.Object({ owner: FacetList, theme: FacetList, grade: FacetList, share: FacetList }),
});
const PublicSearchResult = Type.Object({
  total: Type.Integer(),
  items: Type.Array(Type.Object({
    id: Type.String(), identifier: Type.String(), title: Type.String(), description: Type.String(), ownerOrgId: Type.String(),
    ownerName: Nullable(Type.String()), themes: Type.Array(Type.String()), keywords: Type.Array(Type.String()), openAttr: Type.String(),
    updateCycle: Type.String(), licence: Nullable(Type.String()), contactName: Nullable(Type.String()),
    distributions: Type.Array(Type.Object({ title: Type.String(), format: Type.String() })), updatedAt: Type.String(),
  })),
  facets: Type.Object({ owner: FacetList, theme: FacetList, open: FacetList }),
});
const LoadResult = Type.Object({ dataVersion: Type.Integer(), mode: Type.String(), rows: Type.Integer(), rowCount: Type.Integer(), contentHash: Type.String() });
const RowFilterSchema = Type.Object({
  field: Type.String({ minLength: 1, maxLength: 64 }),
  op: Type.Union([Type.Literal('eq'), Type.Literal('ne'), Type.Literal('in'), Type.Literal('gte'), Type.Literal('lte')]),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.Union([Type.String(), Type.Number()]), { maxItems: 1000 })]),
});
const RequestView = Type.Object({
  id: Type.String(), datasetId: Type.String(), datasetIdentifier: Type.String(), datasetTitle: Type.String(),
  ownerOrgId: Type.String(), ownerName: Nullable(Type.String()), consumerOrgId: Type.String(), consumerName: Nullable(Type.String()),
  fields: Type.Array(Type.String()), purpose: Type.String(), legalBasis: Type.String(), aggregateOnly: Type.Boolean(),
  requestedUntil: Type.String(), status: Type.String(), dueAt: Type.String(), overdue: Type.Boolean(),
  overdueFlaggedAt: Nullable(Type.String()), decidedAt: Nullable(Type.String()), decidedBy: Nullable(Type.String()),
  reason: Nullable(Type.String()), createdAt: Type.String(),
});
const GrantView = Type.Object({
  id: Type.String(), requestId: Type.String(), datasetId: Type.String(), datasetIdentifier: Type.String(), consumerOrgId: Type.String(),
  fields: Type.Array(Type.String()), masks: Type.Record(Type.String(), MaskSpecSchema), rowFilters: Type.Array(RowFilterSchema),
  aggregateOnly: Type.Boolean(), k: Type.Integer(), purpose: Type.String(), legalBasis: Type.String(),
  maxRowsPerDay: Type.Integer(), maxCallsPerMinute: Type.Integer(), grantedAt: Type.String(), expiresAt: Type.String(),
  revokedAt: Nullable(Type.String()), revokeReason: Nullable(Type.String()), state: Type.String(),
});
const RequestOutcome = Type.Object({ request: RequestView, grant: Nullable(GrantView) });

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The catalogue under /api/catalog: datasets, grading vocabulary, versions, loads, DCAT-AP export. */
export const catalogRoutes = (services: CatalogServices): RoutePlugin => async (app) => {
  const { catalog, data, usage, config } = services;

  // Uploads arrive as the raw file; these parsers live only in this plugin's scope.
  app.addContentTypeParser(['text/csv', XLSX, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: config.uploadMaxBytes },
    (_req, body, done) => done(null, body));

  app.get('/vocabulary', {
    config: { access: 'catalog.read' },
    schema: {
      tags: ['catalog'], summary: 'The classification tree and grading vocabulary (分类分级)',
      response: { 200: Type.Object({
        categories: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), nameEn: Nullable(Type.String()), parent: Nullable(Type.String()) })),
        grades: Type.Array(Type.String()), generalLevels: Type.Array(Type.String()),
        shareAttributes: Type.Array(Type.String()), openAttributes: Type.Array(Type.String()),
      }) },
    },
  }, (req) => catalog.vocabulary(req.actor));

  app.get('/datasets', {
    config: { access: 'catalog.read' },
    schema: {
      tags: ['catalog'], summary: 'Search datasets with facets',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200 })), owner: Type.Optional(Uuid), theme: Type.Optional(Type.String({ maxLength: 50 })),
        grade: Type.Optional(GradeSchema), share: Type.Optional(ShareAttr),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), offset: Type.Optional(Type.Integer({ minimum: 0 })),
      }),
      response: { 200: SearchResult },
    },
  }, (req) => catalog.search(req.actor, req.query as never));

  app.get('/public/datasets', {
    config: { access: 'public' },
    schema: {
      tags: ['catalog'],
      summary: 'Search the public part of the catalogue (open and conditionally open datasets) with facets; no schemas, grading or rows',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200 })), owner: Type.Optional(Uuid), theme: Type.Optional(Type.String({ maxLength: 50 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), offset: Type.Optional(Type.Integer({ minimum: 0 })),
      }),
      response: { 200: PublicSearchResult },
    },
  }, (req) => catalog.publicSearch(req.query as never));

  app.post('/datasets', {
    config: { access: 'catalog.manage' },
    schema: { tags: ['catalog'], summary: 'Register a dataset with its graded field schema', body: DatasetCreate, response: { 201: DatasetView } },
  }, async (req, reply) => reply.code(201).send(await catalog.createDataset(req.actor, req.body as DatasetInput)));

  app.get('/datasets/:ref', {
    config: { access: 'catalog.read' },
    schema: { tags: ['catalog'], params: DatasetRef, response: { 200: DatasetView } },
  }, (req) => catalog.getDataset(req.actor, (req.params as { ref: string }).ref));

  app.patch('/datasets/:ref', {
    config: { access: 'catalog.manage' },
    schema: { tags: ['catalog'], summary: 'Change metadata or grading (a new version)', params: DatasetRef, body: DatasetPatchSchema, response: { 200: DatasetView } },
  }, (req) => catalog.updateDataset(req.actor, (req.params as { ref: string }).ref, req.body as DatasetPatch));

  app.get('/datasets/:ref/versions', {
    config: { access: 'catalog.read' },
    schema: {
      tags: ['catalog'], params: DatasetRef,
      response: { 200: Type.Array(Type.Object({
        version: Type.Integer(), change: Type.String(), snapshotHash: Type.String(), changedBy: Type.String(), changedAt: Type.String(),
        snapshot: Type.Record(Type.String(), Type.Unknown()),
      })) },
    },
  }, (req) => catalog.versions(req.actor, (req.params as { ref: string }).ref));

  app.get('/datasets/:ref/loads', {
    config: { access: 'catalog.read' },
    schema: {
      tags: ['catalog'], params: DatasetRef,
      response: { 200: Type.Array(Type.Object({
        dataVersion: Type.Integer(), mode: Type.String(), source: Type.String(), rows: Type.Integer(), contentHash: Type.String(),
        loadedBy: Type.String(), loadedAt: Type.String(),
      })) },
    },
  }, (req) => data.loads(req.actor, (req.params as { ref: string }).ref));

  app.post('/datasets/:ref/rows', {
    config: { access: 'catalog.data.load' },
    schema: {
      tags: ['catalog'], summary: 'Push rows (validated; all or nothing)', params: DatasetRef,
      body: Type.Object({
        mode: Type.Optional(Type.Union([Type.Literal('append'), Type.Literal('replace')])),
        rows: Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])), { maxItems: 100_000 }),
      }),
      response: { 201: LoadResult },
    },
  }, async (req, reply) => {
    const body = req.body as { mode?: 'append' | 'replace'; rows: Array<Record<string, string | number | boolean | null>> };
    const records = body.rows.map((values, i) => ({ line: i + 1, values }));
    return reply.code(201).send(await data.load(req.actor, (req.params as { ref: string }).ref, records, { mode: body.mode ?? 'append', source: 'api' }));
  });

  app.post('/datasets/:ref/upload', {
    config: { access: 'catalog.data.load' },
    bodyLimit: config.uploadMaxBytes,
    schema: {
      tags: ['catalog'], summary: 'Upload a CSV (text/csv) or XLSX file; the header row holds field names or titles',
      params: DatasetRef,
      querystring: Type.Object({ mode: Type.Optional(Type.Union([Type.Literal('append'), Type.Literal('replace')])) }),
      response: { 201: LoadResult },
    },
  }, async (req, reply) => {
    const ref = (req.params as { ref: string }).ref;
    const mode = (req.query as { mode?: 'append' | 'replace' }).mode ?? 'append';
    const body = req.body as Buffer;
    const xlsx = (req.headers['content-type'] ?? '').startsWith(XLSX) || (body.length > 1 && body[0] === 0x50 && body[1] === 0x4b);
    const result = await data.load(req.actor, ref, (fields) => (xlsx ? xlsxRecords(body, fields) : csvRecords(body, fields)), { mode, source: xlsx ? 'xlsx' : 'csv' });
    return reply.code(201).send(result);
  });

  app.get('/dcat', {
    config: { access: 'public' },
    schema: { tags: ['catalog'], summary: 'The public catalogue as DCAT-AP 3 JSON-LD', response: { 200: Type.Record(Type.String(), Type.Unknown()) } },
  }, async (req, reply) => {
    const doc = await catalog.exportDcat(`${req.protocol}://${req.host}`);
    return reply.type('application/ld+json; charset=utf-8').send(doc);
  });

  app.put('/citizens/:userId/identity', {
    config: { access: 'catalog.identity.link' },
    schema: {
      tags: ['catalog'], summary: 'Link a citizen user to their (verified) ID number; only its keyed hash is kept',
      params: Type.Object({ userId: Uuid }), body: Type.Object({ idNumber: Type.String({ minLength: 15, maxLength: 18 }) }),
      response: { 204: Type.Null() },
    },
  }, async (req, reply) => {
    await usage.linkCitizen(req.actor, (req.params as { userId: string }).userId, (req.body as { idNumber: string }).idNumber);
    return reply.code(204).send(null);
  });
};

/** Sharing under /api/share: requests, decisions, grants, the gateway and "who used my data". */
export const shareRoutes = (services: CatalogServices): RoutePlugin => async (app) => {
  const { sharing, gateway, usage } = services;
  const Id = Type.Object({ id: Uuid });

  app.post('/requests', {
    config: { access: 'share.request.create' },
    schema: {
      tags: ['sharing'], summary: 'Ask for fields of a dataset (unconditional datasets are granted at once)',
      body: Type.Object({
        dataset: Type.String({ minLength: 1, maxLength: 100 }),
        fields: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 500, uniqueItems: true }),
        purpose: Text(1000), legalBasis: Text(1000), until: Type.String({ minLength: 10, maxLength: 40 }),
        aggregateOnly: Type.Optional(Type.Boolean()),
      }),
      response: { 201: RequestOutcome },
    },
  }, async (req, reply) => reply.code(201).send(await sharing.request(req.actor, req.body as ShareRequestInput)));

  app.get('/requests', {
    config: { access: 'share.request.read' },
    schema: {
      tags: ['sharing'],
      summary: 'Sharing requests the caller\'s organisation made or received (the data bureau: all); each says whether it is overdue',
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('granted'), Type.Literal('refused')])),
        overdue: Type.Optional(Type.Boolean({ description: 'true: only pending requests past their decision deadline' })),
      }),
      response: { 200: Type.Array(RequestView) },
    },
  }, (req) => sharing.listRequests(req.actor, req.query as { status?: string; overdue?: boolean }));

  app.get('/requests/overdue', {
    config: { access: 'share.overdue.read' },
    schema: { tags: ['sharing'], summary: 'Requests past their decision deadline (flagged to the data bureau)', response: { 200: Type.Array(RequestView) } },
  }, (req) => sharing.overdue(req.actor));

  app.get('/requests/:id', {
    config: { access: 'share.request.read' },
    schema: { tags: ['sharing'], params: Id, response: { 200: RequestView } },
  }, (req) => sharing.getRequest(req.actor, (req.params as { id: string }).id));

  app.post('/requests/:id/decision', {
    config: { access: 'share.request.decide' },
    schema: {
      tags: ['sharing'], summary: 'Grant (possibly narrower) or refuse with a reason', params: Id,
      body: Type.Object({
        decision: Type.Union([Type.Literal('grant'), Type.Literal('refuse')]),
        reason: Type.Optional(Type.String({ maxLength: 2000 })),
        fields: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, uniqueItems: true })),
        until: Type.Optional(Type.String({ minLength: 10, maxLength: 40 })),
        masks: Type.Optional(Type.Record(Type.String(), MaskSpecSchema)),
        rowFilters: Type.Optional(Type.Array(RowFilterSchema, { maxItems: 20 })),
        aggregateOnly: Type.Optional(Type.Boolean()),
        k: Type.Optional(Type.Integer({ minimum: 2 })),
        maxRowsPerDay: Type.Optional(Type.Integer({ minimum: 1 })),
        maxCallsPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
      }),
      response: { 200: RequestOutcome },
    },
  }, (req) => sharing.decide(req.actor, (req.params as { id: string }).id, req.body as GrantDecision));

  app.get('/grants', {
    config: { access: 'share.request.read' },
    schema: { tags: ['sharing'], response: { 200: Type.Array(GrantView) } },
  }, (req) => sharing.listGrants(req.actor));

  app.post('/grants/:id/revoke', {
    config: { access: 'share.grant.revoke' },
    schema: { tags: ['sharing'], params: Id, body: Type.Object({ reason: Text(1000) }), response: { 200: GrantView } },
  }, (req) => sharing.revoke(req.actor, (req.params as { id: string }).id, (req.body as { reason: string }).reason));

  app.get('/my-data-usage', {
    config: { access: 'share.usage.self' },
    schema: {
      tags: ['sharing'], summary: 'Who used my data (我的数据谁用了)',
      response: { 200: Type.Object({
        linked: Type.Boolean(),
        accesses: Type.Array(Type.Object({
          id: Type.Integer(), unitId: Type.String(), unit: Nullable(Type.String()), purpose: Type.String(), kind: Type.String(),
          dataset: Type.String(), datasetOwner: Nullable(Type.String()), accessedAt: Type.String(), ledgerIndex: Nullable(Type.Integer()),
        })),
      }) },
    },
  }, (req) => usage.myDataUsage(req.actor));

  app.get('/:dataset/rows', {
    config: { access: 'share.gateway.use' },
    schema: {
      tags: ['sharing'], summary: 'Rows through the gateway: granted fields only, masked, filtered; ledgered',
      params: Type.Object({ dataset: Type.String({ minLength: 1, maxLength: 100 }) }),
      querystring: Type.Object({
        after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1 })),
        fields: Type.Optional(Type.String({ maxLength: 5000 })), grant: Type.Optional(Uuid),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
      }),
      response: {
        200: { content: {
          'application/json': { schema: Type.Object({
            dataset: Type.String(), grant: Type.String(), fields: Type.Array(Type.String()),
            rows: Type.Array(Type.Record(Type.String(), Type.Unknown())), next: Nullable(Type.Integer()),
          }) },
          'text/csv': { schema: Type.String() },
        } },
      },
    },
  }, async (req, reply) => {
    const q = req.query as { after?: number; limit?: number; fields?: string; grant?: string; format?: 'json' | 'csv' };
    const answer = await gateway.rows(req.actor, (req.params as { dataset: string }).dataset, {
      ...q, fields: q.fields ? q.fields.split(',').map((f) => f.trim()).filter(Boolean) : undefined,
    });
    // The body is sent exactly as hashed into the ledger (already serialised: Fastify sends strings as they are).
    return reply.type(answer.contentType).header('x-response-sha256', answer.responseHash).send(answer.body);
  });

  app.get('/:dataset/aggregate', {
    config: { access: 'share.gateway.use' },
    schema: {
      tags: ['sharing'], summary: 'Counts and sums per group; groups under k distinct subjects are left out',
      params: Type.Object({ dataset: Type.String({ minLength: 1, maxLength: 100 }) }),
      querystring: Type.Object({
        groupBy: Type.String({ minLength: 1, maxLength: 500 }), sum: Type.Optional(Type.String({ maxLength: 500 })), grant: Type.Optional(Uuid),
      }),
      response: {
        200: Type.Object({
          dataset: Type.String(), grant: Type.String(), k: Type.Integer(), groupBy: Type.Array(Type.String()),
          groups: Type.Array(Type.Object({ key: Type.Record(Type.String(), Type.Unknown()), count: Type.Integer(), sums: Type.Record(Type.String(), Type.Number()) })),
          suppressedGroups: Type.Integer(),
        }),
      },
    },
  }, (req) => {
    const q = req.query as { groupBy: string; sum?: string; grant?: string };
    const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);
    return gateway.aggregate(req.actor, (req.params as { dataset: string }).dataset, { groupBy: list(q.groupBy), sum: list(q.sum), grant: q.grant });
  });
};
