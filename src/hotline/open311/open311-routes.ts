import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { RoutePlugin } from '../../platform/http/server.js';
import { toProblem } from '../../platform/http/problem-handler.js';
import { registerCors } from '../../platform/http/cors.js';
import { requestOrigin } from '../../platform/http/public-url.js';
import { Problem } from '../../platform/errors/problem.js';
import type { Open311Config } from './config.js';
import type { Open311Service } from './open311-service.js';
import { xmlDocument, type XmlValue } from './open311-xml.js';
import {
  Discovery, Errors, FormatParams, JurisdictionQuery, RequestIdParams, RequestUpdate, RequestView, RequestsQuery, ServiceCodeParams, ServiceDefinition,
  ServiceView, SubmitInput, SubmitResult, TokenParams, TokenResult, UpdatesQuery, type Format,
} from './schemas.js';

const errorResponses = { 400: Errors, 403: Errors, 404: Errors, 414: Errors };

const XML_TYPE = 'text/xml; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends JSON through the response schema, or the same (already whitelisted) value as XML. */
const send = (reply: FastifyReply, format: Format, root: string, value: unknown, xml: XmlValue) => {
  if (format === 'xml') return reply.type(XML_TYPE).send(xmlDocument(root, xml));
  return reply.type(JSON_TYPE).send(value);
};

const formatOfPath = (url: string): Format => (/\.xml$/i.test(url.split('?')[0]) ? 'xml' : 'json');

/** The Open311 error document (spec, "Errors"): `[{code, description}]`, or `<errors><error>…` for `.xml`. */
const errorsDocument = (format: Format, status: number, descriptions: string[]) => {
  const errors = descriptions.map((description) => ({ code: status, description }));
  return format === 'xml'
    ? { type: XML_TYPE, body: xmlDocument('errors', { item: 'error', values: errors }) }
    : { type: JSON_TYPE, body: errors };
};

/** Open311 renders errors its own way; the status comes from CityHub's problem registry (400 / 403 / 404 / 414). */
const sendErrors = (reply: FastifyReply, request: FastifyRequest, status: number, descriptions: string[]) => {
  const { type, body } = errorsDocument(formatOfPath(request.url), status, descriptions);
  return reply.code(status).type(type).send(body);
};

/** Statuses Open311 clients see as they are; every other 4xx is the spec's 400. */
const OWN_STATUSES = new Set([403, 404, 414, 431]);

/**
 * Form fields of POST Service Request (application/x-www-form-urlencoded, UTF-8), including the spec's
 * `attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2`.
 */
export const parseForm = (body: string): Record<string, unknown> => {
  // Null-prototype objects: a field named __proto__ or constructor stays a field, never a prototype or a method
  // (`attribute[__proto__][]=x` used to spread Object.prototype and throw).
  const out: Record<string, unknown> = Object.create(null);
  const attribute: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(body)) {
    const m = /^attribute\[([^\]]+)\](\[\])?$/.exec(key);
    if (m) {
      const before = attribute[m[1]];
      if (m[2]) attribute[m[1]] = [...(before === undefined ? [] : Array.isArray(before) ? before : [before]), value];
      else attribute[m[1]] = value;
    } else out[key] = value;
  }
  if (Object.keys(attribute).length) out.attribute = attribute;
  return out;
};

/**
 * GeoReport v2 under `/open311/v2` (docs/open311.md): discovery, services, service definitions, requests (GET
 * and POST), one request, tokens; each in `.json` and `.xml`. GETs are public as in the spec; POST checks its
 * api_key itself, so the route is public too.
 */
export const open311Routes = (open311: Open311Service, config: Pick<Open311Config, 'cors' | 'maxUrlLength'>): RoutePlugin => async (app) => {
  // A URL over Node's 16 KiB never reaches a route: it is answered as an Open311 errors document all the same.
  app.clientErrors.register(`${app.prefix}/`, (status, title, path) => {
    const { type, body } = errorsDocument(formatOfPath(path), status, [`${title}: send fewer service_request_id values or a shorter query`]);
    return { contentType: type, body: typeof body === 'string' ? body : JSON.stringify(body) };
  });
  // A long URL that did reach us: 414 in Open311's format (a list of 1,000 ids fits well within the limit).
  app.addHook('onRequest', async (request) => {
    if (request.url.length > config.maxUrlLength) {
      throw new Problem('HOTLINE_OPEN311_URL_TOO_LONG', { detail: `the request URL is longer than ${config.maxUrlLength} characters` });
    }
  });
  registerCors(app, config.cors, { methods: ['GET', 'POST'], headers: ['content-type', 'authorization'] });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) {
      request.log.error({ err: error }, 'open311 request failed');
      return sendErrors(reply, request, 400, ['general service error; please tell the hotline centre']);
    }
    // Missing or invalid credentials are 403 in Open311 (spec, "General Errors").
    const status = problem.status === 401 ? 403 : OWN_STATUSES.has(problem.status) ? problem.status : 400;
    const descriptions = problem.errors?.length
      ? problem.errors.map((e) => `${e.field.replace(/^\/(body|query|params)\//, '')}: ${e.message}`)
      : [problem.detail ?? problem.title];
    return sendErrors(reply, request, status, descriptions);
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    sendErrors(reply, request, 404, [`no such Open311 resource: ${request.method} ${request.url.split('?')[0]}`]);
  app.setNotFoundHandler({}, notFound);
  // The web app's catch-all (`/*`) would answer first; this more specific one keeps unknown paths in Open311's format.
  app.all('/*', { config: { access: 'public' }, schema: { hide: true } }, notFound);

  // Service Discovery: the same document in both formats (Service_Discovery spec: both are required).
  app.get('/discovery.:format', {
    config: { access: 'public' },
    schema: { tags: ['open311'], params: FormatParams, response: { 200: Discovery, ...errorResponses } },
  }, async (req, reply) => {
    const d = open311.discovery(`${requestOrigin(req)}${app.prefix}`);
    const xml = {
      ...d,
      endpoints: {
        item: 'endpoint',
        values: d.endpoints.map((e) => ({ ...e, formats: { item: 'format', values: e.formats } })),
      },
    };
    return send(reply, req.params.format, 'discovery', d, xml);
  });

  app.get('/services.:format', {
    config: { access: 'public' },
    schema: { tags: ['open311'], params: FormatParams, querystring: JurisdictionQuery, response: { 200: Type.Array(ServiceView), ...errorResponses } },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const services = await open311.services();
    return send(reply, req.params.format, 'services', services, { item: 'service', values: services });
  });

  app.get('/services/:service_code.:format', {
    config: { access: 'public' },
    schema: {
      tags: ['open311'],
      params: ServiceCodeParams,
      querystring: JurisdictionQuery,
      response: { 200: ServiceDefinition, ...errorResponses },
    },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const def = await open311.serviceDefinition(req.params.service_code);
    return send(reply, req.params.format, 'service_definition', def, { service_code: def.service_code, attributes: { item: 'attribute', values: [] } });
  });

  app.get('/requests.:format', {
    config: { access: 'public' },
    schema: { tags: ['open311'], params: FormatParams, querystring: RequestsQuery, response: { 200: Type.Array(RequestView), ...errorResponses } },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const requests = await open311.requests(req.query);
    return send(reply, req.params.format, 'service_requests', requests, { item: 'request', values: requests });
  });

  app.post('/requests.:format', {
    // Public at the gate: the spec puts the api_key in the form, and the service checks it (403 when wrong).
    config: { access: 'public' },
    schema: { tags: ['open311'], params: FormatParams, headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }), body: SubmitInput, response: { 200: Type.Array(SubmitResult), ...errorResponses } },
  }, async (req, reply) => {
    const result = await open311.submit(req.body ?? {}, req.actor, req.headers['idempotency-key']);
    return send(reply, req.params.format, 'service_requests', [result], { item: 'request', values: [{ ...result }] });
  });

  // mySociety's extension, as FixMyStreet's client calls it: GET servicerequestupdates.{json,xml}?start_date&end_date
  app.get('/servicerequestupdates.:format', {
    config: { access: 'public' },
    schema: { tags: ['open311'], params: FormatParams, querystring: UpdatesQuery, response: { 200: Type.Array(RequestUpdate), ...errorResponses } },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const updates = await open311.updates(req.query);
    return send(reply, req.params.format, 'service_request_updates', updates, { item: 'request_update', values: updates });
  });

  app.get('/requests/:service_request_id.:format', {
    config: { access: 'public' },
    schema: {
      tags: ['open311'],
      params: RequestIdParams,
      querystring: JurisdictionQuery,
      response: { 200: Type.Array(RequestView), ...errorResponses },
    },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const request = await open311.request(req.params.service_request_id);
    return send(reply, req.params.format, 'service_requests', [request], { item: 'request', values: [request] });
  });

  app.get('/tokens/:token.:format', {
    config: { access: 'public' },
    schema: {
      tags: ['open311'],
      params: TokenParams,
      querystring: JurisdictionQuery,
      response: { 200: Type.Array(TokenResult), ...errorResponses },
    },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const t = await open311.token(req.params.token);
    return send(reply, req.params.format, 'service_requests', [t], { item: 'request', values: [t] });
  });
};
