/**
 * Hot issues on messages_hot.csv and reply-quality agreement on messages_replies.csv (shared Teddy Cup data).
 *
 *   node --import tsx bench/intel/hot-replies.bench.ts [--data <folder>]   (default: teddycup2020c in CITYHUB_SHARED_DATA)
 *
 * Hot issues: every message of 附件3 clustered (hot-issues.ts, default config) and ranked by the heat index with
 * "now" = the last message's time; prints the top 5 and how many match an issue of the weak reference
 * hot_issues_reference_top5.csv (a match: at least 20 % of the reference issue's messages, or 50 % of ours, shared).
 * Reply quality: every reply of 附件4 scored (reply-quality.ts) and compared with the team labels in
 * reply_quality_labels.csv: per label column, the accuracy of our part score thresholded at 0.5 (also on the odd ids
 * alone, the half not used to choose `replies.substanceChars`), the share of positive labels (the majority-class
 * accuracy to beat), Cohen's κ and the point-biserial correlation.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Value } from 'typebox/value';
import { readCsvRecords } from '../../src/platform/csv/csv-reader.js';
import { Segmenter } from '../../src/hotline/intel/segment.js';
import { SimilarIndex } from '../../src/hotline/intel/similar-index.js';
import { clusterItems, rankHotIssues, type HotItem } from '../../src/hotline/intel/hot-issues.js';
import { scoreReply } from '../../src/hotline/intel/reply-quality.js';
import { IntelConfigSchema, type IntelConfig } from '../../src/hotline/intel/config.js';
import { requireSharedData } from '../../test/support/shared-data.js';

const { values: args } = parseArgs({ options: { data: { type: 'string' } } });
const dataDir = args.data ?? requireSharedData('teddycup2020c');
const read = async (file: string) => {
  const out: Record<string, string>[] = [];
  for await (const r of readCsvRecords(createReadStream(join(dataDir, file)))) out.push(r.values);
  return out;
};
const config = Value.Default(IntelConfigSchema, {}) as IntelConfig;
const seg = new Segmenter();
const time = (s: string) => new Date(s.replace(' ', 'T') + '+08:00').getTime();

// ── hot issues ─────────────────────────────────────────────────────────────────────────────────────────
const hot = await read('messages_hot.csv');
const index = new SimilarIndex(seg, config.similar);
let t = performance.now();
for (const m of hot) {
  index.add({
    id: m.id, number: m.id, title: m.title, content: m.detail, createdAt: time(m.time), areaId: null, districtId: null,
    lon: null, lat: null, replyText: null, status: 'received', mainTicketId: null, categoryId: null,
    likes: Number(m.likes) || 0, citizen: m.user,
  });
}
const items: HotItem[] = index.all().map((d, i) => ({ ...d, vector: index.docVector(i) }));
const now = Math.max(...items.map((i) => i.createdAt));
const clusters = clusterItems(items, config.hot);
const top = rankHotIssues(clusters, now, { ...config.hot, topN: 5 });
const hotSeconds = (performance.now() - t) / 1000;

const refTop = await read('hot_issues_reference_top5.csv');
const refDetail = await read('hot_issues_reference_detail.csv');
const refMembers = new Map<string, Set<string>>();
for (const r of refDetail) {
  if (!refMembers.has(r.issue_id)) refMembers.set(r.issue_id, new Set());
  refMembers.get(r.issue_id)!.add(r.id);
}
console.log(`hot issues: ${hot.length} messages → ${clusters.length} clusters (${clusters.filter((c) => c.members.length >= config.hot.minClusterSize).length} with ≥ ${config.hot.minClusterSize}) in ${hotSeconds.toFixed(1)} s`);
let matched = 0;
const refsHit = new Set<string>();
top.forEach((issue, i) => {
  const ours = new Set(issue.memberIds);
  let best = { id: '', shared: 0, refSize: 0 };
  for (const [id, members] of refMembers) {
    const shared = [...members].filter((m) => ours.has(m)).length;
    if (shared > best.shared) best = { id, shared, refSize: members.size };
  }
  const match = best.shared > 0 && (best.shared / best.refSize >= 0.2 || best.shared / ours.size >= 0.5);
  if (match) {
    matched++;
    refsHit.add(best.id);
  }
  const likes = issue.memberIds.reduce((s, id) => s + (index.get(id)?.likes ?? 0), 0);
  console.log(
    `  #${i + 1} heat ${issue.heat} | ${issue.title} | place ${issue.place ?? '-'} | ${issue.from.slice(0, 10)}..${issue.to.slice(0, 10)} | ${ours.size} messages, ${likes} likes` +
      ` | reference: ${best.shared ? `issue ${best.id} (${refTop.find((r) => r.issue_id === best.id)?.description}) shares ${best.shared}/${best.refSize}` : 'none'}${match ? ' → MATCH' : ''}`,
  );
});
console.log(`  top 5 matching the weak reference top 5: ${matched}/5 (distinct reference issues covered: ${refsHit.size}/5)`);

// ── reply quality ──────────────────────────────────────────────────────────────────────────────────────
const replies = await read('messages_replies.csv');
const labels = new Map((await read('reply_quality_labels.csv')).map((r) => [r.id, r]));
const refIndex = new SimilarIndex(seg, config.similar);
t = performance.now();
for (const m of replies) {
  refIndex.add({ id: m.id, number: m.id, title: m.title, content: m.detail, createdAt: time(m.time), areaId: null, districtId: null, lon: null, lat: null,
    replyText: null, status: 'received', mainTicketId: null, categoryId: null, likes: 0, citizen: null });
}
const scored = replies.map((m) => {
  const delay = m.reply_time && m.time ? (time(m.reply_time) - time(m.time)) / 86_400_000 : null;
  return { id: m.id, q: scoreReply(refIndex, { message: `${m.title} ${m.detail}`, reply: m.reply, delayDays: delay }, config.replies) };
});
console.log(`\nreply quality: ${scored.length} replies scored in ${((performance.now() - t) / 1000).toFixed(1)} s; mean score ${(scored.reduce((s, x) => s + x.q.score, 0) / scored.length).toFixed(1)}`);
const pointBiserial = (xs: number[], ys: number[]) => {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : NaN;
};
/** Cohen's κ of two 0/1 ratings: agreement beyond what the two rates of positives give by chance. */
const cohenKappa = (a: number[], b: number[]) => {
  const n = a.length;
  const observed = a.filter((v, i) => v === b[i]).length / n;
  const pa = a.reduce((s, v) => s + v, 0) / n;
  const pb = b.reduce((s, v) => s + v, 0) / n;
  const chance = pa * pb + (1 - pa) * (1 - pb);
  return chance === 1 ? NaN : (observed - chance) / (1 - chance);
};
const columns: [string, 'completeness' | 'interpretability'][] = [
  ['complete_rollbear', 'completeness'],
  ['interpretable_rollbear', 'interpretability'],
  ['interpretable_syu', 'interpretability'],
];
for (const [col, part] of columns) {
  const pairs = scored.filter((s) => labels.get(s.id)?.[col] === '0' || labels.get(s.id)?.[col] === '1');
  const y = pairs.map((s) => Number(labels.get(s.id)![col]));
  const x = pairs.map((s) => s.q[part]);
  const total = pairs.map((s) => s.q.score);
  const said = x.map((v) => (v >= 0.5 ? 1 : 0));
  const acc = said.filter((v, i) => v === y[i]).length / pairs.length;
  // replies.substanceChars was chosen on the even ids of interpretable_syu: the odd ids are the held-out half.
  const odd = pairs.map((s, i) => i).filter((i) => Number(pairs[i].id) % 2 === 1);
  const oddAcc = odd.filter((i) => said[i] === y[i]).length / odd.length;
  const pos = y.reduce((a, b) => a + b, 0) / y.length;
  console.log(
    `  ${col.padEnd(24)} n=${pairs.length} positives ${(pos * 100).toFixed(1)}% | our ${part} ≥ 0.5: accuracy ${(acc * 100).toFixed(1)}% (odd ids ${(oddAcc * 100).toFixed(1)}%; majority ${(Math.max(pos, 1 - pos) * 100).toFixed(1)}%)` +
      ` | κ ${cohenKappa(said, y).toFixed(3)} | r(${part}) ${pointBiserial(x, y).toFixed(3)} | r(score) ${pointBiserial(total, y).toFixed(3)}`,
  );
}
