import type { Actor } from '../../platform/auth/roles.js';
import { LlmError, type LlmGateway } from '../../platform/llm/index.js';
import { finding, type Judgement } from './inspection-rules.js';
import { inspectionPrompt } from './prompts/inspection.js';

/**
 * The model's judgement of requests, stance and politeness (through the gateway: personal data leave as
 * placeholders). An answer that is not the JSON asked for is an LlmError, so the caller falls back to the rules.
 */
export async function modelJudgement(llm: LlmGateway, actor: Actor, appeal: string, reply: string): Promise<Judgement> {
  const { text } = await llm.complete({ module: 'governance', actor, prompt: inspectionPrompt, input: { appeal, reply } });
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json ?? '');
  } catch {
    throw new LlmError('the model did not answer the inspection as JSON');
  }
  const p = parsed as { requests?: unknown; stance?: unknown; politeness?: unknown; notes?: unknown };
  if (!Array.isArray(p.requests) || typeof p.stance !== 'number' || typeof p.politeness !== 'number') {
    throw new LlmError('the model\'s inspection lacks requests, stance or politeness');
  }
  const requests = p.requests
    .filter((r): r is { text: string; answered: boolean } => typeof r?.text === 'string' && typeof r?.answered === 'boolean')
    .slice(0, 20)
    .map((r) => ({ text: r.text.slice(0, 500), answered: r.answered }));
  const findings = requests.filter((r) => !r.answered).map((r) => finding('completeness', '未回应诉求：答复没有回应市民的这一项诉求', r.text));
  if (p.stance < 0.6) findings.push(finding('stance', '立场不当（模型判断）', null));
  if (p.politeness < 0.6) findings.push(finding('politeness', '用语不够文明规范（模型判断）', null));
  return { requests, stance: p.stance, politeness: p.politeness, findings };
}
