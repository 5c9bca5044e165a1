import type { Paragraph } from './knowledge-readers.js';

/** A citable part of a policy document: an article (第X条) or the text under a heading. */
export interface Section {
  /** the chapter or heading it sits under (第二章 管理职责 / 三、办理流程), null before any */
  heading: string | null;
  /** 第五条, or null when the document has no numbered articles there */
  article: string | null;
  text: string;
}

const NUM = '[一二三四五六七八九十百零〇两\\d]+';
const ARTICLE_RE = new RegExp(`^(第${NUM}条)[\\s\\u3000]*`);
const CHAPTER_RE = new RegExp(`^第${NUM}[编章节]`);
/** 一、  (二)  1.  2.3  — a numbered heading when the line is short and is not a sentence. */
const NUMBERED_RE = /^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+(?:\.\d+)*[、.．\s])/;
const MAX_HEADING_CHARS = 40;

const isHeading = (p: Paragraph) =>
  CHAPTER_RE.test(p.text) || (p.text.length <= MAX_HEADING_CHARS && !/[。；;]$/.test(p.text) && (p.heading || NUMBERED_RE.test(p.text)));

/**
 * Splits a document into sections: each numbered article (第X条) is one, chapters and short numbered or styled
 * headings start one; a section longer than `maxChars` is cut at sentence ends into parts that keep the
 * article and heading (so every part can be cited).
 *
 * @example splitSections([{ text: '第一章 总则' }, { text: '第一条 为了…，制定本办法。' }], 1200)
 * // [{ heading: '第一章 总则', article: '第一条', text: '为了…，制定本办法。' }]
 */
export function splitSections(paragraphs: readonly Paragraph[], maxChars: number): Section[] {
  const sections: Section[] = [];
  let chapter: string | null = null;
  let current: Section | null = null;
  const close = () => {
    if (current?.text.trim()) sections.push(...cut({ ...current, text: current.text.trim() }, maxChars));
    current = null;
  };
  for (const p of paragraphs) {
    const article = ARTICLE_RE.exec(p.text);
    if (article) {
      close();
      current = { heading: chapter, article: article[1], text: p.text.slice(article[0].length) };
    } else if (isHeading(p)) {
      close();
      // A chapter heads its articles; a heading inside a chapter is shown under it.
      if (CHAPTER_RE.test(p.text)) chapter = p.text;
      current = { heading: chapter && chapter !== p.text ? `${chapter} / ${p.text}` : p.text, article: null, text: '' };
    } else {
      current ??= { heading: chapter, article: null, text: '' };
      current.text += current.text ? `\n${p.text}` : p.text;
    }
  }
  close();
  return sections;
}

function cut(section: Section, maxChars: number): Section[] {
  if (section.text.length <= maxChars) return [section];
  const parts: Section[] = [];
  let text = '';
  for (const sentence of section.text.match(/[^。！？；\n]+[。！？；\n]?/g) ?? [section.text]) {
    // A single sentence longer than the limit is cut where it must be.
    for (let s = sentence; s; s = s.slice(maxChars)) {
      const piece = s.slice(0, maxChars);
      if (text && text.length + piece.length > maxChars) {
        parts.push({ ...section, text });
        text = '';
      }
      text += piece;
    }
  }
  if (text) parts.push({ ...section, text });
  return parts;
}
