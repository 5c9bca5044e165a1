import type { Actor } from '../../platform/auth/roles.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import type { IntelConfig } from './config.js';
import type { GroundingSource } from './knowledge-schemas.js';
import type { KnowledgeService } from './knowledge-service.js';
import { findSatisfaction } from './knowledge-store.js';
import { groundedReplyPrompt } from './prompts/grounded-reply.js';
import type { TicketIndex } from './ticket-index.js';
import type { SimilarHit } from './similar-index.js';
import { normalizeText } from './text-normalize.js';
import type { Db } from '../../platform/db/database.js';
import type { DraftInput, ReplyDraft } from './schemas.js';

const SENTENCE_RE = /[^。！？!?；;\n]+[。！？!?；;]?/g;
const CITATION_RE = /\[([PC]\d{1,2})\]/g;
/** A replied case's own greeting and closing, cut before its sentences are reused. */
const OPENING_RE = /^(?:[^。！!]{0,20}(?:您好|你好)[!！,，:：]?\s*)|^(?:网友)[^，,。]{0,20}[，,:：]/;
const CLOSING_RE = /(感谢[^。！!]*[。！!]?|谢谢[^。！!]*[。！!]?|[^。]*(?:监督|支持)[。！!]?)\s*$/;
/** Statuses whose reply the citizen has received: the only cases a draft may learn from. */
const REPLIED = new Set(['answered', 'visited', 'closed']);

/**
 * The `n` sentences of `text` that hold most of the query's words, in their order in the text (ties: earlier
 * first); the first sentences when none holds any.
 *
 * @example bestSentences('第一句。路灯由区城管局维修。第三句。', ['路灯'], 1) // '路灯由区城管局维修。'
 */
export function bestSentences(text: string, query: readonly string[], n: number): string {
  const sentences = (text.match(SENTENCE_RE) ?? [text]).map((s) => s.trim()).filter(Boolean);
  const words = [...new Set(query)].filter((w) => w.length > 1 || /[\u4e00-\u9fff]/.test(w));
  const scored = sentences.map((s, i) => ({ s, i, hits: words.filter((w) => s.includes(w)).length }));
  const chosen = [...scored].sort((a, b) => b.hits - a.hits || a.i - b.i).slice(0, n).sort((a, b) => a.i - b.i);
  return chosen.map((c) => c.s).join('');
}

/** Drops citation markers that name no given source (a model's invention), so every marker left can be followed. */
export const keepKnownCitations = (text: string, sources: readonly GroundingSource[]): string => {
  const known = new Set(sources.map((s) => s.ref));
  return text.replace(CITATION_RE, (marker, ref: string) => (known.has(ref) ? marker : ''));
};

/** The sources a text cites, in the order first cited. */
export const citedRefs = (text: string): string[] => [...new Set([...text.matchAll(CITATION_RE)].map((m) => m[1]))];

/**
 * The cases a draft cites, from the similar replied tickets best first: a reply the citizen rated unsatisfied is a
 * weaker model to follow, so it comes after every other case (bench/intel/retrieval.bench.ts measures this).
 */
export const rankCases = (hits: readonly SimilarHit[], satisfactionOf: (ticketId: string) => string | null, max: number) =>
  hits
    .map((h) => ({ h, s: satisfactionOf(h.ticket.id) }))
    .sort((a, b) => Number(a.s === 'unsatisfied') - Number(b.s === 'unsatisfied') || b.h.similarity - a.h.similarity)
    .slice(0, max);

export interface GroundedDraft extends ReplyDraft {
  sources: GroundingSource[];
}

/**
 * Grounded reply drafts (issue 19 item 2): the closed cases most like the message (their replies and the
 * citizens' ratings) and the policy sections valid on the ticket's date are the sources; each sentence taken
 * from one cites it ([C1], [P1]); the handler's own findings (办理情况) are the handling and result when given.
 * Without a model the draft is extractive; with one, the model writes it from the same sources through the
 * gateway, and markers naming no source are dropped.
 */
export class GroundedDrafter {
  constructor(
    private readonly deps: { db: Db; index: TicketIndex; knowledge: KnowledgeService; config: IntelConfig['knowledge'] },
  ) {}

  /** The sources of a draft: cases C1 … (best first, unsatisfied ones last) and policy sections P1 …. */
  async sources(input: DraftInput): Promise<GroundingSource[]> {
    const { index, config } = this.deps;
    await index.ready();
    const idx = index.current;
    const hits = idx.search(idx.tokenize(input.title, `${input.content} ${input.findings ?? ''}`), config.maxCases * 3,
      (t) => !!t.replyText && REPLIED.has(t.status) && t.id !== input.ticketId && t.mainTicketId !== input.ticketId)
      .filter((h) => h.similarity >= config.minCaseSimilarity);
    const satisfaction = await findSatisfaction(this.deps.db, hits.map((h) => h.ticket.id));
    const cases = rankCases(hits, (id) => satisfaction.get(id) ?? null, config.maxCases)
      .map(({ h, s }, i): GroundingSource => ({
        ref: `C${i + 1}`, kind: 'case', label: `工单${h.ticket.number}${s ? `（${SATISFACTION_ZH[s] ?? s}）` : ''}`,
        excerpt: replyBody(h.ticket.replyText!), score: Math.round(h.similarity * 1000) / 1000,
        ticketId: h.ticket.id, number: h.ticket.number, satisfaction: s,
      }));
    const policies = await this.deps.knowledge.sources(`${input.title} ${input.content} ${input.findings ?? ''}`, input.asOf ?? undefined, config.maxSections, config.minDraftRelevance);
    return [...cases, ...policies];
  }

  /** The extractive draft: six standard parts, each claim taken from the findings or a cited source. */
  offline(input: DraftInput, sources: readonly GroundingSource[]): GroundedDraft {
    const title = normalizeText(input.title).slice(0, 60);
    const unit = input.unitName ?? '承办单位';
    const query = this.deps.index.tokenize(input.title, input.content);
    // The handler's own words, as written (they are shown to the handler, who sends the reply).
    const findings = input.findings?.trim() ?? '';
    const bestCase = sources.find((s) => s.kind === 'case' && s.satisfaction !== 'unsatisfied');
    const policy = sources.find((s) => s.kind === 'policy');
    // Never a result the case does not support: the handler's findings, else a similar case's cited handling,
    // else only that the matter is being handled.
    const handling = findings
      ? `经${unit}调查核实，${findings.replace(/[。.]?$/, '。')}`
      : bestCase
        ? `收到您的诉求后，已转${unit}办理。类似诉求此前的处理情况：${bestSentences(bestCase.excerpt, query, 2)}[${bestCase.ref}]`
        : `收到您的诉求后，已转${unit}办理。`;
    const basis = policy ? `根据${policy.label.replace(/（[^）]*）$/, '')}：“${bestSentences(policy.excerpt, query, 1)}”[${policy.ref}]` : '';
    const result = findings ? basis : `${unit}核实后将向您反馈处理结果。${basis}`;
    const parts = {
      greeting: '您好！',
      acknowledgement: `您反映的“${title}”问题已收悉。`,
      handling,
      result,
      contact: '如有疑问，请拨打12345政务服务便民热线咨询。',
      closing: '感谢您对我们工作的理解与支持！',
    };
    return { text: Object.values(parts).join(''), parts, basedOn: basedOn(sources), sources: [...sources] };
  }

  /** The model's draft from the same sources (placeholders for personal data are the gateway's). */
  async viaLlm(llm: LlmGateway, actor: Actor, input: DraftInput, sources: readonly GroundingSource[]): Promise<string> {
    const { text } = await llm.complete({ module: 'intel', actor, prompt: groundedReplyPrompt, input: { input, sources } });
    return keepKnownCitations(normalizeText(text.trim()), sources).slice(0, 4000);
  }
}

const SATISFACTION_ZH: Record<string, string> = { satisfied: '满意', basically_satisfied: '基本满意', unsatisfied: '不满意' };

// The index keeps replies normalised (half-width punctuation): a Chinese reply gets its full-width commas back.
const replyBody = (reply: string) =>
  reply.replace(OPENING_RE, '').replace(CLOSING_RE, '').trim().slice(0, 800).replace(/(?<=[\u4e00-\u9fff]),(?=[\u4e00-\u9fff])/g, '，');

const basedOn = (sources: readonly GroundingSource[]) =>
  sources.filter((s) => s.kind === 'case').map((s) => ({ ticketId: s.ticketId!, number: s.number!, similarity: s.score }));
