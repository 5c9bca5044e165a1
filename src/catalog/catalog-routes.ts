import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import { Problem } from '../platform/errors/problem.js';
import { registerCors } from '../platform/http/cors.js';
import { requestOrigin } from '../platform/http/public-url.js';
import type { CatalogConfig } from './config.js';
import type { CatalogService } from './catalog-service.js';
import type { DataService } from './data-service.js';
import type { UsageService } from './usage-service.js';
import {
  CitizenIdentity, CitizenParams, DatasetInput, DatasetPatch, DatasetRef, DatasetSearchQuery, DatasetSearchResult,
  DatasetVersionView, DatasetView, DcatDocument, LoadResult, LoadView, PublicDatasetQuery, PublicSearchResult, RowsPush,
  UploadQuery, Vocabulary,
} from './schemas.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The catalogue under /api/catalog: datasets, grading vocabulary, versions, loads, DCAT-AP export. */
export const catalogRoutes = (deps: { catalog: CatalogService; data: DataService; usage: UsageService; config: CatalogConfig }): RoutePlugin => async (app) => {
  const { catalog, data, usage, config } = deps;
  // The public search and the DCAT export may be read by browsers of other sites (modules.catalog.cors); the
  // other routes need a session or key and never answer across origins.
  registerCors(app, config.cors, { methods: ['GET'], headers: [] });

  // Uploads arrive as the raw file; these parsers live only in this plugin's scope.
  app.addContentTypeParser(['text/csv', XLSX, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: config.uploadMaxBytes },
    (_req, body, done) => done(null, body));

  app.get('/vocabulary', {
    config: { access: 'catalog.read' },
    schema: { tags: ['catalog'], summary: 'The classification tree and grading vocabulary (分类分级)', response: { 200: Vocabulary } },
  }, (req) => catalog.vocabulary(req.actor));

  app.get('/datasets', {
    config: { access: 'catalog.read' },
    schema: { tags: ['catalog'], summary: 'Search datasets with facets', querystring: DatasetSearchQuery, response: { 200: DatasetSearchResult } },
  }, (req) => catalog.search(req.actor, req.query));

  app.get('/public/datasets', {
    config: { access: 'public' },
    schema: {
      tags: ['catalog'],
      summary: 'Search the public part of the catalogue (open and conditionally open datasets) with facets; no schemas, grading or rows',
      querystring: PublicDatasetQuery,
      response: { 200: PublicSearchResult },
    },
  }, (req) => catalog.publicSearch(req.query));

  app.post('/datasets', {
    config: { access: 'catalog.manage' },
    schema: { tags: ['catalog'], summary: 'Register a dataset with its graded field schema', body: DatasetInput, response: { 201: DatasetView } },
  }, async (req, reply) => reply.code(201).send(await catalog.createDataset(req.actor, req.body)));

  app.get('/datasets/:ref', {
    config: { access: 'catalog.read' },
    schema: { tags: ['catalog'], params: DatasetRef, response: { 200: DatasetView } },
  }, (req) => catalog.getDataset(req.actor, req.params.ref));

  app.patch('/datasets/:ref', {
    config: { access: 'catalog.manage' },
    schema: { tags: ['catalog'], summary: 'Change metadata or grading (a new version)', params: DatasetRef, body: DatasetPatch, response: { 200: DatasetView } },
  }, (req) => catalog.updateDataset(req.actor, req.params.ref, req.body));

  app.get('/datasets/:ref/versions', {
    config: { access: 'catalog.read' },
    schema: { tags: ['catalog'], params: DatasetRef, response: { 200: Type.Array(DatasetVersionView) } },
  }, (req) => catalog.versions(req.actor, req.params.ref));

  app.get('/datasets/:ref/loads', {
    config: { access: 'catalog.read' },
    schema: { tags: ['catalog'], params: DatasetRef, response: { 200: Type.Array(LoadView) } },
  }, (req) => data.loads(req.actor, req.params.ref));

  app.post('/datasets/:ref/rows', {
    config: { access: 'catalog.data.load' },
    schema: { tags: ['catalog'], summary: 'Push rows (validated; all or nothing)', params: DatasetRef, body: RowsPush, response: { 201: LoadResult } },
  }, async (req, reply) => reply.code(201).send(await data.loadRows(req.actor, req.params.ref, req.body)));

  app.post('/datasets/:ref/upload', {
    config: { access: 'catalog.data.load' },
    bodyLimit: config.uploadMaxBytes,
    schema: {
      tags: ['catalog'], summary: 'Upload a CSV (text/csv) or XLSX file; the header row holds field names or titles',
      params: DatasetRef, querystring: UploadQuery, response: { 201: LoadResult },
    },
  }, async (req, reply) => {
    // The content-type parsers above hand the file over as a Buffer; an XLSX is also known by its ZIP signature.
    if (!Buffer.isBuffer(req.body)) throw new Problem('UNSUPPORTED_MEDIA_TYPE', { detail: `send the file as text/csv or ${XLSX}` });
    const bytes = req.body;
    const xlsx = (req.headers['content-type'] ?? '').startsWith(XLSX) || (bytes.length > 1 && bytes[0] === 0x50 && bytes[1] === 0x4b);
    return reply.code(201).send(await data.loadFile(req.actor, req.params.ref, { bytes, format: xlsx ? 'xlsx' : 'csv' }, req.query.mode));
  });

  app.get('/dcat', {
    config: { access: 'public' },
    schema: { tags: ['catalog'], summary: 'The public catalogue as DCAT-AP 3 JSON-LD', response: { 200: DcatDocument } },
  }, async (req, reply) => reply.type('application/ld+json; charset=utf-8').send(await catalog.exportDcat(requestOrigin(req))));

  app.put('/citizens/:userId/identity', {
    config: { access: 'catalog.identity.link' },
    schema: {
      tags: ['catalog'], summary: 'Link a citizen user to their (verified) ID number; only its keyed hash is kept',
      params: CitizenParams, body: CitizenIdentity, response: { 204: Type.Null() },
    },
  }, async (req, reply) => {
    await usage.linkCitizen(req.actor, req.params.userId, req.body.idNumber);
    return reply.code(204).send(null);
  });
};
