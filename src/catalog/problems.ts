import { defineProblems } from '../platform/errors/problem-codes.js';

/** The catalog's and the sharing gateway's problem codes. */
export const catalogProblems = defineProblems({
  CATALOG_DATASET_NOT_FOUND: { status: 404, title: 'Dataset not found', zh: '数据资源不存在' },
  CATALOG_IDENTIFIER_TAKEN: { status: 409, title: 'Dataset identifier already used', zh: '数据资源标识已被使用' },
  CATALOG_NOT_OWNER: { status: 403, title: 'Not the owner of this dataset', zh: '非该数据资源的提供单位' },
  CATALOG_SHARE_BASIS_REQUIRED: { status: 400, title: 'A dataset not shared needs its legal basis', zh: '不予共享的数据资源须注明依据' },
  CATALOG_ROWS_INVALID: { status: 422, title: 'Rows do not match the dataset schema; nothing was loaded', zh: '数据不符合数据结构，未导入' },
  CATALOG_UPLOAD_UNREADABLE: { status: 400, title: 'The uploaded file cannot be read', zh: '上传的文件无法读取' },
  CATALOG_UPLOAD_TOO_LARGE: { status: 413, title: 'The uploaded file breaks a size limit', zh: '上传的文件超出大小限制' },
  CATALOG_UPLOAD_ENCODING: { status: 400, title: 'The uploaded file is not UTF-8 (or GB18030) text', zh: '上传的文件不是 UTF-8（或 GB18030）编码' },
  SHARE_NO_ORGANISATION: { status: 403, title: 'Sharing needs an organisation', zh: '共享申请须以单位名义提出' },
  SHARE_NOT_SHARED: { status: 409, title: 'This dataset is not shared', zh: '该数据资源不予共享' },
  SHARE_REQUEST_NOT_FOUND: { status: 404, title: 'Sharing request not found', zh: '共享申请不存在' },
  SHARE_REQUEST_DECIDED: { status: 409, title: 'The request is already decided', zh: '该申请已办理' },
  SHARE_REASON_REQUIRED: { status: 400, title: 'A refusal needs a reason', zh: '拒绝须说明理由' },
  SHARE_GRANT_NOT_FOUND: { status: 404, title: 'Grant not found', zh: '授权不存在' },
  SHARE_GRANT_REVOKED: { status: 403, title: 'The grant is revoked', zh: '授权已撤销' },
  SHARE_GRANT_EXPIRED: { status: 403, title: 'The grant has expired', zh: '授权已过期' },
  SHARE_NO_GRANT: { status: 403, title: 'No grant for this dataset', zh: '无该数据资源的共享授权' },
  SHARE_AGGREGATE_ONLY: { status: 403, title: 'The grant allows aggregates only', zh: '授权仅限统计查询' },
  SHARE_FIELD_NOT_GRANTED: { status: 403, title: 'A requested field is not granted', zh: '所请求的字段未获授权' },
  SHARE_AGGREGATE_NOT_SUMMABLE: { status: 400, title: 'Sums need an unmasked numeric field', zh: '仅可对未脱敏的数值字段求和' },
  CATALOG_PRIVACY_BUDGET_SPENT: { status: 403, title: 'The grant\'s privacy budget for aggregates is spent', zh: '该授权的统计查询隐私预算已用尽' },
  SHARE_RATE_LIMITED: { status: 429, title: 'Too many calls for this grant', zh: '该授权调用过于频繁' },
  SHARE_QUOTA_EXCEEDED: { status: 429, title: 'The grant\'s daily quota is used up', zh: '该授权当日额度已用尽' },
});

declare module '../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof catalogProblems;
