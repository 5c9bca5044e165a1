/**
 * The registry of every error CityHub returns. Each code is stable (clients branch on it), has an HTTP status
 * and an English and a Chinese title. The platform's codes are here; each module declares its own in its
 * `problems.ts` with `defineProblems` and adds them to `ProblemCodes` (declaration merging), so a service
 * names only codes that exist. docs/errors.md lists them all; a test fails when one is undocumented.
 */
export interface ProblemEntry {
  status: number;
  title: string;
  zh: string;
}

/** Every registered code → its entry; modules extend it with `declare module` (see `defineProblems`). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ProblemCodes extends PlatformProblemCodes {}

export type ProblemCode = keyof ProblemCodes;

const registry = new Map<string, ProblemEntry>();

/**
 * Registers a set of problem codes; a code registered twice with another meaning fails at once (two modules
 * must not share a code). Returns the set, so a module can also list it in its definition.
 *
 * @example export const hotlineProblems = defineProblems({ HOTLINE_TICKET_NOT_FOUND: { status: 404, title: 'Ticket not found', zh: '工单不存在' } });
 */
export function defineProblems<const T extends Record<string, ProblemEntry>>(codes: T): T {
  for (const [code, entry] of Object.entries(codes)) {
    const known = registry.get(code);
    if (known && known !== entry && JSON.stringify(known) !== JSON.stringify(entry)) {
      throw new Error(`problem code ${code} is declared twice with different meanings`);
    }
    registry.set(code, entry);
  }
  return codes;
}

/** The entry of a registered code, or undefined (a code no loaded module declared). */
export const problemEntry = (code: string): ProblemEntry | undefined => registry.get(code);

/** Every registered code, for docs/errors.md and its test. */
export const registeredProblems = (): ReadonlyMap<string, ProblemEntry> => registry;

export const platformProblems = defineProblems({
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
  REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'The request line or its headers are too large', zh: '请求行或请求头过大' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type', zh: '不支持的内容类型' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Too many requests', zh: '请求过于频繁' },
  INTERNAL: { status: 500, title: 'Internal error', zh: '服务器内部错误' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable', zh: '服务暂不可用' },
  // identity and access
  AUTH_USERNAME_TAKEN: { status: 409, title: 'Username already exists', zh: '用户名已存在' },
  AUTH_ORG_NOT_FOUND: { status: 404, title: 'Organisation not found', zh: '机构不存在' },
  AUTH_USER_NOT_FOUND: { status: 404, title: 'User not found', zh: '用户不存在' },
  AUTH_KEY_NOT_FOUND: { status: 404, title: 'API key not found', zh: 'API 密钥不存在' },
  AUTH_KEY_ADMIN_ROLE: { status: 403, title: 'API keys may not hold administrator roles', zh: 'API 密钥不能持有系统、安全、审计管理员角色' },
  AUTH_LOGIN_RATE_LIMITED: { status: 429, title: 'Too many login attempts', zh: '登录尝试过多，请稍后再试' },
  AUTH_WEAK_PASSWORD: { status: 400, title: 'Password too weak', zh: '密码强度不足' },
  AUTH_WRONG_PASSWORD: { status: 400, title: 'The current password is wrong', zh: '当前密码错误' },
  AUTH_PASSWORD_REUSED: { status: 400, title: 'Password used recently', zh: '不能使用最近用过的密码' },
  AUTH_ROLES_EXCLUSIVE: { status: 400, title: 'Administrator roles are mutually exclusive', zh: '系统、安全、审计管理员角色互斥' },
  AUTH_OWN_ROLES: { status: 403, title: 'Nobody changes their own roles', zh: '不能修改自己的角色' },
  AUTH_LAST_ADMINISTRATOR: { status: 409, title: 'The last holder of an administrator role', zh: '三员角色的最后一位持有人不能被移除或停用' },
  AUTH_TOTP_REQUIRED: { status: 401, title: 'One-time code required', zh: '需要动态验证码' },
  AUTH_TOTP_INVALID: { status: 401, title: 'Wrong or used one-time code', zh: '动态验证码错误或已使用' },
  AUTH_TOTP_ALREADY_ENROLLED: { status: 409, title: 'Second factor already enrolled', zh: '已绑定动态验证码' },
  AUTH_TOTP_NOT_STARTED: { status: 409, title: 'Start the enrolment first', zh: '请先开始绑定动态验证码' },
  AUTH_PASSWORD_CHANGE_REQUIRED: { status: 403, title: 'Change your password first', zh: '请先修改密码' },
  AUTH_TOTP_ENROLMENT_REQUIRED: { status: 403, title: 'Enrol a second factor first', zh: '请先绑定动态验证码' },
  // audit
  AUDIT_BAD_RANGE: { status: 400, title: 'Invalid time range', zh: '时间范围无效' },
  // ledger
  LEDGER_ENTRY_NOT_FOUND: { status: 404, title: 'Ledger entry not found', zh: '存证记录不存在' },
  LEDGER_BAD_RANGE: { status: 400, title: 'Invalid tree sizes for a proof', zh: '证明区间无效' },
  LEDGER_WITNESS_CONFLICT: { status: 409, title: 'This peer already deposited another checkpoint of that size', zh: '该节点已存证同一规模的另一检查点' },
});

type PlatformProblemCodes = typeof platformProblems;
