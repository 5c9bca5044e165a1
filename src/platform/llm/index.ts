export { LlmGateway, type LlmCall, type LlmAnswer, type Fallback, type UsageRow } from './llm-gateway.js';
export { LlmConfigSchema, LlmEndpointSchema, type LlmConfig, type LlmEndpointConfig } from './llm-config.js';
export { LlmError, type ChatMessage, type TokenUsage } from './chat-client.js';
export { definePrompt, type Prompt } from './prompt.js';
export { Placeholders } from './placeholders.js';
export { llmMigrations } from './migrations.js';
