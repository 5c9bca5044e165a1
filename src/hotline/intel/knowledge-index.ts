/** A section as the index keeps it: ids, validity and its words (the text itself stays in the database row). */
export interface IndexedSection {
  sectionId: string;
  documentId: string;
  /** validity of its document, as YYYY-MM-DD (to: null = open-ended) */
  validFrom: string;
  validTo: string | null;
  tokens: readonly string[];
}

export interface KnowledgeHit {
  section: IndexedSection;
  bm25: number;
  /** share of the question's word weight (idf) the section contains, 0..1: comparable across questions */
  relevance: number;
}

/**
 * BM25 over the knowledge base's sections, with a relevance that a threshold can judge: the idf-weighted share
 * of the question's words found in the section (a BM25 score alone grows with the question's length). Words no
 * section holds weigh as much as an average known word and count by the share of their characters found, so a
 * question about something the base never mentions scores low instead of matching on its one common word.
 *
 * @example new KnowledgeIndex(sections).search(['路灯', '维修'], '2026-12-01', 3)
 */
export class KnowledgeIndex {
  private readonly df = new Map<string, number>();
  private readonly tf: Map<string, number>[] = [];
  private readonly chars: Set<string>[] = [];
  private readonly avgLength: number;

  constructor(private readonly sections: readonly IndexedSection[], private readonly k1 = 1.2, private readonly b = 0.75) {
    let total = 0;
    for (const s of sections) {
      const counts = new Map<string, number>();
      for (const t of s.tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of counts.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      this.tf.push(counts);
      this.chars.push(new Set(s.tokens.join('')));
      total += s.tokens.length;
    }
    this.avgLength = sections.length ? total / sections.length : 1;
  }

  get size(): number {
    return this.sections.length;
  }

  /** The `k` most relevant sections valid on `asOf` (YYYY-MM-DD), best first; none when the base is empty. */
  search(query: readonly string[], asOf: string, k: number): KnowledgeHit[] {
    const words = [...new Set(query)];
    const known = words.filter((w) => this.df.has(w));
    const knownIdf = known.map((w) => this.idf(this.df.get(w)!));
    // A word no section holds weighs as much as an average known word (the rarest when none is known).
    const unknownWeight = knownIdf.length ? knownIdf.reduce((a, b) => a + b, 0) / knownIdf.length : this.idf(0);
    const idf = new Map(words.map((w) => [w, this.df.has(w) ? this.idf(this.df.get(w)!) : unknownWeight]));
    const totalWeight = [...idf.values()].reduce((a, b) => a + b, 0);
    if (totalWeight === 0) return [];
    const unknown = words.filter((w) => !this.df.has(w));
    const hits: KnowledgeHit[] = [];
    this.sections.forEach((section, i) => {
      if (section.validFrom > asOf || (section.validTo !== null && section.validTo < asOf)) return;
      const counts = this.tf[i];
      const norm = this.k1 * (1 - this.b + (this.b * section.tokens.length) / this.avgLength);
      let bm25 = 0;
      let covered = 0;
      for (const w of known) {
        const f = counts.get(w);
        if (!f) continue;
        bm25 += idf.get(w)! * ((f * (this.k1 + 1)) / (f + norm));
        covered += idf.get(w)!;
      }
      if (bm25 === 0) return;
      // Chinese words split differently in a question and in a rule (修好 / 修复): an unknown word counts by the
      // share of its characters the section holds.
      for (const w of unknown) covered += unknownWeight * charShare(w, this.chars[i]);
      hits.push({ section, bm25, relevance: covered / totalWeight });
    });
    // By relevance: BM25 favours a short section that shares one word over the article that answers.
    return hits.sort((a, b) => b.relevance - a.relevance || b.bm25 - a.bm25).slice(0, k);
  }

  private idf(df: number): number {
    return Math.log(1 + (this.sections.length - df + 0.5) / (df + 0.5));
  }
}

const charShare = (word: string, chars: Set<string>) => {
  const all = [...word];
  return all.filter((c) => chars.has(c)).length / all.length;
};

/**
 * A text's search terms: its words and the character bigrams of its Chinese runs, so a rule and a question that
 * the segmenter splits differently (路灯 / 路 + 灯不亮) still share terms.
 *
 * @example knowledgeTerms(['路', '灯不亮'], '路灯不亮') // ['路', '灯不亮', '路灯', '灯不', '不亮']
 */
export function knowledgeTerms(words: readonly string[], text: string): string[] {
  const terms = [...words];
  for (const run of text.match(/[\u4e00-\u9fff]{2,}/g) ?? []) {
    for (let i = 0; i + 2 <= run.length; i++) terms.push(run.slice(i, i + 2));
  }
  return terms;
}
