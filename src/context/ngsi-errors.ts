import { Problem, type FieldError } from '../platform/errors/problem.js';
import type { ProblemCode } from '../platform/errors/problem-codes.js';
import type { NgsiProblemDetails } from './schemas.js';

/** The error types of ETSI GS CIM 009 (NGSI-LD API) §5.5.2, the `type` member of every context-layer problem. */
export const ngsiErrorTypes = {
  InvalidRequest: 'CONTEXT_INVALID_REQUEST',
  BadRequestData: 'CONTEXT_BAD_REQUEST_DATA',
  AlreadyExists: 'CONTEXT_ALREADY_EXISTS',
  OperationNotSupported: 'CONTEXT_OPERATION_NOT_SUPPORTED',
  ResourceNotFound: 'CONTEXT_RESOURCE_NOT_FOUND',
  InternalError: 'CONTEXT_INTERNAL_ERROR',
  TooComplexQuery: 'CONTEXT_TOO_COMPLEX_QUERY',
  TooManyResults: 'CONTEXT_TOO_MANY_RESULTS',
  LdContextNotAvailable: 'CONTEXT_LD_CONTEXT_NOT_AVAILABLE',
  NoMultiTenantSupport: 'CONTEXT_NO_MULTI_TENANT_SUPPORT',
  NonexistentTenant: 'CONTEXT_NONEXISTENT_TENANT',
  /** Not an NGSI-LD type of its own; the spec answers 413/415/406/403 with these statuses. */
  RequestEntityTooLarge: 'CONTEXT_TOO_MANY_ENTITIES',
  UnsupportedMediaType: 'CONTEXT_UNSUPPORTED_MEDIA_TYPE',
  NotAcceptable: 'CONTEXT_NOT_ACCEPTABLE',
  Forbidden: 'CONTEXT_FORBIDDEN',
  /** HTTP's 411: a write without Content-Length (§6.3.4). */
  LengthRequired: 'CONTEXT_LENGTH_REQUIRED',
  /** CityHub's: an owner holds `subscriptions.maxPerOwner` subscriptions already (403). */
  TooManySubscriptions: 'CONTEXT_TOO_MANY_SUBSCRIPTIONS',
  /** CityHub's: a tenant keeps `snapshots.maxPerTenant` snapshots already (403). */
  TooManySnapshots: 'CONTEXT_TOO_MANY_SNAPSHOTS',
} as const satisfies Record<string, ProblemCode>;

export type NgsiErrorType = keyof typeof ngsiErrorTypes;

export const ngsiErrorUri = (type: NgsiErrorType): string => `https://uri.etsi.org/ngsi-ld/errors/${type}`;

/**
 * A CityHub problem whose `type` is the NGSI-LD error type URI, so NGSI-LD clients can branch on it while the
 * document keeps CityHub's `code` and Chinese title.
 *
 * @example throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
 */
export function ngsiProblem(
  type: NgsiErrorType,
  detail: string,
  options: { errors?: FieldError[]; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Problem {
  return new Problem(ngsiErrorTypes[type], {
    detail,
    errors: options.errors,
    headers: options.headers,
    extra: { ...options.extra, type: ngsiErrorUri(type) },
  });
}

/** The NGSI-LD type of a problem (for 207 batch reports); platform problems are mapped to the nearest one. */
export function ngsiTypeOf(problem: Problem): string {
  const own = problem.extra?.type;
  if (typeof own === 'string' && own.startsWith('https://uri.etsi.org/ngsi-ld/errors/')) return own;
  if (problem.status === 404) return ngsiErrorUri('ResourceNotFound');
  if (problem.status === 409) return ngsiErrorUri('AlreadyExists');
  if (problem.status >= 500) return ngsiErrorUri('InternalError');
  return ngsiErrorUri('BadRequestData');
}

/** The body of a problem as reported inside a 207 batch result or a notification status. */
export function problemDetails(problem: Problem): NgsiProblemDetails {
  return { type: ngsiTypeOf(problem), title: problem.title, status: problem.status, ...(problem.detail ? { detail: problem.detail } : {}) };
}
