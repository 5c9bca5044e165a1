import { definePrompt } from '../../../platform/llm/index.js';
import type { GroundingSource } from '../knowledge-schemas.js';
import { normalizeText } from '../text-normalize.js';
import { sourceLines } from './grounded-reply.js';

/**
 * 知识问答 for agents (issue 19 item 3): answer only from the numbered policy sections, citing them; say so when
 * they do not answer. v1; raise the version with any change to these words.
 */
export const knowledgeAnswerPrompt = definePrompt({
  name: 'intel.knowledge-answer',
  version: 1,
  system: '你是12345热线的政策知识助手，回答话务员的问题。只依据给出的编号政策条文作答，每句末尾标注依据编号，如[P1]；'
    + '条文不能回答时，只回答“知识库中未找到相关依据”。不编造条文，不输出个人信息。',
  user: ({ question, sources }: { question: string; sources: readonly GroundingSource[] }) =>
    `问题：${normalizeText(question).slice(0, 1000)}\n编号政策条文：\n${sourceLines(sources)}`,
});
