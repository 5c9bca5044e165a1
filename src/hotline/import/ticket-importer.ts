import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import { Problem } from '../../platform/errors/problem.js';
import { raiseTicketCounters } from '../ticket-store.js';
import { BadRow, compileMapping, mappingColumns, type MappedRow, type Mapping } from './import-mapping.js';
import { openSource, scanFile } from './import-source.js';
import * as store from './import-store.js';

/** The taxonomy part of the hotline reference service the importer uses (created categories get its codes). */
export interface CategoryDirectory {
  listCategories(actor: Actor, options?: { includeInactive?: boolean }): Promise<{ id: string; code: string; level1: string; level2: string | null; level3: string | null }[]>;
  importTaxonomy(actor: Actor, rows: { level1: string; level2?: string | null; level3?: string | null }[]): Promise<unknown>;
}

export interface TicketImporterDeps {
  db: Db;
  ledger: Ledger;
  clock: Clock;
  categories: CategoryDirectory;
  /** The ticket service's local day of an instant (`20190412`), so imported numbers follow the same counter. */
  dayOf(at: Date): string;
}

export interface ImportProgress {
  rowsDone: number;
  imported: number;
  bad: number;
  /** rows whose source+external_id was already a ticket (earlier run, or twice in the file) */
  existing: number;
  /** rows skipped because an earlier, killed run had already done them */
  resumedFrom: number;
  elapsedMs: number;
  /** an upper bound of the data rows (CSV line breaks), for a progress bar; null when unknown */
  estimatedRows: number | null;
}

export interface ImportOptions {
  file: string;
  mapping: Mapping;
  /** overrides mapping.source */
  source?: string;
  /** rows per transaction (default 1,000) */
  batchSize?: number;
  /** zone for dates without one when the mapping names none */
  defaultTimeZone?: string;
  onProgress?(p: ImportProgress): void;
  onBadRow?(line: number, reason: string): void;
}

export interface ImportSummary extends ImportProgress {
  runId: string;
  fileSha256: string;
  source: string;
  categoriesCreated: number;
  seconds: number;
}

const pathKey = (p: (string | null)[]): string => p.map((x) => x ?? '').join('\u0000');

/** `20190412-000123`, the same shape TicketService.create gives (day of the city's time zone, 6-digit sequence). */
const ticketNumber = (day: string, seq: number): string => `${day}-${String(seq).padStart(6, '0')}`;

/**
 * `cityhub import tickets`: streams a CSV or xlsx file through a column mapping into hotline tickets.
 *
 * - Bad rows (a required value missing, a date that does not parse, an unknown status…) are reported with
 *   their line and skipped; the rest goes in.
 * - Idempotent: source + external_id is unique and inserts use ON CONFLICT DO NOTHING, so a second run adds
 *   nothing (rows already present are filtered first, so they do not burn ticket numbers either).
 * - Resumable: a run is keyed by the file's sha256 and the source; each batch and the run's progress commit
 *   in one transaction, so after a kill the next run skips exactly the rows already done.
 * - Fast: batches of `batchSize` rows go in as one multi-row INSERT (unnest of column arrays).
 *
 * @example
 * const summary = await importer.run(admin, { file: 'baltimore311_sample.csv', mapping });
 */
export class TicketImporter {
  constructor(private readonly deps: TicketImporterDeps) {}

  async run(actor: Actor, options: ImportOptions): Promise<ImportSummary> {
    assertCan(actor, 'hotline.import');
    const { db, clock, ledger } = this.deps;
    const mapping = options.mapping;
    const source = options.source ?? mapping.source;
    const batchSize = options.batchSize ?? 1000;
    const toTicket = compileMapping(mapping, options.defaultTimeZone ?? 'Asia/Shanghai');
    const started = Date.now();

    const scan = await scanFile(options.file);
    const sha = scan.sha256;
    const file = await openSource(options.file, { format: mapping.format, delimiter: mapping.delimiter, sheet: mapping.sheet });
    const xlsx = /\.xlsx$/i.test(options.file) || mapping.format === 'xlsx';
    const estimatedRows = xlsx ? null : Math.max(0, scan.lines - 1);
    const missing = mappingColumns(mapping).filter((c) => !file.header.includes(c));
    if (missing.length) {
      await file.records.return(undefined);
      throw new Problem('HOTLINE_IMPORT_MAPPING_INVALID', {
        detail: `the file has no column ${missing.map((c) => `"${c}"`).join(', ')}; its header is: ${file.header.join(', ')}`,
      });
    }

    const run = (await store.findUnfinishedRun(db, sha, source)) ?? (await store.insertRun(db, sha, source, clock()));
    const resumedFrom = run.rows_done;
    let rowsDone = run.rows_done;
    let imported = run.rows_imported;
    let bad = run.rows_bad;
    let existing = 0;
    let categoriesCreated = 0;

    // Categories by path and by code; new paths are created through the reference service (its codes, its ledger).
    const byPath = new Map<string, string>();
    const byCode = new Map<string, string>();
    const loadCategories = async () => {
      for (const c of await this.deps.categories.listCategories(actor, { includeInactive: true })) {
        byPath.set(pathKey([c.level1, c.level2, c.level3]), c.id);
        byCode.set(c.code, c.id);
      }
    };
    await loadCategories();
    const policy = mapping.unknownCategory ?? 'create';

    const progress = (): ImportProgress => ({ rowsDone, imported, bad, existing, resumedFrom, elapsedMs: Date.now() - started, estimatedRows });

    let batch: { line: number; row: MappedRow }[] = [];
    let batchBad = 0;
    let batchRows = 0;

    const flush = async (finish: boolean) => {
      // Categories first (their own transaction: creating one twice is a no-op, so a kill here is harmless).
      const unknown = new Map<string, string[]>();
      for (const { row } of batch) {
        if (row.categoryCode || !row.categoryPath) continue;
        const key = pathKey([row.categoryPath[0], row.categoryPath[1] ?? null, row.categoryPath[2] ?? null]);
        if (!byPath.has(key)) unknown.set(key, row.categoryPath);
      }
      if (unknown.size && policy === 'create') {
        await this.deps.categories.importTaxonomy(
          actor,
          [...unknown.values()].map((p) => ({ level1: p[0], level2: p[1] ?? null, level3: p[2] ?? null })),
        );
        const before = byPath.size;
        await loadCategories();
        categoriesCreated += byPath.size - before;
      }
      const rows: store.ImportedTicket[] = [];
      const seen = new Set<string>();
      const now = clock();
      for (const { line, row } of batch) {
        let categoryId: string | null = null;
        if (row.categoryCode) {
          categoryId = byCode.get(row.categoryCode) ?? null;
          if (!categoryId) {
            batchBad++;
            options.onBadRow?.(line, `category_code "${row.categoryCode}" is not in the taxonomy`);
            continue;
          }
        } else if (row.categoryPath) {
          categoryId = byPath.get(pathKey([row.categoryPath[0], row.categoryPath[1] ?? null, row.categoryPath[2] ?? null])) ?? null;
          if (!categoryId && policy === 'bad') {
            batchBad++;
            options.onBadRow?.(line, `category "${row.categoryPath.join(' / ')}" is not in the taxonomy`);
            continue;
          }
        }
        if (seen.has(row.externalId)) {
          existing++;
          continue;
        }
        seen.add(row.externalId);
        rows.push(toImported(row, source, categoryId, now));
      }
      await db.transaction().execute(async (trx) => {
        const present = await store.findExistingExternalIds(trx, source, rows.map((r) => r.external_id));
        const fresh = rows.filter((r) => !present.has(r.external_id));
        existing += rows.length - fresh.length;
        // Numbers from TicketService's counter (hotline_ticket_counter), reserved for the whole batch in three
        // statements whatever the number of days: (1) make sure every day's row exists — the upsert also locks
        // those rows until commit, in day order so two imports cannot deadlock; (2) read their values;
        // (3) raise them by the rows of each day. Nobody else can take a number of these days meanwhile.
        const perDay = new Map<string, store.ImportedTicket[]>();
        for (const r of fresh) {
          const day = this.deps.dayOf(r.created_at);
          const list = perDay.get(day);
          if (list) list.push(r);
          else perDay.set(day, [r]);
        }
        const days = [...perDay.keys()].sort();
        if (days.length) {
          await raiseTicketCounters(trx, days.map((day) => ({ day, last: 0 })));
          const last = await store.readTicketCounters(trx, days);
          await raiseTicketCounters(trx, days.map((day) => ({ day, last: last.get(day)! + perDay.get(day)!.length })));
          for (const day of days) perDay.get(day)!.forEach((r, i) => (r.number = ticketNumber(day, last.get(day)! + 1 + i)));
        }
        const inserted = await store.insertImportedTickets(trx, fresh);
        existing += fresh.length - inserted;
        imported += inserted;
        bad += batchBad;
        rowsDone += batchRows;
        const finishedAt = finish ? clock() : undefined;
        await store.updateRunProgress(trx, run.id, { rowsDone, rowsImported: imported, rowsBad: bad, finishedAt });
        if (finish) {
          await ledger.append('hotline.import.finished', actor, `import_run:${run.id}`, {
            source, sha256: sha, rows: rowsDone, imported, bad, resumedFrom,
          }, { trx });
        }
      });
      batch = [];
      batchBad = 0;
      batchRows = 0;
      options.onProgress?.(progress());
    };

    let index = 0;
    for await (const record of file.records) {
      index++;
      if (index <= resumedFrom) continue; // done by the killed run
      batchRows++;
      try {
        batch.push({ line: record.line, row: toTicket(record.values) });
      } catch (err) {
        if (!(err instanceof BadRow)) throw err;
        batchBad++;
        options.onBadRow?.(record.line, err.message);
      }
      if (batchRows >= batchSize) await flush(false);
    }
    await flush(true);
    return { ...progress(), runId: run.id, fileSha256: sha, source, categoriesCreated, seconds: (Date.now() - started) / 1000 };
  }
}

const latest = (dates: (Date | null)[]): Date | null =>
  dates.reduce<Date | null>((max, d) => (d && (!max || d > max) ? d : max), null);

/**
 * A mapped row as a ticket row. A closed ticket without a close time is closed at its latest known time; the
 * overdue flag is computed from the deadline and the close (or answer) time, or now for open tickets, so
 * imported history shows its real SLA (docs/import.md).
 */
const toImported = (r: MappedRow, source: string, categoryId: string | null, now: Date): store.ImportedTicket => {
  const last = latest([r.createdAt, r.dispatchedAt, r.acceptedAt, r.answeredAt, r.visitedAt, r.closedAt])!;
  const closedAt = r.closedAt ?? (r.status === 'closed' ? last : null);
  const doneAt = closedAt ?? r.answeredAt;
  const overdue = r.dueAt ? (doneAt ?? now) > r.dueAt : false;
  return {
    number: '',
    channel: r.channel,
    citizen_name: r.citizenName,
    citizen_phone: r.citizenPhone,
    title: r.title,
    content: r.content,
    address: r.address,
    lon: r.lon,
    lat: r.lat,
    category_id: categoryId,
    urgency: r.urgency,
    tags: r.tags,
    status: r.status,
    reply_text: r.replyText,
    result: r.result,
    satisfaction: r.satisfaction,
    likes: r.likes,
    source,
    external_id: r.externalId,
    overdue,
    created_at: r.createdAt,
    updated_at: last,
    dispatched_at: r.dispatchedAt,
    accepted_at: r.acceptedAt,
    due_at: r.dueAt,
    answered_at: r.answeredAt,
    visited_at: r.visitedAt,
    closed_at: closedAt,
  };
};
