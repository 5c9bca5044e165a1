import { describe, expect, it } from 'vitest';
import { Segmenter } from '../../../src/hotline/intel/segment.js';
import { SimilarIndex } from '../../../src/hotline/intel/similar-index.js';
import { clusterItems, emergingAlerts, mergeClusters, poissonUpperTail, rankHotIssues, type Cluster, type HotItem } from '../../../src/hotline/intel/hot-issues.js';

const seg = new Segmenter();
const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 26, 12);
const alertRules = { baselineDays: 14, minBaselineRate: 0.2, alpha: 0.001, minCount: 3 };
const clusterRules = { clusterSimilarity: 0.35, mergeSimilarity: 0.6, clusterRadiusMeters: 2000 };
const heatRules = {
  minClusterSize: 3, topN: 5, growthDays: 7, recencyHalfLifeDays: 7,
  weights: { volume: 1, citizens: 1, likes: 0.5, growth: 0.5, recency: 1 },
};

const topics = [
  ['丽发新城搅拌站噪音', '丽发新城旁搅拌站夜间施工噪音扰民，影响休息'],
  ['望湖路积水', '望湖路下雨后积水严重，车辆无法通行'],
  ['伊景园捆绑车位', '伊景园滨河苑开发商捆绑销售车位'],
  ['泉塘街道菜市场', '泉塘街道菜市场占道经营，环境脏乱'],
];

/** Items for a daily series per topic: `counts[topic][day]`, day 0 = the last 24 hours. */
function series(counts: number[][]): HotItem[] {
  const index = new SimilarIndex(seg);
  const docs: { id: string; title: string; createdAt: number; tokens: string[] }[] = [];
  let n = 0;
  counts.forEach((perDay, topic) =>
    perDay.forEach((c, day) => {
      for (let i = 0; i < c; i++) {
        const [title, content] = topics[topic];
        docs.push({ id: `x${++n}`, title, createdAt: now - day * DAY - (i + 1) * 60_000, tokens: index.tokenize(title, `${content}，第${i}位市民反映`) });
      }
    }),
  );
  for (const d of docs) {
    index.addTokens({ id: d.id, number: d.id, title: d.title, createdAt: d.createdAt, areaId: null, districtId: null, lon: null, lat: null,
      replyText: null, status: 'received', mainTicketId: null, categoryId: null, likes: 0, citizenKey: null }, d.tokens);
  }
  return docs.map((d, i) => ({ id: d.id, title: d.title, createdAt: d.createdAt, vector: index.docVector(i), likes: 0 }));
}

describe('hot issues and emerging alerts', () => {
  it('a planted burst raises an alert; a flat series does not', () => {
    const flat = Array.from({ length: 15 }, () => 1);
    const burst = [9, ...Array.from({ length: 14 }, () => 1)];
    const clusters = clusterItems(series([flat, burst]), clusterRules);
    const alerts = emergingAlerts(clusters, now, alertRules);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].title).toBe('望湖路积水');
    expect(alerts[0].count).toBe(9);
    expect(alerts[0].pValue).toBeLessThan(0.001);
    expect(alerts[0].memberIds).toHaveLength(9);

    const none = emergingAlerts(clusterItems(series([flat, flat, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]]), clusterRules), now, alertRules);
    expect(none).toEqual([]);
  });

  it('ranks clusters by heat: volume and recency', () => {
    const clusters = clusterItems(series([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], [5, 5], [0, 1, 1, 1], [1]]), clusterRules);
    expect(clusters.length).toBe(4);
    const top = rankHotIssues(clusters, now, heatRules);
    expect(top.map((t) => t.title)).toEqual(['望湖路积水', '伊景园捆绑车位', '丽发新城搅拌站噪音']);
    expect(top[0].memberIds).toHaveLength(10);
    expect(top[0].place).toBe('望湖路');
  });

  it('merges clusters of one matter that the first pass split, only at the same place', () => {
    const item = (id: string, minutes: number, lon: number): HotItem =>
      ({ id, title: id, createdAt: now + minutes * 60_000, vector: new Map(), lon, lat: 28.2 });
    const cluster = (members: HotItem[], centroid: [number, number][]): Cluster => ({ members, centroid: new Map(centroid) });
    const a = cluster([item('a1', 5, 112.9), item('a2', 9, 112.9)], [[1, 0.8], [2, 0.6]]);
    const b = cluster([item('b1', 1, 112.9), item('b2', 7, 112.9), item('b3', 20, 112.9)], [[1, 0.6], [2, 0.8]]); // cosine 0.96
    const far = cluster([item('f1', 2, 113.0), item('f2', 3, 113.0)], [[1, 0.8], [2, 0.6]]); // same words, ~10 km away
    const other = cluster([item('o1', 4, 112.9), item('o2', 6, 112.9)], [[1, 0.5], [3, 0.866]]); // cosine 0.4 with a
    const single = cluster([item('s1', 8, 112.9)], [[1, 0.8], [2, 0.6]]);
    const merged = mergeClusters([a, b, far, other, single], clusterRules);
    expect(merged).toHaveLength(4);
    const ab = merged.find((c) => c.members.length === 5)!;
    expect(ab.members.map((m) => m.id)).toEqual(['b1', 'a1', 'b2', 'a2', 'b3']);
    const norm = Math.hypot(...ab.centroid.values());
    expect(norm).toBeCloseTo(1, 10);
    expect(ab.centroid.get(2)! / ab.centroid.get(1)!).toBeCloseTo((2 * 0.6 + 3 * 0.8) / (2 * 0.8 + 3 * 0.6), 10);
    expect(merged).toContain(far);
    expect(merged).toContain(other);
    expect(merged).toContain(single);
    expect(mergeClusters([a, b], { ...clusterRules, mergeSimilarity: 0.97 })).toHaveLength(2);
  });

  it('Poisson tail', () => {
    expect(poissonUpperTail(0, 1)).toBe(1);
    expect(poissonUpperTail(1, 1)).toBeCloseTo(1 - Math.exp(-1), 10);
    expect(poissonUpperTail(3, 0.2)).toBeCloseTo(0.00115, 4);
  });
});
