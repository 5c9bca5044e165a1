import { defineProblems } from '../platform/errors/problem-codes.js';
import { Problem, type FieldError } from '../platform/errors/problem.js';

/** The problems of context sources and distributed operations; `type` is the NGSI-LD error type (§5.5.2). */
export const csourceProblems = defineProblems({
  CONTEXT_CONFLICT: { status: 409, title: 'Registration conflicts with an existing one', zh: '注册与已有注册冲突' },
  CONTEXT_LOOP_DETECTED: { status: 508, title: 'Forwarding loop detected', zh: '检测到转发循环' },
  CONTEXT_SOURCE_FAILED: { status: 502, title: 'A registered context source failed', zh: '已注册的数据源请求失败' },
});

declare module '../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof csourceProblems;

const types = {
  CONTEXT_CONFLICT: 'Conflict',
  CONTEXT_LOOP_DETECTED: 'LoopDetected',
  CONTEXT_SOURCE_FAILED: 'InternalError',
} as const;

/**
 * A context-source problem with its NGSI-LD error type URI.
 *
 * @example throw csourceProblem('CONTEXT_CONFLICT', 'an exclusive registration already covers speed of urn:x');
 */
export const csourceProblem = (code: keyof typeof types, detail: string, errors?: FieldError[], extra: Record<string, unknown> = {}): Problem =>
  new Problem(code, { detail, errors, extra: { ...extra, type: `https://uri.etsi.org/ngsi-ld/errors/${types[code]}` } });
