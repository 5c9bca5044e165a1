import type { App } from './server.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Problem, isProblem, type FieldError } from '../errors/problem.js';

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** Where a request carries its parts, as the one spelling of field pointers clients see. */
const PARTS: Record<string, string> = { body: 'body', querystring: 'query', query: 'query', params: 'params', headers: 'headers' };

const schemaProperties = (request: FastifyRequest, part: string): Record<string, unknown> | undefined => {
  const schema = request.routeOptions?.schema as Record<string, { properties?: Record<string, unknown> } | undefined> | undefined;
  return schema?.[part]?.properties;
};

/**
 * A field as a JSON Pointer into the request. A service names a field of its input (`title`, `items/0/name`):
 * it lives where the route's schema declares it (body, query or path), else in the query of a read and the
 * body of a write. A pointer already rooted in a part keeps it, spelled the one way (`/querystring/` → `/query/`).
 */
export const fieldPointer = (request: FastifyRequest, field: string): string => {
  const rooted = /^\/(body|querystring|query|params|headers)(\/.*)?$/.exec(field);
  if (rooted) return `/${PARTS[rooted[1]]}${rooted[2] ?? ''}`;
  const path = field.replace(/^\//, '').replaceAll('.', '/');
  const first = path.split('/')[0];
  const part =
    (['params', 'querystring', 'body'] as const).find((p) => schemaProperties(request, p)?.[first] !== undefined) ??
    (['GET', 'HEAD', 'DELETE'].includes(request.method) ? 'querystring' : 'body');
  return `/${PARTS[part]}/${path}`;
};

export const sendProblem = (reply: FastifyReply, request: FastifyRequest, problem: Problem): FastifyReply => {
  for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value);
  if (problem.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(problem.retryAfterSeconds))));
  const body = problem.toJSON(request.url.split('?')[0]);
  if (problem.errors) body.errors = problem.errors.map((e) => ({ ...e, field: fieldPointer(request, e.field) }));
  return reply.code(problem.status).type(PROBLEM_TYPE).send(body);
};

/** Fastify's validation errors as fields rooted in their part (`/body/title`, `/query/limit`). */
const fieldErrors = (error: FastifyError): FieldError[] =>
  (error.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    const base = `/${PARTS[error.validationContext ?? 'body'] ?? 'body'}${v.instancePath}`;
    return { field: missing ? `${base}/${missing}` : base, message: v.message ?? 'invalid' };
  });

/**
 * Whether the database refused a value (SQLSTATE class 22, data exception: 22P02 invalid text representation,
 * 22003 numeric value out of range, 22021 character not in repertoire, 22007/22008 bad date or time, 22P05
 * untranslatable character…). The value came from the request, so it is the client's 400, not a 500 — the last
 * line of defence behind the validators, which should have refused it naming the field.
 */
export const isDataException = (error: unknown): boolean => {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && typeof severity === 'string';
};

/** Maps whatever was thrown to a problem a client can act on; unknown errors become a bare 500. */
export const toProblem = (error: FastifyError): Problem => {
  if (isProblem(error)) return error;
  if (error.validation) return new Problem('VALIDATION_FAILED', { errors: fieldErrors(error) });
  // The database's message names SQL, columns and values: the client gets a fixed sentence, the log the rest.
  if (isDataException(error)) return new Problem('BAD_REQUEST', { detail: 'a value in the request is malformed or out of range for its field' });
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new Problem('MALFORMED_JSON', { detail: error.message });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('PAYLOAD_TOO_LARGE', { detail: error.message });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new Problem('UNSUPPORTED_MEDIA_TYPE', { detail: error.message });
    default:
      break;
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return new Problem('MALFORMED_JSON', { detail: error.message });
  if (error.statusCode === 413) return new Problem('PAYLOAD_TOO_LARGE');
  if (error.statusCode === 415) return new Problem('UNSUPPORTED_MEDIA_TYPE', { detail: error.message });
  if (error.statusCode === 406) return new Problem('NOT_ACCEPTABLE', { detail: error.message });
  if (error.statusCode === 429) return new Problem('TOO_MANY_REQUESTS');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new Problem('BAD_REQUEST', { detail: error.message });
  }
  return new Problem('INTERNAL');
};

/** One door for errors: RFC 9457 problem+json, and never a stack trace to the client. */
export function registerProblemHandler(app: App): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (isDataException(error)) request.log.warn({ err: error }, 'the database refused a value of the request (a validator should have)');
    if (problem.status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, request, new Problem('INTERNAL', { extra: { requestId: request.id } }));
    }
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new Problem('ROUTE_NOT_FOUND', { detail: `${request.method} ${request.url.split('?')[0]}` })),
  );
}
