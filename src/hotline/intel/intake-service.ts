import type { Clock } from '../../platform/clock/clock.js';
import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import type { UnitSuggestion } from '../index.js';
import type { IntelConfig } from './config.js';
import type { CategoryClassifier } from './category-classifier.js';
import type { CityReference } from './city-reference.js';
import type { TicketIndex } from './ticket-index.js';
import { findDuplicates } from './duplicate-detector.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import type { SimilarHit } from './similar-index.js';
import { summarizeTicket, type SummaryInput } from './ticket-summary.js';
import type { AssistInput, AssistResult, DuplicateProposal, SimilarCase, TicketSummary } from './schemas.js';

export interface IntakeServiceDeps {
  config: Pick<IntelConfig, 'similar' | 'duplicates' | 'assist'>;
  clock: Clock;
  index: TicketIndex;
  classifier: CategoryClassifier;
  reference: CityReference;
  /** the platform's model gateway (off: the offline summary) */
  llm: LlmGateway;
  /** The unit the routing rules would send a category in an area to (the ticket service's suggestion). */
  suggestUnit(categoryId: string | null, areaId: string | null): Promise<UnitSuggestion>;
}

/** A filed ticket whose duplicates are asked for. */
export interface FiledTicket {
  id: string;
  title: string;
  content: string;
  createdAt: Date;
  lon?: number | null;
  lat?: number | null;
  areaId?: string | null;
}

/** Only a citizen (no staff role) gets the limited answer. */
const citizenOnly = (actor: Actor) => actor.roles.includes('citizen') && !actor.roles.some((r) => r !== 'citizen');

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The intake assist (受理辅助) from the city's own history: while a matter is being taken, the category top-3,
 * the area and the unit the rules would send it to, likely duplicates, similar cases with their replies, and a
 * summary (the LLM's when configured, else the offline one, and it says which).
 */
export class IntakeService {
  constructor(private readonly deps: IntakeServiceDeps) {}

  /**
   * Intake assist (POST /api/hotline/assist): category top-3, suggested unit, likely duplicates, similar cases
   * with replies and a summary. A citizen gets the category suggestion only.
   */
  async assist(actor: Actor, input: AssistInput): Promise<AssistResult> {
    assertCan(actor, 'hotline.intel.assist');
    const { config, index: tickets } = this.deps;
    await tickets.ready();
    const guessed = this.deps.classifier.guess(input.title, input.content);
    const categories = guessed.categories?.filter((c) => c.confidence >= config.assist.minCategoryConfidence) ?? guessed.categories;
    const classifierReason = guessed.categories?.length && !categories?.length
      ? `no category reaches ${Math.round(config.assist.minCategoryConfidence * 100)}% confidence (无把握足够的分类建议)`
      : guessed.reason;
    if (citizenOnly(actor)) {
      return { categories, classifierReason, area: null, unit: null, duplicates: [], similar: [], summary: null, limited: true };
    }
    const area = this.deps.reference.resolveArea(input);
    const topCategory = categories?.[0]?.categoryId ?? null;
    const unit = topCategory || area ? { ...(await this.deps.suggestUnit(topCategory, area?.areaId ?? null)), categoryId: topCategory } : null;
    const index = tickets.current;
    const tokens = index.tokenize(input.title, input.content);
    // One search serves both: its candidates, cut to top-k, are the similar cases, and filtered, the duplicates.
    const selfId = input.ticketId ?? undefined;
    const hits = index.search(tokens, config.similar.candidates + 1).filter((h) => h.ticket.id !== selfId).slice(0, config.similar.candidates);
    const duplicates = findDuplicates(
      index,
      { tokens, at: this.deps.clock().getTime(), lon: input.lon, lat: input.lat, areaId: area?.areaId ?? null, selfId },
      config.duplicates,
      hits,
    );
    const similar = hits.slice(0, config.similar.topK).map(toCase);
    const summary = await this.summarize(actor, { ...input, category: categories?.[0]?.label ?? null });
    return { categories, classifierReason, area, unit, duplicates, similar, summary, limited: false };
  }

  /** 工单摘要: the LLM when configured and answering, else the offline extractive summary. */
  summarize(actor: Actor, input: SummaryInput): Promise<TicketSummary> {
    return summarizeTicket(this.deps.llm, actor, input);
  }

  /** Duplicates of a filed ticket (for the workbench): proposals to merge under the main ticket. */
  async duplicatesOf(ticket: FiledTicket): Promise<DuplicateProposal[]> {
    await this.deps.index.ready();
    const index = this.deps.index.current;
    return findDuplicates(
      index,
      { tokens: index.tokenize(ticket.title, ticket.content), at: ticket.createdAt.getTime(), lon: ticket.lon, lat: ticket.lat, areaId: ticket.areaId, selfId: ticket.id },
      this.deps.config.duplicates,
    );
  }
}

const toCase = (h: SimilarHit): SimilarCase => ({
  ticketId: h.ticket.id,
  number: h.ticket.number,
  title: h.ticket.title,
  similarity: round(h.similarity),
  status: h.ticket.status,
  reply: h.ticket.replyText,
  createdAt: new Date(h.ticket.createdAt).toISOString(),
});
