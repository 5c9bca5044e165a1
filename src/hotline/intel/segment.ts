import { Jieba } from '@node-rs/jieba';
// The package has no `exports` map, so ESM needs the file name with its extension.
import { dict } from '@node-rs/jieba/dict.js';
import { STOP_WORDS_ZH } from './stopwords-zh.js';
import { normalizeText } from './text-normalize.js';

/** A user-dictionary entry; a higher frequency makes jieba keep the word whole more eagerly. */
export interface UserWord {
  word: string;
  /** jieba frequency (default 100000, enough to beat most competing splits). */
  freq?: number;
  /** Part-of-speech tag, e.g. `ns` for a place name, `nt` for an organisation (default `n`). */
  tag?: string;
}

export interface SegmenterOptions {
  /** Words added to the dictionary at construction (place names, unit names, government terms). */
  userWords?: Iterable<string | UserWord>;
  /** Stop words; defaults to {@link STOP_WORDS_ZH}. */
  stopWords?: Iterable<string>;
  /** Use jieba's HMM for unknown words (default false: steadier tokens for models). */
  hmm?: boolean;
}

/** Placeholders written by `normalizeText`, kept as one token each. */
const PLACEHOLDER_RE = /(<(?:PHONE|IDNO|EMAIL|NUM)>)/;
/** Tokens made only of punctuation, symbols or spaces. */
const PUNCT_RE = /^[\p{P}\p{S}\s]+$/u;

/**
 * Chinese word segmentation over @node-rs/jieba with a user dictionary that grows at run time and a
 * stop-word list.
 *
 * @example
 * const seg = new Segmenter({ userWords: ['丽发新城'] });
 * seg.tokens('A市丽发新城旁的市场影响上学'); // ['a', '市', '丽发新城', '旁', '市场', '影响', '上学']
 */
export class Segmenter {
  private readonly jieba: Jieba;
  private readonly stop: Set<string>;
  private readonly hmm: boolean;
  private readonly added = new Set<string>();

  constructor(options: SegmenterOptions = {}) {
    this.jieba = Jieba.withDict(dict);
    this.stop = new Set(options.stopWords ?? STOP_WORDS_ZH);
    this.hmm = options.hmm ?? false;
    if (options.userWords) this.addWords(options.userWords);
  }

  /** Adds words to this segmenter's dictionary; later calls to `cut`/`tokens` use them. */
  addWords(words: Iterable<string | UserWord>): void {
    const lines: string[] = [];
    for (const w of words) {
      const entry = typeof w === 'string' ? { word: w } : w;
      const word = entry.word.trim();
      // jieba's dictionary format is whitespace separated, so a word cannot contain spaces.
      if (!word || /\s/.test(word)) continue;
      lines.push(`${word} ${entry.freq ?? 100000} ${entry.tag ?? 'n'}`);
      this.added.add(word);
    }
    if (lines.length > 0) this.jieba.loadDict(Buffer.from(lines.join('\n') + '\n', 'utf8'));
  }

  /** Words added through `addWords` (for persisting an admin's dictionary). */
  userWords(): string[] {
    return [...this.added];
  }

  addStopWords(words: Iterable<string>): void {
    for (const w of words) this.stop.add(w);
  }

  isStopWord(word: string): boolean {
    return this.stop.has(word);
  }

  /** Raw jieba segmentation of already-normalised text; placeholders like `<PHONE>` stay whole. */
  cut(text: string): string[] {
    if (!text) return [];
    if (!text.includes('<')) return this.jieba.cut(text, this.hmm);
    const out: string[] = [];
    for (const part of text.split(PLACEHOLDER_RE)) {
      if (!part) continue;
      if (part.startsWith('<') && PLACEHOLDER_RE.test(part) && part.endsWith('>')) out.push(part);
      else for (const w of this.jieba.cut(part, this.hmm)) out.push(w);
    }
    return out;
  }

  /** Words of already-normalised text without punctuation and spaces; Latin letters lower-cased. Keeps stop words. */
  words(text: string): string[] {
    const out: string[] = [];
    for (const w of this.cut(text)) {
      // Most tokens start with a CJK ideograph, so cannot be all punctuation: skip the Unicode regex.
      const c = w.charCodeAt(0);
      if (c >= 0x4e00 && c <= 0x9fff) {
        out.push(w.toLowerCase());
        continue;
      }
      if (PUNCT_RE.test(w)) continue;
      out.push(w.charCodeAt(0) === 60 /* < */ ? w : w.toLowerCase());
    }
    return out;
  }

  /**
   * Normalises `text` (half-width, PII placeholders) and returns its words without stop words and punctuation.
   */
  tokens(text: string): string[] {
    return this.words(normalizeText(text)).filter((w) => !this.stop.has(w));
  }
}
