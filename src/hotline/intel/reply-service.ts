import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import type { IntelConfig } from './config.js';
import type { TicketIndex } from './ticket-index.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import { llmDraft, offlineDraft } from './reply-drafter.js';
import { scoreReply } from './reply-quality.js';
import type { DraftInput, DraftResult, ReplyDraft, ReplyQuality, ReplyQualityInput } from './schemas.js';

/**
 * Replies to citizens: a draft from similar replied cases and the template (the LLM writes it when configured),
 * and the reply-quality score supervisors read (rules in docs/hotline-intel.md).
 */
export class ReplyService {
  constructor(
    private readonly config: Pick<IntelConfig, 'similar' | 'replies'>,
    private readonly index: TicketIndex,
    private readonly llm: LlmGateway,
  ) {}

  /** A draft reply from similar replied cases and the template; the LLM writes it when configured. */
  async draft(actor: Actor, input: DraftInput): Promise<DraftResult> {
    assertCan(actor, 'hotline.intel.reply');
    await this.index.ready();
    const index = this.index.current;
    const similar = index.search(index.tokenize(input.title, input.content), this.config.similar.topK, (t) => !!t.replyText);
    const offline = offlineDraft(input, similar);
    const r = await this.llm.withFallback<ReplyDraft>(
      async (llm) => ({ ...offline, text: await llmDraft(llm, actor, input, similar) }),
      () => offline,
    );
    return { ...r.value, method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
  }

  /** The reply-quality score of a reply to a message. */
  async score(actor: Actor, input: ReplyQualityInput): Promise<ReplyQuality> {
    assertCan(actor, 'hotline.intel.reply');
    await this.index.ready();
    return scoreReply(this.index.current, input, this.config.replies);
  }
}
