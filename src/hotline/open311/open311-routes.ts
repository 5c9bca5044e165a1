import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { toProblem } from '../../platform/http/problem-handler.js';
import type { Open311Service } from './open311-service.js';
import { xmlDocument, type XmlValue } from './open311-xml.js';

const Format = Type.Union([Type.Literal('json'), Type.Literal('xml')], { description: 'json or xml' });
const FormatParams = Type.Object({ format: Format });
const Jurisdiction = { jurisdiction_id: Type.Optional(Type.String({ description: 'ignored unless configured (single jurisdiction)' })) };
const JurisdictionQuery = Type.Object(Jurisdiction);

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

/** The Open311 error document: an array of {code, description} (spec, "Errors"). */
const Errors = Type.Array(Type.Object({ code: Type.Integer(), description: Type.String() }));
const errorResponses = { 400: Errors, 403: Errors, 404: Errors };

const Discovery = Type.Object({
  changeset: Type.String(),
  contact: Type.String(),
  key_service: Type.String(),
  endpoints: Type.Array(
    Type.Object({
      specification: Type.String(),
      url: Type.String(),
      changeset: Type.String(),
      type: Type.String(),
      formats: Type.Array(Type.String()),
    }),
  ),
});

const Service = Type.Object({
  service_code: Type.String(),
  service_name: Type.String(),
  description: Type.String(),
  metadata: Type.Boolean(),
  type: Type.String(),
  keywords: Type.String(),
  group: Type.String(),
});

const ServiceDefinition = Type.Object({
  service_code: Type.String(),
  attributes: Type.Array(Type.Object({})),
});

const Request = Type.Object({
  service_request_id: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  status_notes: Nullable(Type.String()),
  service_name: Nullable(Type.String()),
  service_code: Nullable(Type.String()),
  description: Nullable(Type.String()),
  agency_responsible: Nullable(Type.String()),
  service_notice: Nullable(Type.String()),
  requested_datetime: Nullable(Type.String()),
  updated_datetime: Nullable(Type.String()),
  expected_datetime: Nullable(Type.String()),
  address: Nullable(Type.String()),
  address_id: Nullable(Type.String()),
  zipcode: Nullable(Type.String()),
  lat: Nullable(Type.Number()),
  long: Nullable(Type.Number()),
  media_url: Nullable(Type.String()),
});

const RequestsQuery = Type.Object({
  ...Jurisdiction,
  service_request_id: Type.Optional(Type.String({ description: 'comma-delimited; overrides all other arguments' })),
  service_code: Type.Optional(Type.String({ description: 'comma-delimited' })),
  start_date: Type.Optional(Type.String({ description: 'w3 date-time with zone, e.g. 2010-01-01T00:00:00Z' })),
  end_date: Type.Optional(Type.String({ description: 'w3 date-time with zone' })),
  status: Type.Optional(Type.String({ description: 'open, closed, or both comma-delimited' })),
});

const Submit = Type.Object({
  api_key: Type.Optional(Type.String()),
  jurisdiction_id: Type.Optional(Type.String()),
  service_code: Type.Optional(Type.String()),
  // Form fields are text; a JSON body may send numbers (bodies are not coerced).
  lat: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  long: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  address_string: Type.Optional(Type.String()),
  address_id: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  device_id: Type.Optional(Type.String()),
  account_id: Type.Optional(Type.String()),
  first_name: Type.Optional(Type.String()),
  last_name: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  media_url: Type.Optional(Type.String()),
  attribute: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const SubmitResponse = Type.Array(
  Type.Object({
    service_request_id: Type.String(),
    token: Type.String(),
    service_notice: Type.String(),
    account_id: Nullable(Type.String()),
  }),
);

const TokenResponse = Type.Array(Type.Object({ service_request_id: Type.String(), token: Type.String() }));

type Fmt = Static<typeof Format>;

const XML_TYPE = 'text/xml; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends JSON through the response schema, or the same (already whitelisted) value as XML. */
const send = (reply: FastifyReply, format: Fmt, root: string, value: unknown, xml: XmlValue) => {
  if (format === 'xml') return reply.type(XML_TYPE).send(xmlDocument(root, xml));
  return reply.type(JSON_TYPE).send(value);
};

const formatOf = (request: FastifyRequest): Fmt => (/\.xml$/i.test(request.url.split('?')[0]) ? 'xml' : 'json');

/** Open311 renders errors its own way; the status comes from CityHub's problem registry (400 / 403 / 404). */
const sendErrors = (reply: FastifyReply, request: FastifyRequest, status: number, descriptions: string[]) => {
  const errors = descriptions.map((description) => ({ code: status, description }));
  const format = formatOf(request);
  reply.code(status);
  if (format === 'xml') return reply.type(XML_TYPE).send(xmlDocument('errors', { item: 'error', values: errors }));
  return reply.type(JSON_TYPE).send(errors);
};

/**
 * Form fields of POST Service Request (application/x-www-form-urlencoded, UTF-8), including the spec's
 * `attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2`.
 */
export const parseForm = (body: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  const attribute: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const m = /^attribute\[([^\]]+)\](\[\])?$/.exec(key);
    if (m) {
      if (m[2]) attribute[m[1]] = [...((attribute[m[1]] as string[] | undefined) ?? []), value];
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
export async function open311Routes(fastify: FastifyInstance, opts: { open311: Open311Service }): Promise<void> {
  const { open311 } = opts;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

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
    const status = problem.status === 401 ? 403 : problem.status === 404 || problem.status === 403 ? problem.status : 400;
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
    const d = open311.discovery();
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
    schema: { tags: ['open311'], params: FormatParams, querystring: JurisdictionQuery, response: { 200: Type.Array(Service), ...errorResponses } },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const services = await open311.services();
    return send(reply, req.params.format, 'services', services, { item: 'service', values: services });
  });

  app.get('/services/:service_code.:format', {
    config: { access: 'public' },
    schema: {
      tags: ['open311'],
      params: Type.Object({ service_code: Type.String(), format: Format }),
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
    schema: { tags: ['open311'], params: FormatParams, querystring: RequestsQuery, response: { 200: Type.Array(Request), ...errorResponses } },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const requests = await open311.requests(req.query);
    return send(reply, req.params.format, 'service_requests', requests, { item: 'request', values: requests });
  });

  app.post('/requests.:format', {
    // Public at the gate: the spec puts the api_key in the form, and the service checks it (403 when wrong).
    config: { access: 'public' },
    schema: { tags: ['open311'], params: FormatParams, body: Submit, response: { 200: SubmitResponse, ...errorResponses } },
  }, async (req, reply) => {
    const result = await open311.submit(req.body ?? {}, req.actor);
    return send(reply, req.params.format, 'service_requests', [result], { item: 'request', values: [{ ...result }] });
  });

  app.get('/requests/:service_request_id.:format', {
    config: { access: 'public' },
    schema: {
      tags: ['open311'],
      params: Type.Object({ service_request_id: Type.String(), format: Format }),
      querystring: JurisdictionQuery,
      response: { 200: Type.Array(Request), ...errorResponses },
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
      params: Type.Object({ token: Type.String(), format: Format }),
      querystring: JurisdictionQuery,
      response: { 200: TokenResponse, ...errorResponses },
    },
  }, async (req, reply) => {
    open311.checkJurisdiction(req.query.jurisdiction_id);
    const t = await open311.token(req.params.token);
    return send(reply, req.params.format, 'service_requests', [t], { item: 'request', values: [t] });
  });
}
