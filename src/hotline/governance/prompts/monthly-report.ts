import { definePrompt } from '../../../platform/llm/index.js';
import type { MonthlyReport } from '../schemas.js';

/** The facts the narrative may use: the report without its narrative. */
export type ReportFacts = Omit<MonthlyReport, 'narrative' | 'method' | 'llmError'>;

/**
 * 月度通报: the model writes the narrative from the report's facts only (every figure is the data's). v1; raise the
 * version with any change to these words.
 */
export const monthlyReportPrompt = definePrompt({
  name: 'governance.monthly-report',
  version: 1,
  system: '你是12345热线中心的通报撰稿人。根据给出的JSON数据写一段月度通报的综述（300字以内，正式公文语体）：'
    + '总体三率、排名靠前和靠后的单位、热点问题、每月一题进展、答复质检情况。只使用数据中的数字和名称，不得编造。',
  user: (facts: ReportFacts) => JSON.stringify(facts).slice(0, 12000),
});
