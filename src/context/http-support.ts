import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../platform/http/server.js';
import { Problem, isProblem } from '../platform/errors/problem.js';
import { sendProblem, toProblem } from '../platform/http/problem-handler.js';
import { ngsiProblem, ngsiTypeOf } from './ngsi-errors.js';
import { contextFromLink, expandTerm, linkHeader, type ContextResolver, type LdContext } from './jsonld-context.js';
import type { RequestScope } from './request-scope.js';

/**
 * HTTP conventions of NGSI-LD (§6.3): JSON and JSON-LD bodies, the @context from a Link header or the body,
 * Accept negotiation, the NGSILD-Tenant header, and problems typed with the NGSI-LD error types.
 */

export type Representation = 'json' | 'ld' | 'geo';

/**
 * JSON, JSON-LD and merge-patch bodies (Fastify's own JSON parser is replaced inside this plugin): malformed JSON
 * is InvalidRequest; an empty body is no body — a DELETE sent with `Content-Type: application/json` and nothing
 * else succeeds (§6.3.4), and a write without a body fails on its schema instead.
 */
export function registerNgsiParsers(app: App): void {
  // Fastify's own JSON parsing, which refuses `__proto__` and `constructor.prototype` keys (prototype poisoning).
  const secure = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/ld+json', 'application/merge-patch+json', 'application/geo+json'], { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    secure(req, text, (err, value) => {
      if (err) done(ngsiProblem('InvalidRequest', 'the body is not valid JSON (or holds __proto__ or constructor.prototype keys)'));
      else done(null, value);
    });
  });
}

/**
 * HTTP conventions of the NGSI-LD binding that hold for every route: a POST, PATCH or PUT without Content-Length
 * answers a bare 411, no body, chunked or not, before anything else is looked at (§6.3.2, §6.3.4); a query
 * parameter the operation does not define is InvalidRequest (§6.3.20, checked before the body); the request's
 * NGSILD-Tenant is echoed on every answer, errors included (§6.3.14); JSON answers carry their media type without
 * a charset parameter, as NGSI-LD clients compare it (`application/json`, `application/ld+json`,
 * `application/geo+json`); with `fiwareService` FIWARE's `Fiware-Service` header names the tenant when
 * `NGSILD-Tenant` is absent.
 */
export function registerNgsiConventions(app: App, options: { fiwareService: boolean }): void {
  app.addHook('onRequest', async (request, reply) => {
    if (options.fiwareService && request.headers['ngsild-tenant'] === undefined) {
      const service = request.headers['fiware-service'];
      if (typeof service === 'string' && service !== '') request.headers['ngsild-tenant'] = service;
    }
    const m = request.method;
    if ((m === 'POST' || m === 'PATCH' || m === 'PUT') && request.headers['content-length'] === undefined) {
      return reply.code(411).send();
    }
  });
  app.addHook('preValidation', async (request) => {
    // The query parameters a route's schema names; a write without a query schema defines none.
    const m = request.method;
    const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
    const defined = schema ? schema.properties : m === 'POST' || m === 'PATCH' || m === 'PUT' ? {} : undefined;
    if (!defined || !request.query || typeof request.query !== 'object' || request.routeOptions.url?.includes('/cityhub/')) return;
    for (const name of Object.keys(request.query)) {
      if (!Object.hasOwn(defined, name)) throw ngsiProblem('InvalidRequest', `the query parameter "${name.slice(0, 64)}" is not one this operation defines`, { errors: [{ field: name.slice(0, 64), message: 'unknown query parameter' }] });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && /^application\/(json|ld\+json|geo\+json); charset=utf-8$/i.test(type)) reply.header('content-type', type.slice(0, type.indexOf(';')));
    const tenant = tenantOf(request);
    if (tenant && !reply.hasHeader('ngsild-tenant')) reply.header('NGSILD-Tenant', tenant);
    return payload;
  });
}

/**
 * RFC 9110 §15.5.6: a path the API has, asked with a method it does not take (`PATCH /subscriptions`, an update
 * without its id), is 405 with `Allow` naming the methods it takes, not 404. Paths are compared as routes are
 * written (`/subscriptions`, `/entityOperations/query`): a path with an id in it stays 404 for another method.
 */
export function registerMethodNotAllowed(app: App): void {
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0].replace(/(.)\/+$/, '$1');
    const allow = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((method) => app.hasRoute({ method, url }));
    if (allow.length === 0) return sendProblem(reply, request, new Problem('ROUTE_NOT_FOUND', { detail: `${request.method} ${url}` }));
    return sendProblem(reply, request, new Problem('METHOD_NOT_ALLOWED', {
      detail: `${url} takes ${allow.join(', ')}, not ${request.method}`, headers: { Allow: allow.join(', ') },
      extra: { type: 'https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported' },
    }));
  });
}

/** Problems of this plugin carry NGSI-LD types; platform ones (401, JSON errors, validation) are re-typed. */
export function registerNgsiErrors(app: App): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isProblem(error)) return sendProblem(reply, request, withNgsiType(error));
    // PostgreSQL: invalid regular expression (idPattern) — bad input, not a server fault.
    if ((error as { code?: string }).code === '2201B') return sendProblem(reply, request, ngsiProblem('BadRequestData', `invalid regular expression: ${error.message}`));
    const problem = toProblem(error);
    if (problem.status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, request, new Problem('INTERNAL', { extra: { requestId: request.id, type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError' } }));
    }
    return sendProblem(reply, request, withNgsiType(problem));
  });
}

const withNgsiType = (p: Problem): Problem => {
  if (typeof p.extra?.type === 'string') return p;
  switch (p.code) {
    case 'MALFORMED_JSON':
      return ngsiProblem('InvalidRequest', p.detail ?? 'the body is not valid JSON');
    case 'VALIDATION_FAILED':
      return ngsiProblem('BadRequestData', p.errors?.map((e) => `${e.field}: ${e.message}`).join('; ') ?? 'invalid request', { errors: p.errors });
    case 'UNSUPPORTED_MEDIA_TYPE':
      return ngsiProblem('UnsupportedMediaType', p.detail ?? 'use application/json or application/ld+json');
    case 'PAYLOAD_TOO_LARGE':
      return new Problem('PAYLOAD_TOO_LARGE', { detail: p.detail, extra: { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData' } });
    default:
      return new Problem(p.code, { detail: p.detail, errors: p.errors, headers: p.headers, extra: { ...p.extra, type: ngsiTypeOf(p) } });
  }
};

const offers: Array<[string, Representation]> = [['application/json', 'json'], ['application/ld+json', 'ld'], ['application/geo+json', 'geo']];

/**
 * Which representation the client accepts (§6.3.4): each of ours (GeoJSON only where the operation offers it)
 * takes the weight of the most specific media range naming it (RFC 9110 §5.3.2: the exact type over `application/*`
 * over `*\/*`; `q=0` refuses it, a q that is no number in [0, 1] is the default 1); the heaviest wins, ties go by
 * the spec's order json, ld+json, geo+json. No Accept: JSON. 406 when none of ours is acceptable.
 */
export function negotiate(request: FastifyRequest, allowGeo = true): Representation {
  const accept = request.headers.accept;
  if (!accept) return 'json';
  const ranges = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    return { type: type.trim().toLowerCase(), q: q !== undefined && Number.isFinite(weight) && weight >= 0 && weight <= 1 && q.slice(2).trim() !== '' ? weight : 1 };
  });
  let best: Representation | undefined;
  let bestQ = 0;
  for (const [media, rep] of offers) {
    if (rep === 'geo' && !allowGeo) continue;
    const range = ranges.find((r) => r.type === media) ?? ranges.find((r) => r.type === 'application/*') ?? ranges.find((r) => r.type === '*/*');
    if (range && range.q > bestQ) {
      best = rep;
      bestQ = range.q;
    }
  }
  if (best) return best;
  throw ngsiProblem('NotAcceptable', `cannot answer in ${accept}; use application/json, application/ld+json${allowGeo ? ' or application/geo+json' : ''}`);
}

/**
 * RFC 7240 `Prefer: return=minimal | return=representation` of a write, as NGSI-LD clients send it;
 * other preferences are ignored, as RFC 7240 allows, and are not named in `Preference-Applied`.
 */
export function preferredReturn(request: FastifyRequest): 'minimal' | 'representation' | undefined {
  const raw = request.headers.prefer;
  const prefs = (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').map((p) => p.split(';')[0].trim().toLowerCase().replace(/\s*=\s*/, '='));
  return prefs.includes('return=representation') ? 'representation' : prefs.includes('return=minimal') ? 'minimal' : undefined;
}

/** The tenant header (NGSILD-Tenant), undefined for the default tenant. */
export const tenantOf = (request: FastifyRequest): string | undefined => {
  const t = request.headers['ngsild-tenant'];
  return typeof t === 'string' && t !== '' ? t : undefined;
};

/**
 * The request's @context (§6.3.5): for JSON bodies only from the Link header; for JSON-LD bodies only from the
 * body's @context, which must be there.
 */
export async function requestContext(request: FastifyRequest, resolver: ContextResolver, body?: unknown): Promise<LdContext> {
  const link = contextFromLink(request.headers.link as string | undefined);
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (body !== undefined && request.method !== 'GET' && request.method !== 'DELETE') {
    const items = Array.isArray(body) ? body : [body];
    const inline = items.filter((b) => b && typeof b === 'object' && '@context' in (b as object));
    if (contentType === 'application/ld+json') {
      if (link) throw ngsiProblem('BadRequestData', 'with Content-Type application/ld+json the @context goes in the body, not in a Link header');
      if (inline.length !== items.length || items.length === 0) throw ngsiProblem('BadRequestData', 'Content-Type application/ld+json needs an @context in the body');
      return resolver.resolve((inline[0] as Record<string, unknown>)['@context']);
    }
    if (inline.length > 0) throw ngsiProblem('BadRequestData', 'a body with @context must be sent as application/ld+json');
  }
  return resolver.resolve(link);
}

/** A member of a request part any route may have (this runs for every NGSI-LD route, whatever its schema). */
const memberOf = (part: unknown, key: string): unknown =>
  part !== null && typeof part === 'object' ? Object.getOwnPropertyDescriptor(part, key)?.value : undefined;

/**
 * Builds the request scope: actor, tenant, context, and for a request on one entity its `?type=` selector (§4.17:
 * type names, `,` or `|` between them, any of which the entity must have; v1.9 retrieval too).
 */
export async function scopeOf(request: FastifyRequest, resolver: ContextResolver, body?: unknown): Promise<RequestScope> {
  const ctx = await requestContext(request, resolver, body);
  const scope: RequestScope = { actor: request.actor, tenant: tenantOf(request) ?? '', ctx };
  const selector = memberOf(request.params, 'entityId') !== undefined ? memberOf(request.query, 'type') : undefined;
  if (typeof selector === 'string' && selector.trim() !== '') {
    scope.typeSelector = selector.split(/[,|;()]/).map((t) => t.trim()).filter(Boolean).map((t) => expandTerm(ctx, t));
  }
  return scope;
}

/**
 * Sends a JSON, JSON-LD or GeoJSON body with the context where NGSI-LD wants it (§6.3.5). Bodies with JsonPart
 * parts (temporal aggregations) pass `stringify: serializeJson` (bytes, sent as they are); the others keep the
 * plain, faster JSON.stringify.
 */
export function sendNgsi(
  reply: FastifyReply, status: number, body: unknown, ctx: LdContext, rep: Representation, tenant?: string,
  stringify: (value: unknown) => string | Buffer = JSON.stringify,
): FastifyReply {
  if (tenant) reply.header('NGSILD-Tenant', tenant);
  if (rep === 'ld') {
    const withCtx = Array.isArray(body)
      ? body.map((e) => (e && typeof e === 'object' ? { ...(e as object), '@context': ctx.source } : e))
      : body && typeof body === 'object' ? { ...(body as object), '@context': ctx.source } : body;
    return reply.code(status).type('application/ld+json').send(stringify(withCtx));
  }
  // The @context link goes with any the route set already (the pages of a paginated answer, §6.3.13).
  const pages = reply.getHeader('link');
  reply.header('Link', pages === undefined ? linkHeader(ctx.linkUrl) : [linkHeader(ctx.linkUrl), ...[pages].flat().map(String)]);
  if (rep === 'geo') {
    // §6.3.15: the @context inside the GeoJSON too, unless the client prefers a plain JSON body (Prefer: body=json).
    const plain = /(^|[,;\s])body\s*=\s*"?json"?\s*($|[,;])/i.test(String(reply.request.headers.prefer ?? ''));
    const geo = !plain && body && typeof body === 'object' && !Array.isArray(body) ? { ...(body as object), '@context': ctx.source } : body;
    return reply.code(status).type('application/geo+json').send(stringify(geo));
  }
  return reply.code(status).type('application/json').send(stringify(body));
}
