import { describe, expect, it } from 'vitest';
import { Segmenter } from '../../../src/hotline/intel/segment.js';
import { SimilarIndex } from '../../../src/hotline/intel/similar-index.js';
import { scoreReply, substanceChars, timelinessOf } from '../../../src/hotline/intel/reply-quality.js';

const index = new SimilarIndex(new Segmenter());
const rules = {
  timelyDays: [7, 15, 30],
  weights: { relevance: 0.3, completeness: 0.3, interpretability: 0.2, timeliness: 0.2 },
  interpretCues: 2,
  substanceChars: 40,
};
const message = '芙蓉路与五一大道交叉口的路灯已经坏了两周，晚上行人过马路很危险，请尽快维修。';
const form = '网友“UU008663”　　您好！您的留言已收悉。现将有关情况回复如下：';
const closing = '感谢您对我们工作的支持、理解与监督！　　2019年1月8日';
const facts = '经查，芙蓉路与五一大道交叉口路灯因电缆被施工挖断而熄灭，市城管局已于1月7日派人更换电缆，该路段六盏路灯现已全部恢复照明。';
const basis = '根据《城市道路照明设施管理规定》第十条，路灯由市政照明部门养护。';

describe('reply quality', () => {
  it('counts only what a reply says beyond its greeting, receipt, closing and date', () => {
    expect(substanceChars(`${form}${closing}`)).toBe(0);
    expect(substanceChars('网友：您好！留言已收悉')).toBe(0);
    expect(substanceChars(`${form}${facts}${closing}`)).toBe(substanceChars(facts));
    expect(substanceChars(facts)).toBeGreaterThan(40);
  });

  it('a receipt explains nothing; facts explain half; facts with a basis or a reason explain fully', () => {
    const receipt = scoreReply(index, { message, reply: `${form}${closing}` }, rules);
    const plain = scoreReply(index, { message, reply: `${form}${facts.replace('因电缆被施工挖断而', '')}${closing}` }, rules);
    const explained = scoreReply(index, { message, reply: `${form}${facts}${basis}${closing}` }, rules);
    expect(receipt.interpretability).toBe(0);
    expect(plain.interpretability).toBe(0.5);
    expect(explained.interpretability).toBe(1);
    expect(receipt.score).toBeLessThan(plain.score);
    expect(plain.score).toBeLessThan(explained.score);
  });

  it('completeness lists the standard parts a reply lacks', () => {
    const bare = scoreReply(index, { message, reply: '已处理。' }, rules);
    expect(bare.missing).toEqual(['greeting', 'acknowledgement', 'handling', 'contact', 'closing']);
    expect(bare.completeness).toBeCloseTo(1 / 6, 3);
    const full = scoreReply(index, { message, reply: `${form}${facts}如有疑问请拨打12345热线。${closing}` }, rules);
    expect(full.missing).toEqual([]);
    expect(full.completeness).toBe(1);
  });

  it('timeliness by the delay; left out (and the other weights spread) when the delay is unknown', () => {
    expect([3, 7, 8, 15, 20, 31].map((d) => timelinessOf(d, rules.timelyDays))).toEqual([1, 1, 0.7, 0.7, 0.4, 0.1]);
    const reply = `${form}${facts}${basis}${closing}`;
    const unknown = scoreReply(index, { message, reply }, rules);
    expect(unknown.timeliness).toBeNull();
    const w = rules.weights;
    const expected = (100 * (w.relevance * unknown.relevance + w.completeness * unknown.completeness + w.interpretability * unknown.interpretability)) /
      (w.relevance + w.completeness + w.interpretability);
    expect(unknown.score).toBeCloseTo(expected, 1);
    const late = scoreReply(index, { message, reply, delayDays: 40 }, rules);
    expect(late.timeliness).toBe(0.1);
    expect(late.score).toBeLessThan(unknown.score);
  });
});
