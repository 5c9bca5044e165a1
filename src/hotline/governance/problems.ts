import { defineProblems } from '../../platform/errors/problem-codes.js';

/** Quality inspection's and 每月一题's problem codes. */
export const governanceProblems = defineProblems({
  HOTLINE_INSPECTION_RUN_NOT_FOUND: { status: 404, title: 'Inspection run not found', zh: '质检任务不存在' },
  HOTLINE_INSPECTION_RUN_TOO_LARGE: { status: 422, title: 'Too many replies for one inspection run', zh: '本次质检的答复过多，请缩小范围' },
  HOTLINE_GOVERNANCE_TASK_NOT_FOUND: { status: 404, title: 'Governance task not found', zh: '治理任务不存在' },
});

declare module '../../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof governanceProblems;
