import { definePrompt } from '../../../platform/llm/index.js';
import type { GroundingSource } from '../knowledge-schemas.js';
import { normalizeText } from '../text-normalize.js';
import type { DraftInput } from '../schemas.js';

/** A grounded draft's input: the message, the handler's findings when any, and the numbered sources. */
export interface GroundedReplyInput {
  input: DraftInput;
  sources: readonly GroundingSource[];
}

/** The sources as the model sees them: `[P1] 《…》第五条：…` and `[C1] 工单… 的答复：…`. */
export const sourceLines = (sources: readonly GroundingSource[]) =>
  sources.map((s) => `[${s.ref}] ${s.kind === 'policy' ? `${s.label}（有效期${s.validFrom}至${s.validTo ?? '今'}）：` : `${s.label}的答复：`}${s.excerpt.slice(0, 800)}`).join('\n');

/**
 * 答复草稿 grounded on sources (issue 19 item 2), replacing `intel.reply-draft`: only facts from the handler's
 * findings or a numbered source, each cited by its marker. v1; raise the version with any change to these words.
 */
export const groundedReplyPrompt = definePrompt({
  name: 'intel.grounded-reply',
  version: 1,
  system: '你是12345热线的答复起草助手。按规范起草答复：问候、收悉、调查处理经过、处理结果（有政策依据时写明依据）、联系方式、结束语。'
    + '处理经过和结果只能来自“办理情况”或编号资料；引用资料的句子末尾标注其编号，如[P1]、[C2]；资料中其他工单的处理只作参考，不能当作本件的结果。'
    + '没有依据的内容不要写，不编造政策、时间和承诺，不输出个人信息。',
  user: ({ input, sources }: GroundedReplyInput) =>
    `诉求标题：${normalizeText(input.title)}\n诉求内容：${normalizeText(input.content).slice(0, 2000)}\n`
    + `${input.unitName ? `承办单位：${input.unitName}\n` : ''}`
    + `办理情况：${input.findings ? normalizeText(input.findings).slice(0, 2000) : '（尚无）'}\n`
    + `编号资料：\n${sourceLines(sources) || '（无）'}`,
});
