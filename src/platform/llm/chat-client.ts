import { outboundRequest, type OutboundPolicy } from '../net/outbound.js';
import type { LlmEndpointConfig } from './llm-config.js';
import { SseReader } from './sse.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Tokens a call used, as the server reported them (0 when it did not). */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatAnswer {
  text: string;
  usage: TokenUsage;
  /** attempts made (1 when the first answered) */
  attempts: number;
}

export class LlmError extends Error {
  constructor(message: string, readonly status?: number, readonly retryable = false, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'LlmError';
  }
}

interface Completion {
  choices?: { message?: { content?: string | null }; delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

const usageOf = (body: Completion): TokenUsage | undefined =>
  body.usage ? { promptTokens: body.usage.prompt_tokens ?? 0, completionTokens: body.usage.completion_tokens ?? 0 } : undefined;

/** A counting semaphore: at most `limit` holders; the others wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight on
      else this.active--;
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_RETRY_WAIT_MS = 10_000;

/**
 * One model server: `POST {baseUrl}/chat/completions` through the outbound guard, at most `maxConcurrent` calls in
 * flight, retried with doubling waits on 429, 5xx and refused connections, streamed (server-sent events) when the
 * caller takes pieces. Sees only what the gateway gives it (placeholders, never personal data).
 */
export class ChatClient {
  private readonly slots: Slots;

  constructor(
    readonly name: string,
    readonly config: LlmEndpointConfig,
    private readonly policy: OutboundPolicy,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.slots = new Slots(config.maxConcurrent);
  }

  /**
   * @example const { text, usage } = await client.complete([{ role: 'user', content: '概括：路灯不亮' }]);
   */
  complete(messages: ChatMessage[], onDelta?: (piece: string) => void): Promise<ChatAnswer> {
    return this.slots.run(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return { ...(await this.once(messages, onDelta)), attempts: attempt };
        } catch (err) {
          // Anything but the server's refusal or a lost connection (a malformed answer, say) is not worth repeating.
          const e = err instanceof LlmError ? err : new LlmError(`${this.name}: ${(err as Error).message}`);
          if (!e.retryable || attempt > this.config.retries) throw e;
          const backoff = this.config.retryBaseMs * 2 ** (attempt - 1);
          await sleep(Math.min(MAX_RETRY_WAIT_MS, Math.max(backoff, e.retryAfterMs ?? 0)));
        }
      }
    });
  }

  private async once(messages: ChatMessage[], onDelta?: (piece: string) => void): Promise<Omit<ChatAnswer, 'attempts'>> {
    const key = this.config.apiKey ?? (this.config.apiKeyEnv ? this.env[this.config.apiKeyEnv] : undefined);
    const stream = !!onDelta;
    const sse = new SseReader();
    let text = '';
    let usage: TokenUsage | undefined;
    const take = (events: ReturnType<SseReader['push']>) => {
      for (const event of events) {
        if (event.done) continue;
        const chunk = JSON.parse(event.data) as Completion;
        usage = usageOf(chunk) ?? usage;
        const piece = chunk.choices?.[0]?.delta?.content ?? '';
        if (piece) {
          text += piece;
          onDelta!(piece);
        }
      }
    };
    let res;
    try {
      res = await outboundRequest(`${this.config.baseUrl.replace(/\/$/, '')}/chat/completions`, this.policy, {
        method: 'POST',
        timeoutMs: this.config.timeoutMs,
        maxRedirects: 0,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({
          model: this.config.model,
          messages,
          max_tokens: this.config.maxTokens,
          temperature: this.config.temperature,
          stream,
          // Asks for the usage in the last chunk (OpenAI, vLLM); servers that do not know it ignore it.
          ...(stream ? { stream_options: { include_usage: true } } : {}),
        }),
        onChunk: stream ? (chunk) => take(sse.push(chunk)) : undefined,
      });
    } catch (err) {
      const message = (err as Error).message;
      if ((err as Error).name === 'OutboundUrlError') throw new LlmError(message);
      if (/abort|timeout|no answer/i.test(message) || (err as Error).name === 'TimeoutError') throw new LlmError(`${this.name}: no answer within ${this.config.timeoutMs} ms`);
      // A connection lost before any piece arrived is tried again; after, the caller has half an answer already.
      throw new LlmError(`${this.name}: ${message}`, undefined, text === '');
    }
    if (res.status < 200 || res.status >= 300) {
      const after = Number(res.headers['retry-after']);
      throw new LlmError(`${this.name}: HTTP ${res.status}`, res.status, res.status === 429 || res.status >= 500, Number.isFinite(after) ? after * 1000 : undefined);
    }
    if (stream) take(sse.end());
    else {
      const body = JSON.parse(res.body.toString('utf8')) as Completion;
      text = body.choices?.[0]?.message?.content ?? '';
      usage = usageOf(body);
    }
    if (!text.trim()) throw new LlmError(`${this.name}: the answer has no text`);
    return { text, usage: usage ?? { promptTokens: 0, completionTokens: 0 } };
  }
}
