import type { Actor } from '../../platform/auth/roles.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import { ticketSummaryPrompt } from './prompts/ticket-summary.js';
import { normalizeText } from './text-normalize.js';
import type { TicketSummary } from './schemas.js';

export interface SummaryInput {
  title: string;
  content: string;
  address?: string | null;
  /** the predicted or chosen category (level 1), when known */
  category?: string | null;
}

/** Place words: a district/county/street/community/estate/road name ending in one of these. */
const PLACE_RE = /[\p{Script=Han}A-Za-z0-9]{1,12}?(?:市|区|县|街道|镇|乡|社区|村|小区|花园|新城|苑|路|街|大道)/gu;
const SENTENCE_RE = /[^。！？!?；;\n]+[。！？!?；;]?/g;

/**
 * The offline summary (工单摘要): `【category】place：matter`, where the matter is the title, completed by the
 * content's first sentence when the title is short. Extractive, so it never invents facts; PII is masked.
 *
 * @example offlineSummary({ title: '路灯不亮', content: 'A2区丽发新城门口路灯坏了一周。', category: '城乡建设' })
 * // '【城乡建设】A2区丽发新城：路灯不亮——A2区丽发新城门口路灯坏了一周。'
 */
export function offlineSummary(input: SummaryInput, maxLength = 120): string {
  const title = normalizeText(input.title);
  const content = normalizeText(input.content);
  const place = normalizeText(input.address) || (`${title} ${content}`.match(PLACE_RE) ?? []).slice(0, 2).join('');
  const first = (content.match(SENTENCE_RE) ?? [''])[0].trim();
  let matter = title;
  if (first && title.length < 20 && !title.includes(first)) matter = `${title}——${first}`;
  const head = `${input.category ? `【${input.category}】` : ''}${place ? `${place}：` : ''}`;
  const text = head + matter;
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** A summary from the model (through the gateway: placeholders for personal data), trimmed to one line. */
export async function llmSummary(llm: LlmGateway, actor: Actor, input: SummaryInput): Promise<string> {
  const { text } = await llm.complete({ module: 'intel', actor, prompt: ticketSummaryPrompt, input });
  return normalizeText(text.trim().split('\n')[0].trim()).slice(0, 200);
}

/**
 * 工单摘要: the LLM's when one is configured and answers, else the offline extractive summary; says which
 * (`method`) and, when the LLM failed, why (`llmError`).
 *
 * @example await summarizeTicket(llm, actor, { title: '路灯不亮', content: '…' }) // { text: '…', method: 'offline' }
 */
export async function summarizeTicket(llm: LlmGateway, actor: Actor, input: SummaryInput): Promise<TicketSummary> {
  const r = await llm.withFallback((gateway) => llmSummary(gateway, actor, input), () => offlineSummary(input));
  return { text: r.value, method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
}
