import { FeatureAccumulator, combineHashes, hashString, type SparseVector } from './feature-hashing.js';
import type { Segmenter } from './segment.js';
import { normalizeText } from './text-normalize.js';

/** Which blocks of features a message yields and how they are weighted. */
export interface TextFeatureConfig {
  /** 2^bits hash buckets. */
  bits: number;
  /** Character n-gram lengths (inclusive); charMax 0 turns characters off. */
  charMin: number;
  charMax: number;
  /** Word n-gram lengths (inclusive); wordMax 0 turns words off. */
  wordMin: number;
  wordMax: number;
  /** Multiplier of word features relative to character features inside a block, before normalisation. */
  wordWeight: number;
  /**
   * Block weights (0 = block off). `title` and `body` see one field each, `joint` sees both together: a model
   * trained on title-only and body-only examples still learns one shared space that a full message fills.
   */
  blocks: { title: number; body: number; joint: number };
  /** Use 1 + ln(tf) instead of raw counts. */
  sublinearTf: boolean;
}

export const defaultTextFeatureConfig: TextFeatureConfig = {
  bits: 18,
  charMin: 1,
  charMax: 3,
  wordMin: 1,
  wordMax: 2,
  wordWeight: 1,
  blocks: { title: 1.5, body: 1, joint: 0 },
  sublinearTf: true,
};

/** A message ready for featurising: normalised fields, compact character strings and words. */
export interface PreparedText {
  titleChars: string;
  bodyChars: string;
  titleWords: string[];
  bodyWords: string[];
}

export interface RawText {
  title?: string | null;
  detail?: string | null;
}

const BLOCK_SEEDS = { title: 0x1000, body: 0x2000, joint: 0x3000 } as const;
type Block = keyof typeof BLOCK_SEEDS;
const BLOCKS: Block[] = ['title', 'body', 'joint'];

/** Placeholders become one private-use character each so character n-grams see one symbol, not "PHONE". */
const PLACEHOLDER_CHARS: Record<string, string> = {
  '<PHONE>': '\ue000',
  '<IDNO>': '\ue001',
  '<EMAIL>': '\ue002',
  '<NUM>': '\ue003',
};
const NON_CONTENT_RE = /[\s\p{P}\p{S}]+/gu;

/** Normalised text without spaces, punctuation and symbols, Latin lower-cased, placeholders as single characters. */
export function compactChars(normalized: string): string {
  return normalized
    .replace(/<(?:PHONE|IDNO|EMAIL|NUM)>/g, (m) => PLACEHOLDER_CHARS[m])
    .replace(NON_CONTENT_RE, '')
    .toLowerCase();
}

/**
 * Normalises and segments a message's title and detail once, so several feature sets can share the work.
 * Without a segmenter the words stay empty (a model of character features alone needs no jieba).
 */
export function prepareText(segmenter: Segmenter | undefined, raw: RawText): PreparedText {
  const title = normalizeText(raw.title);
  const body = normalizeText(raw.detail);
  return {
    titleChars: compactChars(title),
    bodyChars: compactChars(body),
    titleWords: title && segmenter ? segmenter.words(title) : [],
    bodyWords: body && segmenter ? segmenter.words(body) : [],
  };
}

/** Whether a feature configuration reads words (and so needs the segmenter). */
export const usesWords = (config: Partial<TextFeatureConfig>): boolean =>
  (config.wordMax ?? defaultTextFeatureConfig.wordMax) > 0 && (config.wordWeight ?? defaultTextFeatureConfig.wordWeight) > 0;

/**
 * Turns prepared messages into L2-normalised TF-IDF vectors over hashed character and word n-grams,
 * one block per field plus a joint block.
 */
export class TextFeaturizer {
  readonly dim: number;
  private readonly mask: number;
  /** Document frequency per bucket (all blocks share the buckets; the seeds keep them apart). */
  private df: Float32Array;
  /** ln(df + 1) per bucket, precomputed so a prediction takes no logarithms for IDF. */
  private logDf: Float32Array;
  /** Documents seen per block, for the IDF denominators. */
  private nDocs: Record<Block, number> = { title: 0, body: 0, joint: 0 };
  private readonly acc: FeatureAccumulator;
  private readonly out: FeatureAccumulator;
  private readonly wordHashCache = new Map<string, number>();

  constructor(readonly config: TextFeatureConfig = defaultTextFeatureConfig) {
    this.dim = 1 << config.bits;
    this.mask = this.dim - 1;
    this.df = new Float32Array(this.dim);
    this.logDf = new Float32Array(this.dim);
    this.acc = new FeatureAccumulator(this.dim);
    this.out = new FeatureAccumulator(this.dim);
  }

  private wordHash(w: string): number {
    let h = this.wordHashCache.get(w);
    if (h === undefined) {
      h = hashString(w, 0x5bd1e995);
      if (this.wordHashCache.size < 500_000) this.wordHashCache.set(w, h);
    }
    return h;
  }

  /** Raw term counts of one block into `this.acc`. */
  private countBlock(block: Block, chars: string, words: string[]): void {
    const { charMin, charMax, wordMin, wordMax, wordWeight } = this.config;
    const seed = BLOCK_SEEDS[block];
    const mask = this.mask;
    const acc = this.acc;
    if (charMax > 0) {
      const n = chars.length;
      for (let i = 0; i < n; i++) {
        let h = (0x811c9dc5 ^ seed) >>> 0;
        const end = Math.min(n, i + charMax);
        for (let j = i; j < end; j++) {
          h = Math.imul(h ^ chars.charCodeAt(j), 0x01000193);
          if (j - i + 1 >= charMin) acc.add(fmixMask(h, mask));
        }
      }
    }
    if (wordMax > 0 && wordWeight > 0) {
      const wseed = seed ^ 0x77;
      for (let i = 0; i < words.length; i++) {
        let h = combineHashes(wseed, this.wordHash(words[i]));
        for (let j = i; j < Math.min(words.length, i + wordMax); j++) {
          if (j > i) h = combineHashes(h, this.wordHash(words[j]));
          if (j - i + 1 >= wordMin) acc.add((h ^ 0x2545f491) & mask, wordWeight);
        }
      }
    }
  }

  private blockInputs(doc: PreparedText, block: Block): [string, string[]] | undefined {
    if (this.config.blocks[block] <= 0) return undefined;
    if (block === 'title') return doc.titleChars ? [doc.titleChars, doc.titleWords] : undefined;
    if (block === 'body') return doc.bodyChars ? [doc.bodyChars, doc.bodyWords] : undefined;
    if (!doc.titleChars && !doc.bodyChars) return undefined;
    // Title and body as one text (a separator keeps n-grams from spanning the two).
    return [
      doc.titleChars + '\u0001' + doc.bodyChars,
      doc.titleWords.length ? [...doc.titleWords, '\u0001', ...doc.bodyWords] : doc.bodyWords,
    ];
  }

  /** Counts document frequencies over `docs` (labelled and, if wanted, unlabelled messages). */
  fit(docs: Iterable<PreparedText>): void {
    this.df.fill(0);
    this.nDocs = { title: 0, body: 0, joint: 0 };
    for (const doc of docs) {
      for (const block of BLOCKS) {
        const inputs = this.blockInputs(doc, block);
        if (!inputs) continue;
        this.nDocs[block]++;
        this.countBlock(block, inputs[0], inputs[1]);
        const v = this.acc.take();
        for (let k = 0; k < v.idx.length; k++) this.df[v.idx[k]]++;
      }
    }
    this.updateLogDf();
  }

  private updateLogDf(): void {
    for (let i = 0; i < this.dim; i++) this.logDf[i] = Math.log(this.df[i] + 1);
  }

  /** Counts one block into `this.acc` and turns the counts into TF-IDF weights; returns the block's scale (weight / norm). */
  private weighBlock(block: Block, chars: string, words: string[]): number {
    this.countBlock(block, chars, words);
    const logN = Math.log(this.nDocs[block] + 1);
    const logDf = this.logDf;
    const sublinear = this.config.sublinearTf;
    this.acc.map((i, tf) => (sublinear && tf > 1 ? 1 + Math.log(tf) : tf) * (logN - logDf[i] + 1));
    const norm = Math.sqrt(this.acc.squaredNorm());
    return norm > 0 ? this.config.blocks[block] / norm : 0;
  }

  /** The TF-IDF vector of one prepared message; every present block has norm equal to its weight. */
  transform(doc: PreparedText): SparseVector {
    for (const block of BLOCKS) {
      const inputs = this.blockInputs(doc, block);
      if (!inputs) continue;
      this.acc.drainInto(this.out, this.weighBlock(block, inputs[0], inputs[1]));
    }
    return this.out.take();
  }

  /**
   * Calls `emit(bucket, value)` for the features of `transform(doc)`, block by block and unsorted (a bucket in
   * two blocks comes twice, which a dot product does not mind): prediction needs no sorted, allocated vector.
   */
  forEachFeature(doc: PreparedText, emit: (bucket: number, value: number) => void): void {
    for (const block of BLOCKS) {
      const inputs = this.blockInputs(doc, block);
      if (!inputs) continue;
      this.acc.drainEach(emit, this.weighBlock(block, inputs[0], inputs[1]));
    }
  }

  toJSON(): SerializedTextFeaturizer {
    return {
      config: this.config,
      nDocs: this.nDocs,
      df: encodeDf(this.df),
    };
  }

  static fromJSON(json: SerializedTextFeaturizer): TextFeaturizer {
    const f = new TextFeaturizer(json.config);
    f.nDocs = { ...json.nDocs };
    f.df = decodeDf(json.df, f.dim);
    f.updateLogDf();
    return f;
  }
}

export interface SerializedTextFeaturizer {
  config: TextFeatureConfig;
  nDocs: Record<Block, number>;
  /** Sparse document frequencies: base64 of Int32 indices and of Float32 counts. */
  df: { idx: string; val: string };
}

function fmixMask(h: number, mask: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}

function encodeDf(df: Float32Array): { idx: string; val: string } {
  let n = 0;
  for (let i = 0; i < df.length; i++) if (df[i] !== 0) n++;
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  for (let i = 0, k = 0; i < df.length; i++) {
    if (df[i] !== 0) {
      idx[k] = i;
      val[k++] = df[i];
    }
  }
  return { idx: Buffer.from(idx.buffer).toString('base64'), val: Buffer.from(val.buffer).toString('base64') };
}

function decodeDf(json: { idx: string; val: string }, dim: number): Float32Array {
  const ib = Buffer.from(json.idx, 'base64');
  const vb = Buffer.from(json.val, 'base64');
  const idx = new Int32Array(ib.buffer.slice(ib.byteOffset, ib.byteOffset + ib.byteLength));
  const val = new Float32Array(vb.buffer.slice(vb.byteOffset, vb.byteOffset + vb.byteLength));
  const df = new Float32Array(dim);
  for (let k = 0; k < idx.length; k++) df[idx[k]] = val[k];
  return df;
}
