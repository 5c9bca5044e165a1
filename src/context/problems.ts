import { defineProblems } from '../platform/errors/problem-codes.js';

/** The context layer's problem codes; the problem's `type` is the NGSI-LD error type URI (ngsi-errors.ts). */
export const contextProblems = defineProblems({
  CONTEXT_INVALID_REQUEST: { status: 400, title: 'Invalid NGSI-LD request', zh: 'NGSI-LD 请求无效' },
  CONTEXT_BAD_REQUEST_DATA: { status: 400, title: 'Bad NGSI-LD request data', zh: 'NGSI-LD 请求数据有误' },
  CONTEXT_ALREADY_EXISTS: { status: 409, title: 'Entity or subscription already exists', zh: '实体或订阅已存在' },
  CONTEXT_OPERATION_NOT_SUPPORTED: { status: 422, title: 'Operation not supported', zh: '不支持该操作' },
  CONTEXT_RESOURCE_NOT_FOUND: { status: 404, title: 'NGSI-LD resource not found', zh: '实体、属性或订阅不存在' },
  CONTEXT_INTERNAL_ERROR: { status: 500, title: 'Context broker internal error', zh: '数据底座内部错误' },
  CONTEXT_TOO_COMPLEX_QUERY: { status: 403, title: 'Query too complex', zh: '查询过于复杂' },
  CONTEXT_TOO_MANY_RESULTS: { status: 403, title: 'Too many results requested', zh: '请求的结果数过多' },
  CONTEXT_LD_CONTEXT_NOT_AVAILABLE: { status: 503, title: 'JSON-LD @context not available', zh: '无法获取 JSON-LD @context' },
  CONTEXT_NO_MULTI_TENANT_SUPPORT: { status: 501, title: 'Multi-tenancy not supported', zh: '不支持多租户' },
  CONTEXT_NONEXISTENT_TENANT: { status: 404, title: 'Tenant does not exist', zh: '租户不存在' },
  CONTEXT_TOO_MANY_ENTITIES: { status: 413, title: 'Too many entities in one batch', zh: '批量操作的实体数超过上限' },
  CONTEXT_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported NGSI-LD content type', zh: '不支持的 NGSI-LD 内容类型' },
  CONTEXT_NOT_ACCEPTABLE: { status: 406, title: 'Cannot produce the requested NGSI-LD format', zh: '无法提供所请求的 NGSI-LD 格式' },
  CONTEXT_TOO_MANY_SUBSCRIPTIONS: { status: 403, title: 'Subscription limit reached', zh: '订阅数已达上限' },
  CONTEXT_TOO_MANY_SNAPSHOTS: { status: 403, title: 'Snapshot limit reached', zh: '快照数已达上限' },
  CONTEXT_LENGTH_REQUIRED: { status: 411, title: 'Content-Length required', zh: '请求须带 Content-Length' },
  CONTEXT_FORBIDDEN: { status: 403, title: 'Entity type or attribute not allowed for your organisation', zh: '本机构无权访问该实体类型或属性' },
});

declare module '../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof contextProblems;
