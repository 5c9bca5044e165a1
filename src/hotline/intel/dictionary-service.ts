import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import { assertCan } from '../../platform/auth/permissions.js';
import { actorRef, type Actor } from '../../platform/auth/roles.js';
import { Problem } from '../../platform/errors/problem.js';
import * as store from './dictionary-store.js';
import type { NewWord, WordList, WordsAdded, WordView } from './schemas.js';

/** What the segmenter is built from: the administrators' words and the names the city already knows. */
export interface DictionaryContent {
  signature: string;
  /** kept whole: administrators' places, units and terms, area names, organisation names */
  words: { word: string; tag: string }[];
  stopWords: string[];
}

const toView = (r: store.WordRow): WordView => ({ word: r.word, kind: r.kind, addedBy: r.added_by, createdAt: new Date(r.created_at).toISOString() });

/** jieba part-of-speech tags by kind (ns place name, nt organisation, n noun). */
const tagOf: Record<string, string> = { place: 'ns', unit: 'nt', term: 'n' };

/**
 * The segmenter's user dictionary (用户词典): words administrators add so that place names, unit names and
 * government terms stay whole, and stop words they want dropped. Area and organisation names are added without
 * anyone asking. Every change is ledgered; every node rebuilds its segmenter and index when the signature changes.
 */
export class DictionaryService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly ledger: Ledger | undefined,
    /** organisation names (unit names), from the platform's identity service */
    private readonly unitNames: () => Promise<string[]> = async () => [],
    /** after a committed change (other nodes rebuild their segmenter sooner than their next refresh) */
    private readonly onChange: () => void = () => {},
  ) {}

  async list(actor: Actor): Promise<WordList> {
    assertCan(actor, 'hotline.intel.dictionary.read');
    return { words: (await store.listWords(this.db)).map(toView) };
  }

  /** Adds words (those already there are reported, not changed); one ledger entry for the batch. */
  async add(actor: Actor, words: NewWord[]): Promise<WordsAdded> {
    assertCan(actor, 'hotline.intel.dictionary.manage');
    const clean = words.map((w, i) => {
      const word = w.word.normalize('NFKC').trim();
      // jieba's dictionary lines are `word freq tag`: a word cannot hold white space.
      if (!word || /\s/.test(word)) {
        throw new Problem('VALIDATION_FAILED', { errors: [{ field: `words/${i}/word`, message: 'a word without spaces' }] });
      }
      return { word, kind: w.kind };
    });
    const unique = [...new Map(clean.map((w) => [w.word, w])).values()];
    const now = this.clock();
    const added = await this.db.transaction().execute(async (trx) => {
      const rows = await store.insertWords(trx, unique.map((w) => ({ ...w, added_by: actorRef(actor), created_at: now })));
      if (rows.length > 0) {
        await this.ledger?.append('hotline.intel.dictionary.add', actor, 'intel-dictionary', { words: rows.length }, { trx });
      }
      return rows;
    });
    if (added.length > 0) this.onChange();
    const addedWords = new Set(added.map((r) => r.word));
    return { added: added.map(toView), existing: unique.filter((w) => !addedWords.has(w.word)).map((w) => w.word) };
  }

  async remove(actor: Actor, word: string): Promise<void> {
    assertCan(actor, 'hotline.intel.dictionary.manage');
    await this.db.transaction().execute(async (trx) => {
      const row = await store.deleteWord(trx, word);
      if (!row) throw new Problem('HOTLINE_INTEL_WORD_NOT_FOUND', { detail: `"${word}" is not in the user dictionary` });
      await this.ledger?.append('hotline.intel.dictionary.remove', actor, 'intel-dictionary', { words: 1 }, { trx });
    });
    this.onChange();
  }

  signature(): Promise<string> {
    return store.dictionarySignature(this.db);
  }

  /** Everything the segmenter needs, with the signature it was read at. */
  async content(): Promise<DictionaryContent> {
    // The signature first: a word added while the rest is read then only causes one more rebuild, never a miss.
    const signature = await this.signature();
    const [rows, places, units] = await Promise.all([store.listWords(this.db), store.findAreaNames(this.db), this.unitNames()]);
    const words = [
      ...places.map((word) => ({ word, tag: 'ns' })),
      ...units.map((word) => ({ word, tag: 'nt' })),
      ...rows.filter((r) => r.kind !== 'stop').map((r) => ({ word: r.word, tag: tagOf[r.kind] ?? 'n' })),
    ];
    return { signature, words, stopWords: rows.filter((r) => r.kind === 'stop').map((r) => r.word) };
  }
}
