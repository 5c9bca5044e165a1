import { Value } from 'typebox/value';
import type { Clock } from '../clock/clock.js';
import type { Db } from '../db/database.js';
import type { Ledger } from '../ledger/ledger.js';
import type { OutboundPolicy } from '../net/outbound.js';
import { actorRef, type Actor } from '../auth/roles.js';
import { ChatClient, LlmError, type ChatMessage, type TokenUsage } from './chat-client.js';
import { LlmEndpointSchema, type LlmConfig, type LlmEndpointConfig } from './llm-config.js';
import { Placeholders } from './placeholders.js';
import type { Prompt } from './prompt.js';
import { insertLlmCall, sumLlmUsage } from './llm-store.js';

export interface LlmCall<I> {
  /** the module asking (token accounting, the record) */
  module: string;
  /** on whose behalf (token accounting per user) */
  actor: Actor;
  prompt: Prompt<I>;
  input: I;
  /** a named endpoint; else `default`, else the first configured */
  endpoint?: string;
  /** pieces of the answer as they stream in, personal data already restored */
  onDelta?: (piece: string) => void;
}

export interface LlmAnswer {
  text: string;
  endpoint: string;
  model: string;
  usage: TokenUsage;
}

/** Which method produced an answer: the model, or the offline method (no model, or it failed). */
export interface Fallback<T> {
  value: T;
  method: 'llm' | 'offline';
  /** why the model was not used, when one is configured but failed */
  llmError?: string;
}

export interface UsageRow {
  key: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * The one way out to a language model (docs/hotline-llm.md). For each call it: picks the named endpoint; replaces
 * personal data in every message by placeholders (〔电话1〕, 〔姓名1〕…) and restores them in the answer, streamed
 * pieces included; calls through the outbound guard with the endpoint's timeout, retries and concurrency limit;
 * stores the call's tokens per module and actor; appends `llm.call` to the ledger with the endpoint, model, prompt
 * name and version and the token counts, never the text. Off (`llm.enabled: false`) it calls nothing.
 */
export class LlmGateway {
  private readonly clients = new Map<string, ChatClient>();

  constructor(
    private readonly deps: { db: Db; ledger: Ledger; clock: Clock; outbound: OutboundPolicy; onError?: (err: unknown) => void },
    config: LlmConfig,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    if (!config.enabled) return;
    for (const [name, endpoint] of Object.entries(config.endpoints)) {
      // TypeBox fills no defaults inside a record's values: each endpoint is defaulted here.
      const defaulted = Value.Default(LlmEndpointSchema, structuredClone(endpoint)) as LlmEndpointConfig;
      this.clients.set(name, new ChatClient(name, defaulted, deps.outbound, env));
    }
  }

  /** A model can be asked (the switch is on and an endpoint is configured). */
  get enabled(): boolean {
    return this.clients.size > 0;
  }

  /**
   * Asks the model; throws LlmError when it is off, unknown, failing or too slow.
   *
   * @example const { text } = await llm.complete({ module: 'intel', actor, prompt: summaryPrompt, input: ticket });
   */
  async complete<I>(call: LlmCall<I>): Promise<LlmAnswer> {
    const client = this.client(call.endpoint);
    const placeholders = new Placeholders();
    const messages: ChatMessage[] = [
      { role: 'system', content: placeholders.hide(call.prompt.system) },
      { role: 'user', content: placeholders.hide(call.prompt.user(call.input)) },
    ];
    const restorer = placeholders.streamRestorer();
    const onDelta = call.onDelta;
    const started = Date.now();
    let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    let outcome = 'failed';
    try {
      const answer = await client.complete(messages, onDelta ? (piece) => emit(onDelta, restorer.push(piece)) : undefined);
      if (onDelta) emit(onDelta, restorer.flush());
      usage = answer.usage;
      outcome = 'ok';
      return { text: placeholders.restore(answer.text), endpoint: client.name, model: client.config.model, usage };
    } finally {
      await this.record(call, client, usage, outcome, Date.now() - started);
    }
  }

  /**
   * The model's answer when it is on and answers, else the offline method's; says which, and why not.
   *
   * @example const r = await llm.withFallback((l) => l.complete(call).then((a) => a.text), () => offlineSummary(t));
   */
  async withFallback<T>(viaLlm: (llm: LlmGateway) => Promise<T>, offline: () => T | Promise<T>): Promise<Fallback<T>> {
    if (!this.enabled) return { value: await offline(), method: 'offline' };
    try {
      return { value: await viaLlm(this), method: 'llm' };
    } catch (err) {
      return { value: await offline(), method: 'offline', llmError: (err as Error).message };
    }
  }

  /** Calls and tokens since a moment, per module or per actor (`user:<uuid>`). */
  async usage(by: 'module' | 'actor', since: Date): Promise<UsageRow[]> {
    const rows = await sumLlmUsage(this.deps.db, by, since);
    return rows.map((r) => ({ key: r.key, calls: Number(r.calls), promptTokens: Number(r.prompt_tokens), completionTokens: Number(r.completion_tokens) }));
  }

  private client(name: string | undefined): ChatClient {
    if (!this.enabled) throw new LlmError('no language model is configured (llm.enabled is false)');
    const client = this.clients.get(name ?? 'default') ?? (name ? undefined : this.clients.values().next().value);
    if (!client) throw new LlmError(`no model endpoint named ${name}`);
    return client;
  }

  /** The call's row and ledger entry; a failure to record is reported, never the caller's failure. */
  private async record<I>(call: LlmCall<I>, client: ChatClient, usage: TokenUsage, outcome: string, durationMs: number): Promise<void> {
    const facts = {
      module: call.module, endpoint: client.name, model: client.config.model,
      prompt: call.prompt.name, promptVersion: call.prompt.version,
      promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, outcome,
    };
    try {
      await insertLlmCall(this.deps.db, {
        at: this.deps.clock(), module: call.module, actor: actorRef(call.actor), endpoint: client.name, model: client.config.model,
        prompt_name: call.prompt.name, prompt_version: call.prompt.version, prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens, outcome, duration_ms: durationMs,
      });
      await this.deps.ledger.append('llm.call', call.actor, `prompt:${call.prompt.name}@${call.prompt.version}`, facts);
    } catch (err) {
      this.deps.onError?.(err);
    }
  }
}

const emit = (onDelta: (piece: string) => void, piece: string) => {
  if (piece) onDelta(piece);
};
