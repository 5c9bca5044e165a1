import { Type, type Static } from 'typebox';

/** One named model server speaking the OpenAI-compatible chat-completions API (vLLM, Ollama, a vendor gateway). */
export const LlmEndpointSchema = Type.Object({
  /** Up to the version: `http://10.20.0.7:8000/v1`; `/chat/completions` is appended. Private addresses need `outbound.allow`. */
  baseUrl: Type.String({ pattern: '^https?://' }),
  model: Type.String({ minLength: 1 }),
  /** The key itself (prefer `apiKeyEnv`, so no key sits in a config file). */
  apiKey: Type.Optional(Type.String()),
  /** The environment variable holding the key (`CITYHUB_LLM_KEY_QWEN`). */
  apiKeyEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
  /** One attempt's deadline, the whole answer streamed included. */
  timeoutMs: Type.Integer({ minimum: 100, default: 15_000 }),
  /** Attempts after the first on 429, 5xx or a refused connection (never after a timeout: the caller waits already). */
  retries: Type.Integer({ minimum: 0, maximum: 5, default: 2 }),
  /** Wait before the first retry; doubled each time, a server's Retry-After taken when longer (up to 10 s). */
  retryBaseMs: Type.Integer({ minimum: 0, default: 500 }),
  /** Calls in flight to this server from this node; more wait their turn (a GPU serves few at once). */
  maxConcurrent: Type.Integer({ minimum: 1, default: 4 }),
  maxTokens: Type.Integer({ minimum: 16, default: 512 }),
  temperature: Type.Number({ minimum: 0, maximum: 2, default: 0.2 }),
});
export type LlmEndpointConfig = Static<typeof LlmEndpointSchema>;

/**
 * `llm`: the model servers CityHub may call and the switch. With `enabled: false` (the default) or no endpoint,
 * nothing is called and every function answers with its offline method.
 */
export const LlmConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** Named endpoints (`default`, `qwen`, `deepseek` …); a caller names one, else `default`, else the first. */
    endpoints: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }), LlmEndpointSchema, { default: {} }),
  },
  { default: {} },
);
export type LlmConfig = Static<typeof LlmConfigSchema>;
