import { problemCodes, type ProblemCode } from './problem-codes.js';

/** One field at fault, as a JSON Pointer into the request (`/body/title`, `/query/limit`). */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  /** Extra members added to the problem document (RFC 9457 §3.2), e.g. `allowed` transitions. */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * An error a client can act on, rendered as RFC 9457 application/problem+json.
 *
 * @example throw new Problem('NOT_FOUND', { detail: `ticket ${id} does not exist` });
 */
export class Problem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const entry = problemCodes[code];
    super(options.detail ?? entry.title);
    this.name = 'Problem';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  /** The problem document sent to the client. */
  toJSON(instance?: string): Record<string, unknown> {
    const entry = problemCodes[this.code];
    return {
      type: `https://cityhub.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: this.title,
      status: this.status,
      code: this.code,
      title_zh: entry.zh,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extra,
    };
  }
}

export const isProblem = (err: unknown): err is Problem => err instanceof Problem;
