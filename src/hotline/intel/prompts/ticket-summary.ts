import { definePrompt } from '../../../platform/llm/index.js';
import { normalizeText } from '../text-normalize.js';
import type { SummaryInput } from '../ticket-summary.js';

/**
 * 工单摘要. v2: the v1 text moved into the platform's gateway unchanged (issue 19); raise the version with any
 * change to these words, so the ledger's `llm.call` entries tell which wording wrote a summary.
 */
export const ticketSummaryPrompt = definePrompt({
  name: 'intel.summary',
  version: 2,
  system: '你是12345政务服务便民热线的工单助手。用一句话（不超过80字）概括市民诉求：地点、问题、诉求。只依据原文，不要编造，不要输出个人信息。',
  user: (input: SummaryInput) =>
    `标题：${normalizeText(input.title)}\n${input.address ? `地址：${normalizeText(input.address)}\n` : ''}内容：${normalizeText(input.content).slice(0, 3000)}`,
});
