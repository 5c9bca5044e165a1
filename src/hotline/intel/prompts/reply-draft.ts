import { definePrompt } from '../../../platform/llm/index.js';
import type { SimilarHit } from '../similar-index.js';
import { normalizeText } from '../text-normalize.js';
import type { DraftInput } from '../schemas.js';

/** A draft's input: the message and the similar replied cases found for it. */
export interface DraftPromptInput {
  input: DraftInput;
  similar: readonly SimilarHit[];
}

/**
 * 答复草稿: the message and up to three similar replies as references. v2: the v1 text moved into the platform's
 * gateway unchanged (issue 19); raise the version with any change to these words.
 */
export const replyDraftPrompt = definePrompt({
  name: 'intel.reply-draft',
  version: 2,
  system: '你是12345热线的答复起草助手。按规范起草答复：问候、收悉、调查处理经过、处理结果（有政策依据时写明依据）、联系方式、结束语。只写原文和参考答复能支持的事实，不编造，不输出个人信息。',
  user: ({ input, similar }: DraftPromptInput) => {
    const refs = similar
      .filter((h) => h.ticket.replyText)
      .slice(0, 3)
      .map((h, i) => `参考答复${i + 1}（相似度${h.similarity.toFixed(2)}）：${h.ticket.replyText!.slice(0, 600)}`)
      .join('\n');
    return `诉求标题：${normalizeText(input.title)}\n诉求内容：${normalizeText(input.content).slice(0, 2000)}\n${input.unitName ? `承办单位：${input.unitName}\n` : ''}${refs}`;
  },
});
