import { defineProblems } from '../../platform/errors/problem-codes.js';

/** Open311 GeoReport v2 problems (rendered as Open311 errors under /open311/v2). */
export const open311Problems = defineProblems({
  HOTLINE_OPEN311_API_KEY: { status: 403, title: 'Missing or invalid api_key, or the key may not file requests', zh: 'api_key 缺失、无效或无权提交诉求' },
  HOTLINE_OPEN311_BAD_ARGUMENT: { status: 400, title: 'Invalid or missing Open311 argument', zh: 'Open311 参数缺失或无效' },
  HOTLINE_OPEN311_SERVICE_NOT_FOUND: { status: 404, title: 'service_code not found', zh: '服务类型（诉求分类）不存在' },
  HOTLINE_OPEN311_REQUEST_NOT_FOUND: { status: 404, title: 'service_request_id not found', zh: '诉求不存在' },
  HOTLINE_OPEN311_TOKEN_NOT_FOUND: { status: 404, title: 'Token not found', zh: '凭证不存在' },
  HOTLINE_OPEN311_URL_TOO_LONG: { status: 414, title: 'Request URL too long', zh: '请求地址过长' },
  HOTLINE_OPEN311_JURISDICTION_NOT_FOUND: { status: 404, title: 'jurisdiction_id not found', zh: '辖区不存在' },
});

declare module '../../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof open311Problems;
