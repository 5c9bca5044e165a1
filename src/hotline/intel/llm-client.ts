import { Type, type Static } from 'typebox';
import type { AnswerMethod } from './schemas.js';

/**
 * `modules.intel.llm`: an OpenAI-compatible chat-completions endpoint (a locally served Qwen or DeepSeek, say).
 * When `baseUrl` is unset, or a call fails or times out, the offline methods answer instead.
 */
export const LlmConfigSchema = Type.Object(
  {
    baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    model: Type.String({ default: 'qwen2.5-7b-instruct' }),
    apiKey: Type.Optional(Type.String()),
    timeoutMs: Type.Integer({ minimum: 100, default: 15_000 }),
    maxTokens: Type.Integer({ minimum: 16, default: 512 }),
    temperature: Type.Number({ minimum: 0, maximum: 2, default: 0.2 }),
  },
  { default: {} },
);

export type LlmConfig = Static<typeof LlmConfigSchema>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export class LlmError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'LlmError';
  }
}

interface CompletionResponse {
  choices?: { message?: { content?: string }; delta?: { content?: string } }[];
}

/** A client for `POST {baseUrl}/chat/completions` (OpenAI's protocol), with a timeout and optional streaming. */
export class ChatCompletionClient {
  constructor(private readonly config: LlmConfig & { baseUrl: string }) {}

  /**
   * Sends the messages and returns the reply text. With `onDelta`, asks for a stream (server-sent events) and
   * reports each piece as it arrives.
   *
   * @example const text = await llm.complete([{ role: 'user', content: '概括这条诉求' }]);
   */
  async complete(messages: ChatMessage[], onDelta?: (piece: string) => void): Promise<string> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    try {
      const response = await fetch(`${this.config.baseUrl.replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.config.model,
          messages,
          max_tokens: this.config.maxTokens,
          temperature: this.config.temperature,
          stream: !!onDelta,
        }),
      });
      if (!response.ok) throw new LlmError(`chat completion failed with HTTP ${response.status}`, response.status);
      const text = onDelta ? await readStream(response, onDelta) : readMessage((await response.json()) as CompletionResponse);
      if (!text.trim()) throw new LlmError('chat completion returned no text');
      return text;
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw new LlmError(`chat completion timed out after ${this.config.timeoutMs} ms`);
      throw err instanceof LlmError ? err : new LlmError((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}

const readMessage = (body: CompletionResponse): string => body.choices?.[0]?.message?.content ?? '';

/** Reads `data: {...}` lines until `data: [DONE]`, joining the deltas. */
async function readStream(response: Response, onDelta: (piece: string) => void): Promise<string> {
  if (!response.body) throw new LlmError('stream without a body');
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const data = line.startsWith('data:') ? line.slice(5).trim() : '';
      if (!data) continue;
      if (data === '[DONE]') return text;
      const piece = (JSON.parse(data) as CompletionResponse).choices?.[0]?.delta?.content ?? '';
      if (piece) {
        text += piece;
        onDelta(piece);
      }
    }
  }
  return text;
}


export interface WithFallbackResult<T> {
  value: T;
  method: AnswerMethod;
  /** why the LLM was not used, when it was configured but failed */
  llmError?: string;
}

/**
 * Tries the LLM when one is configured, else (or on failure) the offline method.
 *
 * @example const { value, method } = await withLlmFallback(llm, (c) => c.complete(msgs), () => offlineSummary(t));
 */
export async function withLlmFallback<T>(
  llm: ChatCompletionClient | undefined,
  viaLlm: (client: ChatCompletionClient) => Promise<T>,
  offline: () => T | Promise<T>,
): Promise<WithFallbackResult<T>> {
  if (!llm) return { value: await offline(), method: 'offline' };
  try {
    return { value: await viaLlm(llm), method: 'llm' };
  } catch (err) {
    return { value: await offline(), method: 'offline', llmError: (err as Error).message };
  }
}

/** A client when `baseUrl` is configured, otherwise undefined (offline only). */
export const createLlmClient = (config: LlmConfig): ChatCompletionClient | undefined =>
  config.baseUrl ? new ChatCompletionClient({ ...config, baseUrl: config.baseUrl }) : undefined;
