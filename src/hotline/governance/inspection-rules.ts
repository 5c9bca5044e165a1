import { maskPersonalData, redactPersonalData, type PersonalDataKind } from '../../platform/privacy/personal-data.js';
import type { GovernanceConfig } from './config.js';
import type { InspectionCheck, InspectionFinding, InspectionResult } from './schemas.js';

/** What the model (or the rules) judged of the appeal and the reply; the rest is always the rules'. */
export interface Judgement {
  requests: { text: string; answered: boolean }[];
  stance: number;
  politeness: number;
  findings: InspectionFinding[];
}

const SENTENCES = /[^。！？!?；;\n]+[。！？!?；;]?/g;
/** What a citizen asks for: a wish, a demand, a question. */
const ASK = /希望|请求|请|要求|建议|恳请|盼|能否|能不能|可否|是否|如何|怎么|怎样|为什么|为何|尽快|[?？]$/;
/** Words of the asking itself, not of the matter asked about. */
const ASK_WORDS = /希望|请求|恳请|要求|建议|有关部门|相关部门|政府|领导|能否|能不能|可否|是否|尽快|帮助|帮忙|一下|我们|我|你们|您|请|的|了|吗|呢|[\s\p{P}\p{S}]/gu;

/**
 * The citizen's requests: the sentences of the appeal that ask for something (`ASK`); the appeal's last sentence
 * when none does (a complaint asks by itself).
 *
 * @example splitRequests('路灯不亮。希望尽快维修路灯，并说明原因。') // ['希望尽快维修路灯，并说明原因。']
 */
export function splitRequests(appeal: string): string[] {
  const sentences = (appeal.match(SENTENCES) ?? []).map((s) => s.trim()).filter((s) => s.length > 2);
  const asks = sentences.filter((s) => ASK.test(s));
  return asks.length ? asks : sentences.slice(-1);
}

const pairs = (text: string): Set<string> => {
  const core = text.replace(ASK_WORDS, '');
  const out = new Set<string>();
  for (let i = 0; i + 1 < core.length; i++) out.add(core.slice(i, i + 2));
  return out;
};

/** A request is answered when at least `coverage` of its character pairs (the asking words left out) are in the reply. */
export function isAnswered(request: string, reply: string, coverage: number): boolean {
  const want = pairs(request);
  if (want.size === 0) return true;
  const have = pairs(reply);
  let hit = 0;
  for (const p of want) if (have.has(p)) hit++;
  return hit / want.size >= coverage;
}

/** Pushing the citizen away or blaming them (推诿、指责). */
const BAD_STANCE = /不归我(们|单位)管|与我(单位|们)无关|不属于我单位|(请|你|您)自行(解决|处理|协商)|无法处理|没办法|不予理睬|你(应该|自己)|投诉也没用/g;
const RUDE = /你们|少来|别再|不要再打|随便你|爱找谁找谁|听不懂/g;
const GREETING = /您好|你好|尊敬的/;
const THANKS = /感谢|谢谢|理解与支持|理解和支持/;
/** Where a reply explains, refuses or rules, it should name its basis (《…》 or an article). */
const NEEDS_BASIS = /政策|规定|不符合|不予|无法|不能|不属于|按照|依据|根据|依法/;
const NAMED_BASIS = /《[^》]{2,40}》|第[一二三四五六七八九十百零\d]+条/;
/** A promise about the future (承诺) … */
const PROMISE = /将(会|于|在|尽快|及时|安排|组织|协调|督促|进行|开展|对)|会尽快|尽快|近期|择期|后续|下一步|纳入.{0,6}计划|正在(协调|推进|办理)/;
/** … and a deadline that makes it checkable. */
const DEADLINE = /\d{1,2}月\d{1,2}日|\d{1,2}日前|\d+个?(工作日|小时|天|日|周)内|本周|本月|月底|月内|年底|年内|\d{4}年|\d{1,2}月(底|前|中旬|上旬|下旬)/;

/** The citizen's contact data and other personal data that a reply must not carry (it may be published). */
const LEAKS: Partial<Record<PersonalDataKind, string>> = {
  phone: '手机号', idNumber: '身份证号', number: '号码', account: '账号', email: '邮箱', name: '姓名', room: '门牌', plate: '车牌',
};
/** A landline (0 + area code) is how a unit says where to call: no leak. */
const LANDLINE = /^[(（]?0\d{2,3}/;

/** The rules' own judgement of requests, stance and politeness (what a model may judge instead). */
export function ruleJudgement(appeal: string, reply: string, rules: GovernanceConfig['inspection']): Judgement {
  const requests = splitRequests(appeal).map((text) => ({ text, answered: isAnswered(text, reply, rules.requestCoverage) }));
  const findings: InspectionFinding[] = [];
  for (const r of requests) if (!r.answered) findings.push(finding('completeness', '未回应诉求：答复没有回应市民的这一项诉求', r.text));
  const bad = reply.match(BAD_STANCE) ?? [];
  for (const m of bad) findings.push(finding('stance', '立场不当：推诿或指责来电人', m));
  const rude = reply.match(RUDE) ?? [];
  for (const m of rude) findings.push(finding('politeness', '用语不文明或生硬', m));
  if (!GREETING.test(reply)) findings.push(finding('politeness', '缺少称呼问候（您好）', null));
  if (!THANKS.test(reply)) findings.push(finding('politeness', '缺少致谢结束语', null));
  const politeness = Math.max(0, (GREETING.test(reply) ? 0.5 : 0) + (THANKS.test(reply) ? 0.5 : 0) - 0.5 * rude.length);
  return { requests, stance: Math.max(0, 1 - 0.5 * bad.length), politeness, findings };
}

/**
 * Inspects a reply against its appeal (智能质检, docs/hotline-governance.md): completeness (each request answered),
 * stance, politeness — from the judgement given (a model's, or `ruleJudgement`'s) — and, always by rule, policy
 * citation, promises without deadlines and personal data. The score is the weighted mean of the six checks, 0–100.
 *
 * @example inspect(appeal, reply, ruleJudgement(appeal, reply, rules), rules, 'offline').score
 */
export function inspect(appeal: string, reply: string, judged: Judgement, rules: GovernanceConfig['inspection'], method: 'llm' | 'offline'): Omit<InspectionResult, 'llmError'> {
  const findings = [...judged.findings];
  const sentences = reply.match(SENTENCES) ?? [];

  let policy = 1;
  if (NEEDS_BASIS.test(reply) && !NAMED_BASIS.test(reply)) {
    policy = 0.3;
    findings.push(finding('policy', '涉及政策或规定，但未写明依据（文件名称或条款）', sentences.find((s) => NEEDS_BASIS.test(s))?.trim() ?? null));
  }

  const vague = sentences.filter((s) => PROMISE.test(s) && !DEADLINE.test(s));
  for (const s of vague) findings.push(finding('promises', '承诺事项没有办理时限', s.trim()));
  const promises = Math.max(0, 1 - 0.5 * vague.length);

  const leaks: string[] = [];
  // the kinds found; the values never leave this function
  redactPersonalData(reply, (kind, value) => {
    if (LEAKS[kind] && !(kind === 'phone' || kind === 'number' ? LANDLINE.test(value.trim()) : false)) leaks.push(LEAKS[kind]);
    return value;
  });
  for (const l of leaks) findings.push({ ...finding('privacy', '答复含有个人信息，发出前必须删除', l), blocking: true });

  const answered = judged.requests.filter((r) => r.answered).length;
  const checks: Record<InspectionCheck, number> = {
    completeness: judged.requests.length ? answered / judged.requests.length : 1,
    stance: clamp(judged.stance),
    politeness: clamp(judged.politeness),
    policy,
    promises,
    privacy: leaks.length ? 0 : 1,
  };
  const w = rules.weights;
  const weight = Object.values(w).reduce((s, x) => s + x, 0) || 1;
  const score = round((100 * (Object.keys(checks) as InspectionCheck[]).reduce((s, c) => s + w[c] * checks[c], 0)) / weight);
  return {
    score,
    passed: score >= rules.passScore && leaks.length === 0,
    checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, round(v)])) as Record<InspectionCheck, number>,
    requests: judged.requests,
    findings,
    method,
  };
}

/** Findings are stored and shown to supervisors and leaders: their excerpts never carry a personal datum (a leak is named by its kind). */
export const finding = (check: InspectionCheck, message: string, excerpt: string | null): InspectionFinding =>
  ({ check, message, excerpt: excerpt === null ? null : maskPersonalData(excerpt).slice(0, 200), blocking: false });
const clamp = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const round = (x: number) => Math.round(x * 100) / 100;
