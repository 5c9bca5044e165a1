/**
 * Retrieval quality of the grounding step (issue 19) on the Teddy Cup replies, against BM25 alone in the same run.
 *
 *   node --import tsx bench/intel/retrieval.bench.ts [--folds 5] [--fold 0|all]
 *
 * Corpus: every message of 附件4 (messages_replies.csv) with its official reply, indexed like the city's closed
 * tickets; its "rating" is the team label interpretable_syu of reply_quality_labels.csv (1 = good, 0 = taken as
 * unsatisfied) and its category the level-1 label a naive Bayes model trained on the split's training texts gives
 * it (附件4 carries no category: a silver label, leak-free because the model never sees the held-out messages).
 * Queries: the held-out fold of the labelled messages (bench/intel/teddycup-split.ts), with their gold category.
 * For each query and method, the top 5 replies: does one share the query's category, is one rated good, is one
 * both. Methods: BM25 alone (the 5 best BM25 scores), and the grounding retrieval (BM25 candidates re-scored by
 * cosine, then `rankCases`: replies rated unsatisfied after the others). Latency: the grounding retrieval per
 * query (segmenting, search, ranking, the best policy sentences of the extractive draft), p50 and p95, no model.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Value } from 'typebox/value';
import { readCsvRecords } from '../../src/platform/csv/csv-reader.js';
import { IntelConfigSchema, type IntelConfig } from '../../src/hotline/intel/config.js';
import { bestSentences, rankCases } from '../../src/hotline/intel/grounding.js';
import { MultinomialNaiveBayes } from '../../src/hotline/intel/naive-bayes.js';
import { Segmenter } from '../../src/hotline/intel/segment.js';
import { SimilarIndex, type SimilarHit } from '../../src/hotline/intel/similar-index.js';
import { loadTeddyData, makeSplit, teddyDir } from './teddycup-split.js';

const { values: args } = parseArgs({ options: { folds: { type: 'string', default: '5' }, fold: { type: 'string', default: '0' } } });
const folds = Number(args.folds);
const foldList = args.fold === 'all' ? Array.from({ length: folds }, (_, i) => i) : [Number(args.fold)];
const K = 5;

const read = async (file: string) => {
  const out: Record<string, string>[] = [];
  for await (const r of readCsvRecords(createReadStream(join(teddyDir, file)))) out.push(r.values);
  return out;
};
const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const data = await loadTeddyData();
const [replies, ratings] = await Promise.all([read('messages_replies.csv'), read('reply_quality_labels.csv')]);
const good = new Map(ratings.map((r) => [r.id, r.interpretable_syu === '1']));

const config = Value.Default(IntelConfigSchema, {}) as IntelConfig;
const seg = new Segmenter();
const grounding = new SimilarIndex(seg, config.similar);
const bm25Only = new SimilarIndex(seg, { ...config.similar, candidates: K });
for (const r of replies) {
  if (!r.reply) continue;
  const source = {
    id: `r${r.id}`, number: r.id, title: r.title, content: r.detail, createdAt: 0, areaId: null, districtId: null, lon: null, lat: null,
    replyText: r.reply, status: 'closed', mainTicketId: null, categoryId: null, likes: 0, citizen: null,
  };
  grounding.add(source);
  bm25Only.add(source);
}
const satisfactionOf = (id: string) => (good.get(id.slice(1)) === false ? 'unsatisfied' : 'satisfied');
const isGood = (id: string) => good.get(id.slice(1)) === true;

type Method = { name: string; retrieve: (title: string, detail: string) => SimilarHit[] };
const methods: Method[] = [
  { name: 'BM25 alone', retrieve: (t, d) => bm25Only.search(bm25Only.tokenize(t, d), K) },
  {
    name: 'grounding',
    retrieve: (t, d) => rankCases(grounding.search(grounding.tokenize(t, d), K * 3), satisfactionOf, K).map((c) => c.h),
  },
];

const counts = Object.fromEntries(methods.map((m) => [m.name, { cat: 0, good: 0, both: 0, ms: [] as number[] }]));
let queries = 0;
for (const fold of foldList) {
  const split = makeSplit(data, fold, folds);
  // The replies' silver category, from a model that never saw this fold's held-out messages.
  const nb = MultinomialNaiveBayes.train(split.train);
  const category = new Map(replies.filter((r) => r.reply).map((r) => [`r${r.id}`, nb.predict({ title: r.title, detail: r.detail })]));
  queries += split.test.length;
  for (const m of methods) {
    const c = counts[m.name];
    for (const q of split.test) {
      const started = performance.now();
      const hits = m.retrieve(q.title ?? '', q.detail ?? '');
      // The extractive draft's other work on the same sources: the best sentences of the top reply.
      if (hits[0]?.ticket.replyText) bestSentences(hits[0].ticket.replyText, grounding.tokenize(q.title ?? '', ''), 2);
      c.ms.push(performance.now() - started);
      const sameCat = hits.map((h) => category.get(h.ticket.id) === q.label);
      const rated = hits.map((h) => isGood(h.ticket.id));
      if (sameCat.some(Boolean)) c.cat++;
      if (rated.some(Boolean)) c.good++;
      if (hits.some((_, i) => sameCat[i] && rated[i])) c.both++;
    }
  }
}
console.log(`corpus: ${grounding.size} replies (${[...good.values()].filter(Boolean).length} rated good); queries: ${queries} held-out labelled messages (folds ${foldList.join(',')} of ${folds})`);
const rows: string[] = [];
const results: Record<string, { cat: number; good: number; both: number; p50: number; p95: number }> = {};
for (const m of methods) {
  const { cat, good: goodHits, both, ms } = counts[m.name];
  const n = queries;
  results[m.name] = { cat: cat / n, good: goodHits / n, both: both / n, p50: median(ms), p95: quantile(ms, 0.95) };
  rows.push(`${m.name.padEnd(12)} same category ${(100 * cat / n).toFixed(1)} %   rated good ${(100 * goodHits / n).toFixed(1)} %   both in one reply ${(100 * both / n).toFixed(1)} %   p50 ${median(ms).toFixed(2)} ms   p95 ${quantile(ms, 0.95).toFixed(2)} ms`);
}
console.log(`top-${K} retrieved replies include …`);
for (const r of rows) console.log(`  ${r}`);
const base = results['BM25 alone'];
const ours = results.grounding;
console.log(`ratio grounding / BM25 alone: same category ${(ours.cat / base.cat).toFixed(3)}, rated good ${(ours.good / base.good).toFixed(3)}, both ${(ours.both / base.both).toFixed(3)}; p95 ${ours.p95.toFixed(2)} ms (target < 100 ms without a model)`);
