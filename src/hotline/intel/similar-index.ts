import { hashString } from './feature-hashing.js';
import type { Segmenter } from './segment.js';
import { normalizeText } from './text-normalize.js';

/** What the index keeps of a ticket: ids, place, time and PII-masked text only (never names or phone numbers). */
export interface IndexedTicket {
  id: string;
  number: string;
  /** normalised (PII placeholders), at most 200 characters */
  title: string;
  createdAt: number;
  areaId: string | null;
  districtId: string | null;
  lon: number | null;
  lat: number | null;
  /** the reply (参考答复), normalised, at most 2000 characters */
  replyText: string | null;
  status: string;
  mainTicketId: string | null;
  categoryId: string | null;
  likes: number;
  /** a 32-bit hash of the citizen (user id or phone): counts distinct citizens without keeping who */
  citizenKey: number | null;
}

/** A ticket as read from the database, before it is normalised. */
export interface TicketSource extends Omit<IndexedTicket, 'title' | 'replyText' | 'citizenKey'> {
  title: string;
  content: string;
  replyText: string | null;
  citizen: string | null;
}

export interface SimilarIndexOptions {
  k1: number;
  b: number;
  titleWeight: number;
  candidates: number;
  maxDfShare: number;
  hashBits: number;
}

export const defaultSimilarIndexOptions: SimilarIndexOptions = { k1: 1.2, b: 0.75, titleWeight: 2, candidates: 50, maxDfShare: 0.2, hashBits: 18 };

export interface SimilarHit {
  ticket: IndexedTicket;
  /** cosine similarity of the tf-idf vectors, 0..1 */
  similarity: number;
  bm25: number;
}

/** A sparse, L2-normalised tf-idf vector over hashed words (bucket → weight). */
export type HashedVector = Map<number, number>;

interface Posting {
  docs: Int32Array;
  tf: Uint16Array;
  n: number;
}

/**
 * An in-memory index of past tickets for similar cases and duplicates: BM25 over segmented words picks the
 * candidates through an inverted index, then the cosine of hashed tf-idf vectors ranks them (a similarity in
 * 0..1 that thresholds can use, which BM25's unbounded score cannot). Text enters only after `normalizeText`,
 * so phone and ID numbers are placeholders before they reach a posting list.
 *
 * @example
 * const index = new SimilarIndex(segmenter);
 * index.add(ticketSource);
 * index.search(index.tokenize('路灯不亮', '小区门口路灯坏了'), 5); // [{ ticket, similarity, bm25 }]
 */
export class SimilarIndex {
  readonly options: SimilarIndexOptions;
  private readonly docs: IndexedTicket[] = [];
  private readonly byId = new Map<string, number>();
  private readonly termIds = new Map<string, number>();
  private readonly termHash: number[] = [];
  private readonly postings: Posting[] = [];
  private docTerms: Int32Array[] = [];
  private docTf: Uint16Array[] = [];
  private docLen = new Float32Array(1024);
  private totalLen = 0;
  private scores = new Float32Array(1024);
  /** tf-idf norms per document, computed at `normsAt` documents; refreshed when the index grew by 10 % since */
  private norms = new Float32Array(0);
  private normsAt = 0;
  private readonly mask: number;

  constructor(private readonly segmenter: Segmenter, options: Partial<SimilarIndexOptions> = {}) {
    this.options = { ...defaultSimilarIndexOptions, ...options };
    this.mask = (1 << this.options.hashBits) - 1;
  }

  get size(): number {
    return this.docs.length;
  }

  /** The words a ticket is indexed and queried by: title words `titleWeight` times, then the content's. */
  tokenize(title: string, content: string): string[] {
    const t = this.segmenter.tokens(title);
    const out: string[] = [];
    for (let i = 0; i < this.options.titleWeight; i++) out.push(...t);
    out.push(...this.segmenter.tokens(content));
    return out;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): IndexedTicket | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : this.docs[i];
  }

  /** Every indexed ticket, in insertion order (read-only use). */
  all(): readonly IndexedTicket[] {
    return this.docs;
  }

  /** The stored words of ticket number `i` (insertion order), as term strings are not kept per document. */
  docIndex(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** Adds a ticket, or updates what can change (reply, status, main ticket, likes) when it is already indexed. */
  add(source: TicketSource): void {
    const known = this.byId.get(source.id);
    if (known !== undefined) {
      const doc = this.docs[known];
      doc.replyText = source.replyText ? normalizeText(source.replyText).slice(0, 2000) : null;
      doc.status = source.status;
      doc.mainTicketId = source.mainTicketId;
      doc.likes = source.likes;
      doc.categoryId = source.categoryId;
      return;
    }
    const tokens = this.tokenize(source.title, source.content);
    const doc: IndexedTicket = {
      id: source.id,
      number: source.number,
      title: normalizeText(source.title).slice(0, 200),
      createdAt: source.createdAt,
      areaId: source.areaId,
      districtId: source.districtId,
      lon: source.lon,
      lat: source.lat,
      replyText: source.replyText ? normalizeText(source.replyText).slice(0, 2000) : null,
      status: source.status,
      mainTicketId: source.mainTicketId,
      categoryId: source.categoryId,
      likes: source.likes,
      citizenKey: source.citizen ? hashString(source.citizen) : null,
    };
    this.addTokens(doc, tokens);
  }

  /** Adds an already-normalised document with its words (benchmarks and clustering of outside data). */
  addTokens(doc: IndexedTicket, tokens: readonly string[]): void {
    const d = this.docs.length;
    this.docs.push(doc);
    this.byId.set(doc.id, d);
    const counts = new Map<number, number>();
    for (const w of tokens) {
      let t = this.termIds.get(w);
      if (t === undefined) {
        t = this.termHash.length;
        this.termIds.set(w, t);
        this.termHash.push(hashString(w) & this.mask);
        this.postings.push({ docs: new Int32Array(4), tf: new Uint16Array(4), n: 0 });
      }
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const terms = new Int32Array(counts.size);
    const tfs = new Uint16Array(counts.size);
    let j = 0;
    for (const [t, c] of counts) {
      terms[j] = t;
      tfs[j++] = Math.min(c, 65535);
      const p = this.postings[t];
      if (p.n === p.docs.length) {
        const docs = new Int32Array(p.n * 2);
        docs.set(p.docs);
        const tf = new Uint16Array(p.n * 2);
        tf.set(p.tf);
        p.docs = docs;
        p.tf = tf;
      }
      p.docs[p.n] = d;
      p.tf[p.n++] = Math.min(c, 65535);
    }
    this.docTerms.push(terms);
    this.docTf.push(tfs);
    if (d >= this.docLen.length) {
      const grown = new Float32Array(this.docLen.length * 2);
      grown.set(this.docLen);
      this.docLen = grown;
    }
    this.docLen[d] = tokens.length;
    this.totalLen += tokens.length;
  }

  private idf(df: number): number {
    const n = this.docs.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** The hashed tf-idf vector (L2-normalised) of arbitrary words, with the index's document frequencies. */
  vector(tokens: readonly string[]): HashedVector {
    const counts = new Map<string, number>();
    for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
    const v: HashedVector = new Map();
    for (const [w, c] of counts) {
      const t = this.termIds.get(w);
      const df = t === undefined ? 0 : this.postings[t].n;
      const bucket = t === undefined ? hashString(w) & this.mask : this.termHash[t];
      v.set(bucket, (v.get(bucket) ?? 0) + (1 + Math.log(c)) * this.idf(df));
    }
    return normalize(v);
  }

  /** The hashed tf-idf vector of indexed document number `d`. */
  docVector(d: number): HashedVector {
    const terms = this.docTerms[d];
    const tfs = this.docTf[d];
    const v: HashedVector = new Map();
    for (let j = 0; j < terms.length; j++) {
      const t = terms[j];
      const bucket = this.termHash[t];
      v.set(bucket, (v.get(bucket) ?? 0) + (1 + Math.log(tfs[j])) * this.idf(this.postings[t].n));
    }
    return normalize(v);
  }

  /**
   * The `k` most similar tickets: BM25 over the inverted index for `candidates` tickets, re-ranked by cosine.
   * `accept` filters candidates (e.g. not the ticket itself) before the cut.
   */
  search(tokens: readonly string[], k: number, accept?: (t: IndexedTicket) => boolean): SimilarHit[] {
    const n = this.docs.length;
    if (n === 0 || tokens.length === 0) return [];
    if (this.scores.length < n) this.scores = new Float32Array(Math.max(n, this.scores.length * 2));
    const scores = this.scores;
    const { k1, b, maxDfShare } = this.options;
    const avgLen = this.totalLen / n;
    const seen = new Set<number>();
    const touched: number[] = [];
    const maxDf = Math.max(1, Math.floor(maxDfShare * n));
    for (const w of tokens) {
      const t = this.termIds.get(w);
      if (t === undefined || seen.has(t)) continue;
      seen.add(t);
      const p = this.postings[t];
      // Very common words carry little signal and cost the most (their posting lists are the longest).
      if (p.n > maxDf && n > 50) continue;
      const idf = this.idf(p.n);
      for (let i = 0; i < p.n; i++) {
        const d = p.docs[i];
        const tf = p.tf[i];
        if (scores[d] === 0) touched.push(d);
        scores[d] += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.docLen[d]) / avgLen));
      }
    }
    // Keep the best `candidates` by BM25 (a simple bounded insertion list: candidates is small).
    const limit = Math.max(k, this.options.candidates);
    const best: number[] = [];
    for (const d of touched) {
      const s = scores[d];
      if (best.length === limit && s <= scores[best[limit - 1]]) continue;
      if (accept && !accept(this.docs[d])) continue;
      let i = best.length < limit ? best.length : limit - 1;
      if (best.length < limit) best.push(d);
      while (i > 0 && scores[best[i - 1]] < s) {
        best[i] = best[i - 1];
        i--;
      }
      best[i] = d;
    }
    const q = this.queryWeights(tokens);
    const hits = best.map((d) => ({ ticket: this.docs[d], bm25: scores[d], similarity: this.cosineTo(q, d) }));
    for (const d of touched) scores[d] = 0;
    hits.sort((x, y) => y.similarity - x.similarity || y.bm25 - x.bm25);
    return hits.slice(0, k);
  }

  /** Query term id → L2-normalised tf-idf weight (words not in the index add to the norm only). */
  private queryWeights(tokens: readonly string[]): Map<number, number> {
    const counts = new Map<string, number>();
    for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
    const q = new Map<number, number>();
    let norm2 = 0;
    for (const [w, c] of counts) {
      const t = this.termIds.get(w);
      const x = (1 + Math.log(c)) * this.idf(t === undefined ? 0 : this.postings[t].n);
      norm2 += x * x;
      if (t !== undefined) q.set(t, x);
    }
    const norm = Math.sqrt(norm2) || 1;
    for (const [t, x] of q) q.set(t, x / norm);
    return q;
  }

  /**
   * Cosine of the query weights and document `d` over term ids (no vector built). Document norms are cached and
   * recomputed when the index has grown 10 % (idf drifts slowly), so a similarity may be off by a few thousandths.
   */
  private cosineTo(q: Map<number, number>, d: number): number {
    const n = this.docs.length;
    if (this.normsAt === 0 || n > this.normsAt * 1.1) {
      this.norms = new Float32Array(Math.max(n, 1024));
      this.normsAt = n;
    }
    let norm = d < this.normsAt ? this.norms[d] : 0;
    const terms = this.docTerms[d];
    const tfs = this.docTf[d];
    let dot = 0;
    let norm2 = 0;
    for (let j = 0; j < terms.length; j++) {
      const t = terms[j];
      const qw = q.get(t);
      if (qw === undefined && norm > 0) continue;
      const x = (1 + Math.log(tfs[j])) * this.idf(this.postings[t].n);
      if (qw !== undefined) dot += qw * x;
      norm2 += x * x;
    }
    if (norm === 0) {
      norm = Math.sqrt(norm2) || 1;
      if (d < this.norms.length) this.norms[d] = norm;
    }
    return Math.min(1, dot / norm);
  }

  /** The baseline: the cosine against every indexed ticket (no inverted index), for benchmarks. */
  bruteForce(tokens: readonly string[], k: number): SimilarHit[] {
    const q = this.vector(tokens);
    const hits: SimilarHit[] = [];
    for (let d = 0; d < this.docs.length; d++) {
      const s = cosine(q, this.docVector(d));
      if (s > 0) hits.push({ ticket: this.docs[d], similarity: s, bm25: 0 });
    }
    hits.sort((x, y) => y.similarity - x.similarity);
    return hits.slice(0, k);
  }

  /** Every distinct word in the index (tests check that no personal data got in). */
  terms(): IterableIterator<string> {
    return this.termIds.keys();
  }
}

const normalize = (v: HashedVector): HashedVector => {
  let sum = 0;
  for (const x of v.values()) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (const [k, x] of v) v.set(k, x / norm);
  return v;
};

/** Cosine of two L2-normalised sparse vectors. */
export function cosine(a: HashedVector, b: HashedVector): number {
  if (a.size > b.size) [a, b] = [b, a];
  let dot = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (y !== undefined) dot += x * y;
  }
  return Math.min(1, dot);
}

// The one haversine of the hotline family, shared with the nearby appeals of the citizen's filing.
export { distanceMeters } from '../geo-distance.js';
