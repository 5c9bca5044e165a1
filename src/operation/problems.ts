import { defineProblems } from '../platform/errors/problem-codes.js';

/**
 * Authorized operation's problem codes. A call refused by a rule of its licence or access answers one of these
 * with `rule` (e.g. `licence.purpose`, `licence.quota.calls`) and the licence's number, so the market user and
 * the operator can tell which clause stopped it.
 */
export const operationProblems = defineProblems({
  OPERATION_PARTY_NOT_FOUND: { status: 404, title: 'Party not found', zh: '参与方不存在' },
  OPERATION_PARTY_EXISTS: { status: 409, title: 'This organisation already takes this part', zh: '该单位已登记为该类参与方' },
  OPERATION_CREDIT_CODE_REQUIRED: { status: 400, title: 'Operators and market users need a 统一社会信用代码', zh: '运营机构和数据使用者须有统一社会信用代码' },
  OPERATION_NO_IMPLEMENTING_BODY: { status: 409, title: 'No implementing body is registered', zh: '尚未登记实施机构' },
  OPERATION_NOT_IMPLEMENTING_BODY: { status: 403, title: 'Only the implementing body may do this', zh: '仅实施机构可办理' },
  OPERATION_NOT_OPERATOR: { status: 403, title: 'Only the operator holding the licence may do this', zh: '仅持有该授权的运营机构可办理' },
  OPERATION_RESOURCE_NOT_FOUND: { status: 404, title: 'Data resource not registered', zh: '公共数据资源未登记' },
  OPERATION_RESOURCE_EXISTS: { status: 409, title: 'This dataset is already registered', zh: '该数据资源已登记' },
  OPERATION_RESOURCE_NOT_LICENSABLE: { status: 409, title: 'This dataset cannot be licensed', zh: '该数据资源不可授权运营' },
  OPERATION_GRADE_NOT_LICENSABLE: { status: 422, title: 'A licence may not open data of this grade', zh: '授权不得开放该级别数据' },
  OPERATION_LICENCE_NOT_FOUND: { status: 404, title: 'Licence not found', zh: '授权协议不存在' },
  OPERATION_LICENCE_STATE: { status: 409, title: 'The licence is not in a state that allows this', zh: '授权协议当前状态不允许该操作' },
  OPERATION_LICENCE_NOT_ACTIVE: { status: 403, title: 'The licence is not in force (pending, suspended or terminated)', zh: '授权协议未生效、已暂停或已终止' },
  OPERATION_LICENCE_TERM: { status: 403, title: 'Outside the licence\'s term', zh: '超出授权期限' },
  OPERATION_FIELD_OUTSIDE_LICENCE: { status: 422, title: 'The product reads a field outside its licence\'s scope', zh: '产品所用字段超出授权范围' },
  OPERATION_GRADE_ABOVE_LICENCE: { status: 422, title: 'The product reads a field graded above what its licence allows', zh: '产品所用字段的分级高于授权允许的级别' },
  OPERATION_FIELD_MASKED_IN_DELIVERY: { status: 422, title: 'The catalog delivers this field masked, so a product cannot compute on it', zh: '该字段经脱敏后交付，产品无法据以计算' },
  OPERATION_SCENARIO_NOT_LICENSED: { status: 422, title: 'The product\'s scenario is not one of its licence\'s', zh: '产品应用场景不在授权场景之内' },
  OPERATION_PRODUCT_NOT_FOUND: { status: 404, title: 'Data product not found', zh: '数据产品不存在' },
  OPERATION_PRODUCT_STATE: { status: 409, title: 'The product is not in a state that allows this', zh: '数据产品当前状态不允许该操作' },
  OPERATION_PRODUCT_NOT_AVAILABLE: { status: 403, title: 'The product is not registered or is suspended', zh: '数据产品未登记或已暂停' },
  OPERATION_OUTSIDE_SCOPE: { status: 403, title: 'The call is outside the licence\'s scope', zh: '调用超出授权范围' },
  OPERATION_PURPOSE_NOT_LICENSED: { status: 403, title: 'The purpose is not licensed for this product and caller', zh: '该用途未获授权' },
  OPERATION_NO_ACCESS: { status: 403, title: 'The caller holds no access to this product', zh: '调用方未获该产品的使用许可' },
  OPERATION_PUBLIC_USE_NOT_APPROVED: { status: 403, title: 'Public-interest use is not approved for this caller', zh: '调用方未获公共治理或公益事业用途认定' },
  OPERATION_QUOTA_EXCEEDED: { status: 429, title: 'The quota for this period is used up', zh: '本期调用额度已用尽' },
  OPERATION_NO_FEE_CAP: { status: 403, title: 'No fee cap is set for this product in its licence', zh: '授权协议未核定该产品的收费上限' },
  OPERATION_PRICE_NOT_SET: { status: 403, title: 'The product has no price for commercial use', zh: '该产品未定价，不可用于经营性用途' },
  OPERATION_PRICE_ABOVE_CAP: { status: 403, title: 'The price is above the licence\'s fee cap', zh: '收费标准高于上限' },
  OPERATION_SUPPLY_WITHDRAWN: { status: 403, title: 'The providing department withdrew the data this product reads', zh: '数据提供单位已撤回该产品所用数据' },
  OPERATION_SUPPLY_REFUSED: { status: 409, title: 'The catalog refused to deliver this product\'s data', zh: '数据目录拒绝为该产品提供数据' },
  OPERATION_SUPPLY_LIMITED: { status: 429, title: 'The catalog\'s limit for this product\'s data is reached', zh: '该产品所用数据已达目录限额' },
  OPERATION_PRIVACY_BUDGET_SPENT: { status: 403, title: 'The statistics product\'s privacy budget is spent', zh: '统计产品的隐私预算已用尽' },
  OPERATION_NOT_MARKET_USER: { status: 403, title: 'Only a person of a registered market user may do this', zh: '仅已登记数据使用者的人员可办理' },
  OPERATION_APPLICATION_NOT_FOUND: { status: 404, title: 'Application not found', zh: '使用申请不存在' },
  OPERATION_APPLICATION_STATE: { status: 409, title: 'The application is not in a state that allows this', zh: '使用申请当前状态不允许该操作' },
  OPERATION_ACCESS_NOT_FOUND: { status: 404, title: 'Access not found', zh: '使用许可不存在' },
  OPERATION_RUN_NOT_FOUND: { status: 404, title: 'Sandbox run not found', zh: '沙箱查询不存在' },
  OPERATION_REVIEW_DECIDED: { status: 409, title: 'The output is already reviewed', zh: '该输出已审核' },
  OPERATION_REASON_REQUIRED: { status: 400, title: 'A refusal needs a reason', zh: '拒绝须说明理由' },
  OPERATION_OUTPUT_UNDER_REVIEW: { status: 409, title: 'The sandbox result is still under output review', zh: '沙箱结果尚在输出审核中' },
  OPERATION_OUTPUT_REFUSED: { status: 403, title: 'The sandbox result was refused at output review', zh: '沙箱结果未通过输出审核' },
  OPERATION_DISCLOSURE_NOT_PUBLISHED: { status: 404, title: 'No disclosure is published for this year', zh: '该年度信息披露尚未发布' },
  OPERATION_DISCLOSURE_PUBLISHED: { status: 409, title: 'This year\'s disclosure is already published', zh: '该年度信息披露已发布' },
  OPERATION_DISCLOSURE_YEAR_OPEN: { status: 409, title: 'A year\'s disclosure is published after the year ends', zh: '年度结束后方可发布信息披露' },
});

declare module '../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof operationProblems;
