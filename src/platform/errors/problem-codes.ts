/**
 * The registry of every error CityHub returns. Each code is stable (clients branch on it), has an HTTP status
 * and an English and a Chinese title. docs/errors.md lists them all; a test fails when one is undocumented.
 * Modules add their own codes here, grouped under their prefix.
 */
export const problemCodes = {
  // platform
  BAD_REQUEST: { status: 400, title: 'Bad request', zh: '请求有误' },
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed', zh: '请求参数校验失败' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body', zh: '请求体不是合法的 JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Login required', zh: '需要登录' },
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong username or password', zh: '用户名或密码错误' },
  FORBIDDEN: { status: 403, title: 'Not allowed', zh: '无权执行此操作' },
  NOT_FOUND: { status: 404, title: 'Not found', zh: '未找到' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route', zh: '接口不存在' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', zh: '不支持该请求方法' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable', zh: '无法提供所请求的格式' },
  CONFLICT: { status: 409, title: 'Conflict', zh: '与当前状态冲突' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large', zh: '请求体过大' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type', zh: '不支持的内容类型' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Too many requests', zh: '请求过于频繁' },
  INTERNAL: { status: 500, title: 'Internal error', zh: '服务器内部错误' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable', zh: '服务暂不可用' },
  // identity and access
  AUTH_USERNAME_TAKEN: { status: 409, title: 'Username already exists', zh: '用户名已存在' },
  AUTH_ORG_NOT_FOUND: { status: 404, title: 'Organisation not found', zh: '机构不存在' },
  AUTH_USER_NOT_FOUND: { status: 404, title: 'User not found', zh: '用户不存在' },
  AUTH_KEY_NOT_FOUND: { status: 404, title: 'API key not found', zh: 'API 密钥不存在' },
  AUTH_LOGIN_RATE_LIMITED: { status: 429, title: 'Too many login attempts', zh: '登录尝试过多，请稍后再试' },
  AUTH_WEAK_PASSWORD: { status: 400, title: 'Password too weak', zh: '密码强度不足' },
  // ledger
  LEDGER_ENTRY_NOT_FOUND: { status: 404, title: 'Ledger entry not found', zh: '存证记录不存在' },
  LEDGER_BAD_RANGE: { status: 400, title: 'Invalid tree sizes for a proof', zh: '证明区间无效' },
  // hotline (tickets, workflow, routing)
  HOTLINE_TICKET_NOT_FOUND: { status: 404, title: 'Ticket not found', zh: '工单不存在' },
  HOTLINE_TRANSITION_NOT_ALLOWED: { status: 409, title: 'This ticket action is not allowed now', zh: '当前状态或身份不允许此工单操作' },
  HOTLINE_NO_UNIT: { status: 409, title: 'No handling unit for this ticket; choose one', zh: '未匹配到承办单位，请指定' },
  HOTLINE_UNIT_NOT_FOUND: { status: 404, title: 'Handling unit not found', zh: '承办单位不存在' },
  HOTLINE_MERGE_INVALID: { status: 409, title: 'These tickets cannot be merged', zh: '工单无法合并' },
  HOTLINE_AREA_NOT_FOUND: { status: 404, title: 'Area not found', zh: '区域不存在' },
  HOTLINE_AREA_EXISTS: { status: 409, title: 'An area with this name already exists there', zh: '同级区域名称已存在' },
  HOTLINE_CATEGORY_NOT_FOUND: { status: 404, title: 'Category not found', zh: '诉求分类不存在' },
  HOTLINE_CATEGORY_EXISTS: { status: 409, title: 'This category already exists', zh: '诉求分类已存在' },
  HOTLINE_RULE_NOT_FOUND: { status: 404, title: 'Routing rule not found', zh: '派单规则不存在' },
  // context layer (NGSI-LD); the problem's `type` is the NGSI-LD error type URI
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
  CONTEXT_FORBIDDEN: { status: 403, title: 'Entity type or attribute not allowed for your organisation', zh: '本机构无权访问该实体类型或属性' },
  // hotline: Open311 GeoReport v2 (rendered as Open311 errors under /open311/v2) and import
  HOTLINE_OPEN311_API_KEY: { status: 403, title: 'Missing or invalid api_key, or the key may not file requests', zh: 'api_key 缺失、无效或无权提交诉求' },
  HOTLINE_OPEN311_BAD_ARGUMENT: { status: 400, title: 'Invalid or missing Open311 argument', zh: 'Open311 参数缺失或无效' },
  HOTLINE_OPEN311_SERVICE_NOT_FOUND: { status: 404, title: 'service_code not found', zh: '服务类型（诉求分类）不存在' },
  HOTLINE_OPEN311_REQUEST_NOT_FOUND: { status: 404, title: 'service_request_id not found', zh: '诉求不存在' },
  HOTLINE_OPEN311_TOKEN_NOT_FOUND: { status: 404, title: 'Token not found', zh: '凭证不存在' },
  HOTLINE_OPEN311_JURISDICTION_NOT_FOUND: { status: 404, title: 'jurisdiction_id not found', zh: '辖区不存在' },
  HOTLINE_IMPORT_MAPPING_INVALID: { status: 400, title: 'Invalid import mapping', zh: '导入映射文件有误' },
} as const satisfies Record<string, { status: number; title: string; zh: string }>;

export type ProblemCode = keyof typeof problemCodes;
