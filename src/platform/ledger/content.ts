import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';
import { canonicalJson } from './entry-body.js';
import type { HashAlg } from './merkle.js';

/**
 * What an entry records of the row it is about, in named parts (`ticket`, `reply`, `visit`): each part is hashed
 * on its own, so the verifier can say which part of a row was rewritten. Values must be canonical-JSON-able
 * (strings, numbers, booleans, null, arrays, plain objects); dates as ISO strings.
 */
export type LedgerContent = Record<string, unknown>;

/** hex digest per part: H(canonical JSON of the part), H = SHA-256, or SM3 in 国密 mode. */
export function contentDigest(content: LedgerContent, alg: HashAlg): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const [part, value] of Object.entries(content)) digest[part] = createHash(alg).update(canonicalJson(value), 'utf8').digest('hex');
  return digest;
}

/** One row of a covered table as its module reads it for reconciliation. */
export interface ContentRow {
  id: string;
  /** How a person finds the row: a ticket's number, a licence's code. */
  label: string;
  content: LedgerContent;
}

/**
 * A table whose rows ledger entries vouch for: entries with subject `<prefix>:<id>` carry the digest of the row's
 * content, and `ledger verify` reads the rows back (in one snapshot with the ledger) to find rows rewritten or
 * deleted behind CityHub's back. The module that owns the table declares it; the platform never reads it itself.
 */
export interface LedgerContentSource {
  /** The subject prefix: `ticket` for `ticket:<id>`. */
  prefix: string;
  /** What a row is called in a verdict: `ticket (工单)`. */
  noun: string;
  /** Rows in id order after `afterId`, at most `limit`. */
  page(db: Db, afterId: string | undefined, limit: number): Promise<ContentRow[]>;
  /**
   * Entry kinds about a row that record no change of it (a read through a grant, a step taken on other tables):
   * they carry no content and leave the check to the entry before them. Any other entry without content ends it.
   */
  unchangedBy?: readonly string[];
}

const sources = new Map<string, LedgerContentSource>();

/**
 * Declares a covered table (called when its module is imported, like permissions and problem codes).
 *
 * @example registerLedgerContent({ prefix: 'ticket', noun: 'ticket (工单)', page: listTicketContent });
 */
export function registerLedgerContent(source: LedgerContentSource): void {
  const known = sources.get(source.prefix);
  if (known && known !== source) throw new Error(`ledger content for subjects "${source.prefix}:" is declared twice`);
  sources.set(source.prefix, source);
}

export const ledgerContentSources = (): LedgerContentSource[] => [...sources.values()];

/** Whether an entry of this kind about this subject leaves its covered row as the entry before it recorded. */
export function leavesRowUnchanged(subject: string, kind: string): boolean {
  const source = sources.get(subject.slice(0, subject.indexOf(':')));
  return source?.unchangedBy?.includes(kind) ?? false;
}

/** What the newest entry about one subject recorded of its content. */
export interface RecordedContent {
  index: number;
  kind: string;
  digest: Record<string, string>;
  /** A label from the entry's facts (`number`), for a row that is gone. */
  label?: string;
}

/** A row that differs from what the ledger recorded, or is gone. */
export interface ContentFault {
  subject: string;
  kind: 'rewritten' | 'deleted';
  /** the parts that differ (rewritten) */
  parts: string[];
  index: number;
  message: string;
}

/**
 * Reads every covered table and compares each row with the newest entry about it. `recorded` is consumed.
 * Rows no entry vouches for (imported history, rows from before content digests) are counted, not judged.
 */
export async function reconcileContent(
  db: Db, recorded: Map<string, RecordedContent>, alg: HashAlg, options: { pageSize?: number; maxFaults?: number } = {},
): Promise<{ checked: number; uncovered: number; faults: ContentFault[] }> {
  const pageSize = options.pageSize ?? 2000;
  const maxFaults = options.maxFaults ?? 50;
  const faults: ContentFault[] = [];
  let checked = 0;
  let uncovered = 0;
  for (const source of ledgerContentSources()) {
    // A table no entry vouches for is not read at all (and need not exist: a database of the platform alone).
    if (![...recorded.keys()].some((subject) => subject.startsWith(`${source.prefix}:`))) continue;
    let after: string | undefined;
    for (;;) {
      const rows = await source.page(db, after, pageSize);
      if (rows.length === 0) break;
      for (const row of rows) {
        const subject = `${source.prefix}:${row.id}`;
        const rec = recorded.get(subject);
        if (!rec) {
          uncovered++;
          continue;
        }
        recorded.delete(subject);
        checked++;
        const now = contentDigest(row.content, alg);
        const parts = Object.keys(rec.digest).filter((part) => now[part] !== rec.digest[part]);
        if (parts.length > 0 && faults.length < maxFaults) {
          faults.push({
            subject, kind: 'rewritten', parts, index: rec.index,
            message: `${source.noun} ${row.label} (${subject}) was changed outside CityHub: its ${parts.join(', ')} ` +
              `no longer match${parts.length === 1 ? 'es' : ''} what ledger entry ${rec.index} (${rec.kind}) recorded`,
          });
        }
      }
      after = rows[rows.length - 1].id;
    }
    for (const [subject, rec] of recorded) {
      if (!subject.startsWith(`${source.prefix}:`)) continue;
      recorded.delete(subject);
      if (faults.length >= maxFaults) continue;
      faults.push({
        subject, kind: 'deleted', parts: [], index: rec.index,
        message: `${source.noun} ${rec.label ?? ''}${rec.label ? ' ' : ''}(${subject}) was deleted: ledger entry ${rec.index} ` +
          `(${rec.kind}) records it, but its table has no such row`,
      });
    }
  }
  return { checked, uncovered, faults };
}
