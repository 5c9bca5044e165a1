import type { ColumnType, Generated } from 'kysely';

/**
 * One call to a model server: who asked (module, actor), which server, model and prompt version, the tokens and
 * the outcome. Never the text asked or answered.
 */
export interface LlmCallTable {
  id: Generated<string>;
  at: ColumnType<Date, Date, never>;
  module: string;
  /** `user:<uuid>`, `system:<name>` (actorRef) */
  actor: string;
  endpoint: string;
  model: string;
  prompt_name: string;
  prompt_version: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** `ok`, or `failed` (the caller's offline method answered) */
  outcome: string;
  duration_ms: number;
}

declare module '../db/schema.js' {
  interface Database {
    llm_call: LlmCallTable;
  }
}
