import { createHash } from 'node:crypto';
import { assertCan } from '../../platform/auth/permissions.js';
import { actorRef, type Actor } from '../../platform/auth/roles.js';
import type { Clock } from '../../platform/clock/clock.js';
import { localDate } from '../../platform/clock/local-time.js';
import type { Db } from '../../platform/db/database.js';
import { Problem } from '../../platform/errors/problem.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import type { IntelConfig } from './config.js';
import { KnowledgeIndex, knowledgeTerms, type KnowledgeHit } from './knowledge-index.js';
import { DocumentReadError, readDocument } from './knowledge-readers.js';
import { splitSections } from './knowledge-sections.js';
import * as store from './knowledge-store.js';
import type {
  GroundingSource, KnowledgeAnswer, KnowledgeDocument, KnowledgeDocumentDetail, KnowledgeDocumentList, KnowledgeQuestion,
  KnowledgeSearchQuery, KnowledgeSearchResult, KnowledgeUploadQuery,
} from './knowledge-schemas.js';
import { knowledgeAnswerPrompt } from './prompts/knowledge-answer.js';
import { bestSentences, keepKnownCitations } from './grounding.js';

/** What the Q&A answers when no section is relevant enough (and no model is asked). */
export const NOT_FOUND_ANSWER = '知识库中未找到相关依据';

export interface KnowledgeDeps {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  llm: LlmGateway;
  config: IntelConfig['knowledge'];
  timeZone: string;
  /** the words of a text, with the similar-case index's segmenter (its user dictionary included) */
  tokens: (text: string) => string[];
}

/**
 * The policy knowledge base (政策知识库): the hotline centre uploads documents (text, .docx, PDF) that are split
 * into citable sections with the document's validity and owning unit; agents search it and ask it questions,
 * answered from the sections valid on the day asked with their citations, or refused when nothing is relevant.
 * Each node keeps the search index in memory and rebuilds it when the documents' signature changes.
 */
export class KnowledgeService {
  private index: { signature: string; search: KnowledgeIndex; rows: Map<string, store.ActiveSectionRow> } | null = null;

  constructor(private readonly deps: KnowledgeDeps) {}

  /** Reads, splits and stores an uploaded document; unreadable or oversized files are refused with a problem. */
  async upload(actor: Actor, meta: KnowledgeUploadQuery, bytes: Buffer): Promise<KnowledgeDocument> {
    assertCan(actor, 'hotline.intel.knowledge.manage');
    const { config } = this.deps;
    if (meta.validTo && meta.validTo < meta.validFrom) {
      throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'validTo', message: 'validTo is before validFrom' }] });
    }
    if (bytes.length > config.uploadMaxBytes) {
      throw new Problem('HOTLINE_INTEL_DOCUMENT_TOO_LARGE', { detail: `the document has ${bytes.length} bytes; at most ${config.uploadMaxBytes} are accepted` });
    }
    let read: Awaited<ReturnType<typeof readDocument>>;
    try {
      read = await readDocument(bytes, config);
    } catch (err) {
      if (!(err instanceof DocumentReadError)) throw err;
      const code = err.reason === 'limit' ? 'HOTLINE_INTEL_DOCUMENT_TOO_LARGE' : 'HOTLINE_INTEL_DOCUMENT_UNREADABLE';
      throw new Problem(code, { detail: err.message, errors: [{ field: 'file', message: err.message }] });
    }
    const sections = splitSections(read.paragraphs, config.maxSectionChars);
    const now = this.deps.clock();
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const doc = await store.insertDocument(trx, {
        title: meta.title.trim(), file_name: meta.fileName ?? null, format: read.format, unit: meta.unit.trim(),
        valid_from: meta.validFrom, valid_to: meta.validTo ?? null, status: 'active', bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'), uploaded_by: actorRef(actor), created_at: now, updated_at: now,
      }, sections);
      await this.deps.ledger.append('hotline.intel.knowledge.upload', actor, `kb-document:${doc.id}`,
        { title: doc.title, unit: doc.unit, sections: sections.length, sha256: doc.sha256 }, { trx });
      return doc;
    });
    return toDocument({ ...row, sections: String(sections.length) });
  }

  async list(actor: Actor, status?: 'active' | 'retired'): Promise<KnowledgeDocumentList> {
    assertCan(actor, 'hotline.intel.knowledge.read');
    return { documents: (await store.listDocuments(this.deps.db, status)).map(toDocument) };
  }

  async get(actor: Actor, id: string): Promise<KnowledgeDocumentDetail> {
    assertCan(actor, 'hotline.intel.knowledge.read');
    const doc = await store.findDocument(this.deps.db, id);
    if (!doc) throw new Problem('HOTLINE_INTEL_DOCUMENT_NOT_FOUND', { detail: `no document ${id}` });
    const sections = await store.findSections(this.deps.db, id);
    return { ...toDocument({ ...doc, sections: String(sections.length) }), sectionList: sections.map(({ ord: _, ...s }) => s) };
  }

  /** Retires a document (废止): it stays listed, is no longer searched or cited. */
  async retire(actor: Actor, id: string): Promise<KnowledgeDocument> {
    assertCan(actor, 'hotline.intel.knowledge.manage');
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const doc = await store.retireDocument(trx, id, this.deps.clock());
      if (!doc) throw new Problem('HOTLINE_INTEL_DOCUMENT_NOT_FOUND', { detail: `no active document ${id}` });
      await this.deps.ledger.append('hotline.intel.knowledge.retire', actor, `kb-document:${id}`, { title: doc.title }, { trx });
      return doc;
    });
    return toDocument({ ...row, sections: (await store.findSections(this.deps.db, id)).length.toString() });
  }

  async search(actor: Actor, query: KnowledgeSearchQuery): Promise<KnowledgeSearchResult> {
    assertCan(actor, 'hotline.intel.knowledge.read');
    return { hits: await this.sources(query.q, query.asOf, query.limit ?? this.deps.config.maxSections, 0) };
  }

  /**
   * Answers a question from the sections valid on `asOf` with their citations ([P1] …): the model writes it
   * when on, else the sections' best sentences; refused without asking anyone when no section is relevant.
   * `onDelta` receives the model's answer as it streams (personal data restored; the final answer is the one
   * whose citations were checked).
   */
  async ask(actor: Actor, question: KnowledgeQuestion, onDelta?: (piece: string) => void): Promise<KnowledgeAnswer> {
    assertCan(actor, 'hotline.intel.knowledge.read');
    const sources = await this.sources(question.question, question.asOf);
    if (sources.length === 0) return { answer: NOT_FOUND_ANSWER, refused: true, sources: [], method: 'offline' };
    const offline = () => sources.map((s) => `${bestSentences(s.excerpt, this.deps.tokens(question.question), 2)}[${s.ref}]`).join('\n');
    const r = await this.deps.llm.withFallback(
      async (llm) => {
        const { text } = await llm.complete({ module: 'intel', actor, prompt: knowledgeAnswerPrompt, input: { question: question.question, sources }, onDelta });
        return keepKnownCitations(text.trim(), sources);
      },
      offline,
    );
    return { answer: r.value, refused: false, sources, method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
  }

  /**
   * The sections relevant to a text on a day (default today), as sources P1, P2 …; only those at or above
   * `minRelevance` (or `minRelevance` given).
   */
  async sources(text: string, asOf?: string, k = this.deps.config.maxSections, minRelevance = this.deps.config.minRelevance): Promise<GroundingSource[]> {
    const index = await this.current();
    const day = asOf ?? localDate(this.deps.clock(), this.deps.timeZone);
    return index.search.search(this.terms(text), day, k)
      .filter((h) => h.relevance >= minRelevance)
      .map((h, i) => toSource(h, index.rows.get(h.section.sectionId)!, i));
  }

  private terms(text: string): string[] {
    // The placeholders of removed phone and ID numbers say nothing about a policy.
    return knowledgeTerms(this.deps.tokens(text).filter((t) => !t.startsWith('<')), text);
  }

  private async current() {
    const signature = await store.knowledgeSignature(this.deps.db);
    if (this.index?.signature !== signature) {
      const rows = await store.findActiveSections(this.deps.db);
      const sections = rows.map((r) => ({
        sectionId: r.id, documentId: r.document_id, validFrom: r.valid_from, validTo: r.valid_to,
        tokens: this.terms(`${r.title} ${r.heading ?? ''} ${r.text}`),
      }));
      this.index = { signature, search: new KnowledgeIndex(sections), rows: new Map(rows.map((r) => [r.id, r])) };
    }
    return this.index;
  }
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

const toDocument = (r: store.DocumentRow & { sections: string | number | null }): KnowledgeDocument => ({
  id: r.id, title: r.title, fileName: r.file_name, format: r.format as KnowledgeDocument['format'], unit: r.unit,
  validFrom: r.valid_from, validTo: r.valid_to, status: r.status as KnowledgeDocument['status'], sections: Number(r.sections ?? 0),
  bytes: r.bytes, createdAt: iso(r.created_at)!, retiredAt: iso(r.retired_at),
});

const toSource = (h: KnowledgeHit, r: store.ActiveSectionRow, i: number): GroundingSource => ({
  ref: `P${i + 1}`, kind: 'policy',
  label: `《${r.title}》${r.article ?? r.heading ?? ''}（${r.unit}）`,
  excerpt: r.text, score: Math.round(h.relevance * 1000) / 1000,
  documentId: r.document_id, sectionId: r.id, unit: r.unit, validFrom: r.valid_from, validTo: r.valid_to,
});
