import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import type { IntelConfig } from './config.js';
import type { TicketIndex } from './ticket-index.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import { citedRefs, type GroundedDraft, type GroundedDrafter } from './grounding.js';
import { scoreReply } from './reply-quality.js';
import type { DraftInput, DraftResult, ReplyQuality, ReplyQualityInput } from './schemas.js';

/**
 * Replies to citizens: a draft grounded on the city's closed cases and the policy knowledge base, citing them
 * (the LLM writes it when configured), and the reply-quality score supervisors read (docs/hotline-intel.md).
 */
export class ReplyService {
  constructor(
    private readonly config: Pick<IntelConfig, 'replies'>,
    private readonly index: TicketIndex,
    private readonly llm: LlmGateway,
    private readonly drafter: GroundedDrafter,
  ) {}

  /** A draft reply with its sources (cases C1 …, policy sections P1 …) and the markers its text cites. */
  async draft(actor: Actor, input: DraftInput): Promise<DraftResult> {
    assertCan(actor, 'hotline.intel.reply');
    const sources = await this.drafter.sources(input);
    const offline = this.drafter.offline(input, sources);
    const r = await this.llm.withFallback<GroundedDraft>(
      async (llm) => ({ ...offline, text: await this.drafter.viaLlm(llm, actor, input, sources) }),
      () => offline,
    );
    return { ...r.value, citations: citedRefs(r.value.text), method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
  }

  /** The reply-quality score of a reply to a message. */
  async score(actor: Actor, input: ReplyQualityInput): Promise<ReplyQuality> {
    assertCan(actor, 'hotline.intel.reply');
    await this.index.ready();
    return scoreReply(this.index.current, input, this.config.replies);
  }
}
