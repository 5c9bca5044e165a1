import { problemEntry, type ProblemCode } from './problem-codes.js';

/**
 * One field at fault. Services name it by its path in their own input (`title`, `items/0/name`), knowing
 * nothing of HTTP; the problem handler turns it into a JSON Pointer into the request (`/body/title`,
 * `/query/limit`, `/params/id`), the one spelling clients see.
 */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  /** Extra members added to the problem document (RFC 9457 §3.2), e.g. `allowed` transitions. */
  extra?: Record<string, unknown>;
  /** When the caller may try again (a rate limit, a quota): sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Protocol headers a facade must send with the problem (e.g. NGSI-LD's `Link`); services use the fields above. */
  headers?: Record<string, string>;
}

/**
 * An error a client can act on, rendered as RFC 9457 application/problem+json. The code must be registered
 * (`defineProblems`); an unknown code is a programming error and fails at once.
 *
 * @example throw new Problem('NOT_FOUND', { detail: `ticket ${id} does not exist` });
 */
export class Problem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly zh: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const entry = problemEntry(code);
    if (!entry) throw new Error(`problem code ${code} is not registered (defineProblems in its module's problems.ts)`);
    super(options.detail ?? entry.title);
    this.name = 'Problem';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.zh = entry.zh;
    this.detail = options.detail;
    this.errors = options.errors;
    this.extra = options.extra;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }

  /** The problem document sent to the client. */
  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: `https://cityhub.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: this.title,
      status: this.status,
      code: this.code,
      title_zh: this.zh,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extra,
    };
  }
}

export const isProblem = (err: unknown): err is Problem => err instanceof Problem;

/**
 * The usual 400 naming one field of the service's input.
 *
 * @example throw invalidField('deadline', 'must be in the future');
 */
export const invalidField = (field: string, message: string, detail?: string): Problem =>
  new Problem('VALIDATION_FAILED', { detail: detail ?? `${field}: ${message}`, errors: [{ field, message }] });
