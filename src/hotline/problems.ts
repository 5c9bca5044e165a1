import { defineProblems } from '../platform/errors/problem-codes.js';

/** The hotline's problem codes: tickets, workflow, routing and reference data, and the history import. */
export const hotlineProblems = defineProblems({
  HOTLINE_TICKET_NOT_FOUND: { status: 404, title: 'Ticket not found', zh: '工单不存在' },
  HOTLINE_IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used for a different request; use a new key for a new ticket', zh: '该幂等键已用于另一请求，新工单请使用新键' },
  HOTLINE_TRACK_USE_POST: { status: 405, title: 'Track a ticket with POST /api/hotline/track and {number, phone} in the body, never in the URL', zh: '请用 POST 提交工单号和手机号查询进度（手机号不可放在网址中）' },
  HOTLINE_TRACK_RATE_LIMITED: { status: 429, title: 'Too many ticket lookups that found nothing; try again later', zh: '查询失败次数过多，请稍后再试' },
  HOTLINE_TRANSITION_NOT_ALLOWED: { status: 409, title: 'This ticket action is not allowed now', zh: '当前状态或身份不允许此工单操作' },
  HOTLINE_NO_UNIT: { status: 409, title: 'No handling unit for this ticket; choose one', zh: '未匹配到承办单位，请指定' },
  HOTLINE_UNIT_NOT_FOUND: { status: 404, title: 'Handling unit not found', zh: '承办单位不存在' },
  HOTLINE_MERGE_INVALID: { status: 409, title: 'These tickets cannot be merged', zh: '工单无法合并' },
  HOTLINE_AREA_NOT_FOUND: { status: 404, title: 'Area not found', zh: '区域不存在' },
  HOTLINE_AREA_EXISTS: { status: 409, title: 'An area with this name already exists there', zh: '同级区域名称已存在' },
  HOTLINE_CATEGORY_NOT_FOUND: { status: 404, title: 'Category not found', zh: '诉求分类不存在' },
  HOTLINE_CATEGORY_EXISTS: { status: 409, title: 'This category already exists', zh: '诉求分类已存在' },
  HOTLINE_RULE_NOT_FOUND: { status: 404, title: 'Routing rule not found', zh: '派单规则不存在' },
  HOTLINE_PHOTO_INVALID: { status: 415, title: 'The photo is not a JPEG, PNG or WebP image', zh: '照片格式不支持，请上传 JPG、PNG 或 WebP 图片' },
  HOTLINE_PHOTO_TOO_LARGE: { status: 413, title: 'The photo is too large', zh: '照片太大，请换一张较小的照片' },
  HOTLINE_PHOTO_NOT_FOUND: { status: 404, title: 'Photo not found', zh: '照片不存在' },
  HOTLINE_IMPORT_MAPPING_INVALID: { status: 400, title: 'Invalid import mapping', zh: '导入映射文件有误' },
});

declare module '../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof hotlineProblems;
