import { describe, expect, it } from 'vitest';
import { Segmenter } from '../../../src/hotline/intel/segment.js';
import { SimilarIndex, type TicketSource } from '../../../src/hotline/intel/similar-index.js';
import { findDuplicates } from '../../../src/hotline/intel/duplicate-detector.js';

const seg = new Segmenter();
const DAY = 86_400_000;
const t0 = Date.UTC(2026, 10, 1);
let n = 0;
const ticket = (title: string, content: string, extra: Partial<TicketSource> = {}): TicketSource => ({
  id: `t${++n}`, number: `N${n}`, title, content, createdAt: t0, areaId: null, districtId: null, lon: null, lat: null,
  replyText: null, status: 'received', mainTicketId: null, categoryId: null, likes: 0, citizen: null, ...extra,
});
const rules = { minSimilarity: 0.45, textOnlyMinSimilarity: 0.7, radiusMeters: 500, windowDays: 7, maxResults: 5 };

describe('SimilarIndex', () => {
  it('keeps phone and ID numbers out of the index (placeholders only)', () => {
    const index = new SimilarIndex(seg);
    index.add(ticket('噪音扰民 电话13812345678', '我的身份证43010219900101123X，联系电话 0731-84561234，邮箱 a.b@example.com', {
      replyText: '已联系您（13987654321）处理。', citizen: '13812345678',
    }));
    const terms = [...index.terms()];
    expect(terms).toContain('<PHONE>');
    expect(terms).toContain('<IDNO>');
    for (const term of terms) expect(term).not.toMatch(/\d{6,}|example/);
    const doc = index.all()[0];
    expect(JSON.stringify(doc)).not.toMatch(/13812345678|43010219900101123X|13987654321|84561234/);
    expect(doc.title).toContain('<PHONE>');
  });

  it('ranks the same matter first and agrees with brute force on the top hit', () => {
    const index = new SimilarIndex(seg);
    index.add(ticket('小区路灯不亮', '丽发新城三期门口的路灯已经坏了一个月，晚上很黑'));
    index.add(ticket('学校周边交通拥堵', '青雅丽发学校放学时段车辆拥堵严重'));
    index.add(ticket('搅拌站噪音扰民', '丽发新城旁边的搅拌站夜间施工噪音很大'));
    for (let i = 0; i < 30; i++) index.add(ticket(`咨询社保缴费问题${i}`, `社保卡办理和医保缴费流程第${i}次咨询`));
    const q = index.tokenize('搅拌站噪音', '丽发新城搅拌站晚上噪音大，影响休息');
    const hits = index.search(q, 3);
    expect(hits[0].ticket.title).toBe('搅拌站噪音扰民');
    expect(hits[0].similarity).toBeGreaterThan(0.3);
    expect(index.bruteForce(q, 1)[0].ticket.id).toBe(hits[0].ticket.id);
  });

  it('proposes a duplicate: same matter, near, in time; not when far away or long ago', () => {
    const index = new SimilarIndex(seg);
    const base = { lon: 112.98, lat: 28.2 };
    index.add(ticket('污水管道破裂', '望湖路12号小区门口污水管道破裂，污水横流', { ...base, id: 'near' }));
    index.add(ticket('污水管道破裂', '望湖路12号小区门口污水管道破裂，污水横流', { lon: 113.1, lat: 28.3, id: 'far' }));
    index.add(ticket('污水管道破裂', '望湖路12号小区门口污水管道破裂，污水横流', { ...base, createdAt: t0 - 30 * DAY, id: 'old' }));
    index.add(ticket('污水管道破裂', '望湖路12号小区门口污水管道破裂，污水横流', { ...base, id: 'merged', status: 'merged', mainTicketId: 'near' }));
    for (let i = 0; i < 20; i++) index.add(ticket(`公交线路调整${i}`, `希望增加${i}路公交车班次`));
    const dups = findDuplicates(index, { tokens: index.tokenize('小区门口污水管破了', '望湖路12号小区门口污水管道破裂了，到处是污水'), at: t0 + DAY, lon: 112.981, lat: 28.2 }, rules);
    const ids = dups.map((d) => d.ticketId);
    expect(ids).toContain('near');
    expect(ids).not.toContain('far');
    expect(ids).not.toContain('old');
    const viaMerged = dups.find((d) => d.ticketId === 'merged');
    expect(viaMerged?.mainTicketId).toBe('near');
    expect(dups.find((d) => d.ticketId === 'near')!.distanceMeters).toBeLessThan(200);
    // a different matter at the same place is not a duplicate
    const other = findDuplicates(index, { tokens: index.tokenize('路灯不亮', '望湖路12号小区门口路灯不亮'), at: t0, lon: 112.98, lat: 28.2 }, rules);
    expect(other).toEqual([]);
  });
});
