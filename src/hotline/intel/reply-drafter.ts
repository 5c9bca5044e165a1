import type { Actor } from '../../platform/auth/roles.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import { replyDraftPrompt } from './prompts/reply-draft.js';
import type { SimilarHit } from './similar-index.js';
import { normalizeText } from './text-normalize.js';
import type { DraftInput, ReplyDraft } from './schemas.js';

const OPENING_RE = /^(?:[^。！!]{0,20}(?:您好|你好)[!！,，:：]?\s*)|^(?:网友)[^，,。]{0,20}[，,:：]/;
const CLOSING_RE = /(感谢[^。！!]*[。！!]?|谢谢[^。！!]*[。！!]?|[^。]*(?:监督|支持)[。！!]?)\s*$/;
const SENTENCE_RE = /[^。！？!?]+[。！？!?]?/g;

/**
 * The offline draft: the template's greeting, acknowledgement, contact and closing around the handling and result
 * sentences of the most similar replied case (its own greeting and closing cut off, PII masked). With no replied
 * case it falls back to the template's handling sentence.
 *
 * @example offlineDraft({ title: '路灯不亮', content: '…' }, similarHits).text
 */
export function offlineDraft(input: DraftInput, similar: readonly SimilarHit[], minSimilarity = 0.2): ReplyDraft {
  const title = normalizeText(input.title).slice(0, 60);
  const unit = input.unitName ?? '承办单位';
  const source = similar.find((h) => h.ticket.replyText && h.similarity >= minSimilarity);
  let handling = `收到您的诉求后，${unit}高度重视，立即安排工作人员进行调查核实。`;
  let result = '经核实，相关情况正在依法依规处理中，处理结果将及时向您反馈。';
  if (source?.ticket.replyText) {
    const body = source.ticket.replyText.replace(OPENING_RE, '').replace(CLOSING_RE, '').trim();
    const sentences = (body.match(SENTENCE_RE) ?? []).map((s) => s.trim()).filter((s) => s.length > 4);
    if (sentences.length >= 2) {
      const cut = Math.max(1, Math.ceil(sentences.length / 2));
      handling = sentences.slice(0, cut).join('');
      result = sentences.slice(cut, cut + 4).join('');
    } else if (sentences.length === 1) {
      result = sentences[0];
    }
  }
  const parts = {
    greeting: '您好！',
    acknowledgement: `您反映的“${title}”问题已收悉。`,
    handling,
    result,
    contact: '如有疑问，请拨打12345政务服务便民热线咨询。',
    closing: '感谢您对我们工作的理解与支持！',
  };
  return {
    text: Object.values(parts).join(''),
    parts,
    basedOn: source ? [{ ticketId: source.ticket.id, number: source.ticket.number, similarity: source.similarity }] : [],
  };
}

/** A draft from the model (through the gateway) with the similar replies as references. */
export async function llmDraft(llm: LlmGateway, actor: Actor, input: DraftInput, similar: readonly SimilarHit[]): Promise<string> {
  const { text } = await llm.complete({ module: 'intel', actor, prompt: replyDraftPrompt, input: { input, similar } });
  return normalizeText(text.trim()).slice(0, 4000);
}
