import { cosine, type SimilarIndex } from './similar-index.js';
import type { ReplyPart, ReplyQuality, ReplyQualityInput } from './schemas.js';

/** The standard parts of a reply (答复规范) and the cues that show each one. */
export const REPLY_PARTS = {
  greeting: /您好|你好|尊敬的|网友/,
  acknowledgement: /收悉|来信|留言|反映|问政|诉求|咨询的|关于.{0,30}(问题|事宜)/,
  handling: /调查|核实|核查|现场|了解|查阅|经查|联系|协调|约谈|转交|交办|会同|组织/,
  result: /已经?|目前|现已|将于|将在|完成|解决|处理|整改|答复如下|回复如下|情况如下/,
  contact: /电话|联系方式|咨询|热线|12345|\d{4}-?\d{7,8}|<PHONE>/,
  closing: /感谢|谢谢|理解|支持|监督|关心|关注/,
} as const satisfies Record<ReplyPart, RegExp>;

/** Explanation cues (interpretability): a legal or policy basis, or a reason given. */
export const INTERPRET_CUES: RegExp[] = [
  /《[^》]{2,40}》/g,
  /第[一二三四五六七八九十百零\d]+条/g,
  /根据|依据|按照|依照|依法|规定|政策|条例|办法|标准|文件/g,
  /因为|由于|原因|所以|因此|鉴于/g,
];

/** A sentence that is only form (greeting, receipt, closing, a date): no part of what the reply says. */
const FORM_SENTENCE = [
  /^(网友|尊敬的)?[^，,]{0,24}(您好|你好)$/,
  /^(网友|尊敬的[^，,]{0,12})(“[^”]{0,20}”)?$/,
  /^(您的)?(留言|来信|诉求|问政|信件)[^，,]{0,12}(收悉|已收到)$/,
  /^(已收悉|收悉)$/,
  /^现?将?(有关|相关)?情况(回复|答复|说明)如下$/,
  /^(感谢|谢谢)[^，,]{0,30}(支持|理解|监督|关心|关注)[^，,]{0,10}$/,
  /^\d{4}年\d{1,2}月(\d{1,2}日)?$/,
];
const SENTENCE_SPLIT = /[。！？!?；;\n：:]+/;

/** Characters (letters and digits) of the reply's sentences that are not only form. */
export function substanceChars(reply: string): number {
  let n = 0;
  for (const raw of reply.split(SENTENCE_SPLIT)) {
    const sentence = raw.replace(/[\s\u3000]+/g, '');
    if (!sentence || FORM_SENTENCE.some((re) => re.test(sentence))) continue;
    n += sentence.replace(/[\p{P}\p{S}]/gu, '').length;
  }
  return n;
}

export interface ReplyQualityRules {
  timelyDays: number[];
  weights: { relevance: number; completeness: number; interpretability: number; timeliness: number };
  interpretCues: number;
  /** Characters of substance (beyond greeting, receipt, closing and date) for a reply to explain anything. */
  substanceChars: number;
}

/**
 * The reply-quality score for supervisors (docs/hotline-intel.md): relevance (cosine of the reply's and the
 * message's tf-idf vectors, scaled so 0.5 is full marks), completeness (share of the six standard parts present),
 * interpretability (explanation cues, `interpretCues` of them for full marks), timeliness (delay vs `timelyDays`).
 *
 * @example scoreReply(index, { message, reply, delayDays: 3 }, rules).score // 0..100
 */
export function scoreReply(index: SimilarIndex, input: ReplyQualityInput, rules: ReplyQualityRules): ReplyQuality {
  const m = index.vector(index.tokenize('', input.message));
  const r = index.vector(index.tokenize('', input.reply));
  const relevance = Math.min(1, cosine(m, r) / 0.5);
  const parts = {} as Record<ReplyPart, boolean>;
  const missing: ReplyPart[] = [];
  for (const [name, re] of Object.entries(REPLY_PARTS) as [ReplyPart, RegExp][]) {
    parts[name] = re.test(input.reply);
    if (!parts[name]) missing.push(name);
  }
  const completeness = (6 - missing.length) / 6;
  let cues = 0;
  for (const re of INTERPRET_CUES) cues += input.reply.match(re)?.length ?? 0;
  // A reply explains only if it says something beyond its form; a reason or a basis given makes it explain fully.
  const substance = Math.min(1, substanceChars(input.reply) / rules.substanceChars);
  const interpretability = substance * (0.5 + 0.5 * Math.min(1, cues / rules.interpretCues));
  const timeliness = input.delayDays == null ? null : timelinessOf(input.delayDays, rules.timelyDays);
  const w = rules.weights;
  const parts4: [number, number][] = [
    [w.relevance, relevance],
    [w.completeness, completeness],
    [w.interpretability, interpretability],
  ];
  if (timeliness !== null) parts4.push([w.timeliness, timeliness]);
  const totalWeight = parts4.reduce((s, [wt]) => s + wt, 0) || 1;
  const score = (100 * parts4.reduce((s, [wt, v]) => s + wt * v, 0)) / totalWeight;
  return {
    score: round(score),
    relevance: round(relevance),
    completeness: round(completeness),
    interpretability: round(interpretability),
    timeliness: timeliness === null ? null : round(timeliness),
    parts,
    missing,
  };
}

/** 1.0 within the first threshold, 0.7 within the second, 0.4 within the third, 0.1 after. */
export function timelinessOf(days: number, thresholds: number[]): number {
  const [a, b, c] = thresholds;
  return days <= a ? 1 : days <= b ? 0.7 : days <= c ? 0.4 : 0.1;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
