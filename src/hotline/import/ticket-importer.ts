import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Ledger } from '../../platform/ledger/ledger.js';
import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import { Problem } from '../../platform/errors/problem.js';
import { takeTicketNumbers } from '../ticket-store.js';
import { TicketPersonalFields } from '../ticket-personal-fields.js';
import type { HotlineReferenceService } from '../reference-service.js';
import type { RoutingService } from '../routing-service.js';
import { BadRow, compileMapping, mappingColumns, type MappedRow, type Mapping } from './import-mapping.js';
import { formatOf, openSource, scanFile } from './import-source.js';
import * as store from './import-store.js';

/** The part of the hotline reference service the importer uses: the taxonomy (created categories get its codes) and the area tree. */
export type ReferenceDirectory = Pick<HotlineReferenceService, 'listCategories' | 'importTaxonomy' | 'areaTree'>;

/** The hotline's routing and sign deadline, for open tickets that come without a unit. */
export interface ImportRouting {
  /** rules category × area → unit, else the district government (RoutingService.suggestUnit) */
  suggestUnit: RoutingService['suggestUnit'];
  /** hours a unit has to sign for a dispatched ticket (modules.hotline.deadlines.signHours) */
  signHours: number;
}

export interface TicketImporterDeps {
  db: Db;
  ledger: Ledger;
  clock: Clock;
  categories: ReferenceDirectory;
  /** without it, open tickets are imported without a unit */
  routing?: ImportRouting;
  /** The city's local day of an instant (`20190412`, `ticketDay(city.timeZone)`), so imported numbers follow intake's counter. */
  dayOf(at: Date): string;
  /** Seals the citizen's name, phone and address as intake does (field encryption); plain when not given. */
  personal?: TicketPersonalFields;
}

export interface ImportProgress {
  rowsDone: number;
  imported: number;
  bad: number;
  /** rows whose source+external_id was already a ticket (earlier run, or twice in the file) */
  existing: number;
  /** rows skipped because an earlier, killed run had already done them */
  resumedFrom: number;
  /** open tickets given a unit by the routing rules (received ones are dispatched to it) */
  routed: number;
  /** rows whose area names are not all in the area tree (imported with what matched, or bad: `unknownArea`) */
  areasUnmatched: number;
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

/** Area names → ids, from the area tree: district by name, street by name within its district or alone if unique. */
class AreaNames {
  private readonly districts = new Map<string, { id: string; streets: Map<string, string> }>();
  private readonly streets = new Map<string, { id: string; districtId: string }[]>();

  constructor(tree: { id: string; name: string; children: { id: string; name: string }[] }[]) {
    for (const d of tree) {
      this.districts.set(d.name, { id: d.id, streets: new Map(d.children.map((c) => [c.name, c.id])) });
      for (const c of d.children) this.streets.set(c.name, [...(this.streets.get(c.name) ?? []), { id: c.id, districtId: d.id }]);
    }
  }

  /** The area (the street, else the district) and its district; `complete` when every given name was found. */
  resolve([district, street]: [string | null, string | null]): { areaId: string | null; districtId: string | null; complete: boolean } {
    if (district !== null) {
      const d = this.districts.get(district);
      if (!d) return { areaId: null, districtId: null, complete: false };
      if (street === null) return { areaId: d.id, districtId: d.id, complete: true };
      const s = d.streets.get(street);
      return s ? { areaId: s, districtId: d.id, complete: true } : { areaId: d.id, districtId: d.id, complete: false };
    }
    const matches = street === null ? [] : (this.streets.get(street) ?? []);
    // A street name shared by two districts says nothing about which one.
    return matches.length === 1 ? { areaId: matches[0].id, districtId: matches[0].districtId, complete: true } : { areaId: null, districtId: null, complete: false };
  }
}

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
    // An xlsx file's line count says nothing about its rows; CSV's does (less the header).
    const estimatedRows = formatOf(options.file, mapping.format) === 'xlsx' ? null : Math.max(0, scan.lines - 1);
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
    const areaPolicy = mapping.unknownArea ?? 'none';
    const usesAreas = ['area', 'district', 'street'].some((f) => f in mapping.fields);
    const areas = usesAreas ? new AreaNames(await this.deps.categories.areaTree(actor)) : undefined;
    const routing = mapping.route === false ? undefined : this.deps.routing;
    // One suggestion per category × area for the whole run: a city has few of those, an import many rows.
    const suggestions = new Map<string, ReturnType<ImportRouting['suggestUnit']>>();
    const suggest = (categoryId: string | null, areaId: string | null) => {
      const key = `${categoryId}|${areaId}`;
      let s = suggestions.get(key);
      if (!s) suggestions.set(key, (s = routing!.suggestUnit(categoryId, areaId)));
      return s;
    };
    let routed = 0;
    let areasUnmatched = 0;

    const progress = (): ImportProgress => ({
      rowsDone, imported, bad, existing, resumedFrom, routed, areasUnmatched, elapsedMs: Date.now() - started, estimatedRows,
    });

    // The existence check costs an index probe per row, growing with the table: only pay it when this source
    // has tickets already (a re-run, a resumed run, another file of the same source). Otherwise ON CONFLICT still
    // keeps the import idempotent; a row repeated within the file then only skips a number.
    const mayExist = resumedFrom > 0 || (await store.sourceHasTickets(db, source));

    /** Rows read since the last flush; a flush takes the batch it is given, so reading goes on meanwhile. */
    interface Batch {
      items: { line: number; row: MappedRow }[];
      bad: number;
      rows: number;
    }
    const flush = async (b: Batch, finish: boolean) => {
      const batch = b.items;
      let batchBad = b.bad;
      let batchUnmatched = 0;
      const batchRows = b.rows;
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
        let area: { areaId: string | null; districtId: string | null } = { areaId: null, districtId: null };
        if (areas && row.areaPath) {
          const found = areas.resolve(row.areaPath);
          if (!found.complete) {
            if (areaPolicy === 'bad') {
              batchBad++;
              options.onBadRow?.(line, `area "${row.areaPath.filter((x) => x !== null).join(' / ')}" is not in the area tree`);
              continue;
            }
            batchUnmatched++;
          }
          area = found;
        }
        if (seen.has(row.externalId)) {
          existing++;
          continue;
        }
        seen.add(row.externalId);
        rows.push(toImported(row, source, categoryId, area, now));
      }
      // Open tickets into a unit's queue: the routing rules pick the unit, as the workflow does on dispatch.
      const routedRows = new Map<string, store.RoutedTicket>();
      if (routing) {
        for (const r of rows) {
          if (r.status === 'closed' || r.unit_id) continue;
          const s = await suggest(r.category_id, r.area_id);
          if (!s.unitId) continue; // nothing found: a received ticket waits for an agent, as it would
          const from = r.status;
          r.unit_id = s.unitId;
          if (r.status === 'received') {
            r.status = 'dispatched';
            r.dispatched_at = now;
            r.sign_due_at = new Date(now.getTime() + routing.signHours * 3_600_000);
            r.updated_at = r.updated_at > now ? r.updated_at : now;
          }
          routedRows.set(r.external_id, { externalId: r.external_id, at: now, from, to: r.status, unitId: s.unitId, routing: s.source, ruleId: s.ruleId });
        }
      }
      await db.transaction().execute(async (trx) => {
        const present = mayExist ? await store.findExistingExternalIds(trx, source, rows.map((r) => r.external_id)) : new Set<string>();
        const fresh = rows.filter((r) => !present.has(r.external_id));
        existing += rows.length - fresh.length;
        // Numbers from intake's counter (hotline_ticket_counter), taken for the whole batch in one statement
        // whatever the number of days (see takeTicketNumbers).
        const numbers = await takeTicketNumbers(trx, fresh.map((r) => this.deps.dayOf(r.created_at)));
        fresh.forEach((r, i) => (r.number = numbers[i]));
        // sealed once numbered: each value is bound to its ticket's number
        const personal = this.deps.personal ?? new TicketPersonalFields();
        const inserted = await store.insertImportedTickets(trx, fresh.map((r) => personal.seal(r)), routedRows.size > 0);
        const insertedCount = typeof inserted === 'number' ? inserted : inserted.size;
        if (typeof inserted !== 'number') {
          const events = [...routedRows.values()].filter((e) => inserted.has(e.externalId));
          await store.insertRoutedEvents(trx, source, actor, run.id, events);
          routed += events.length;
        }
        existing += fresh.length - insertedCount;
        imported += insertedCount;
        areasUnmatched += batchUnmatched;
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
      options.onProgress?.(progress());
    };

    // One flush in flight while the next batch is read and mapped: parsing (Node) and inserting (the database)
    // overlap on two cores instead of taking turns. Flushes still run one after the other, in file order, so
    // the run's progress and a resume after a kill are exactly as before.
    let pending: Promise<void> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    const settle = async () => {
      await pending;
      if (failure) throw failure.error;
    };
    const startFlush = async (b: Batch, finish: boolean) => {
      await settle();
      // Not swallowed: kept, and thrown by the next settle() (the loop's, or the last one's), never unhandled meanwhile.
      pending = flush(b, finish).catch((error: unknown) => void (failure = { error }));
    };
    let batch: Batch = { items: [], bad: 0, rows: 0 };
    let index = 0;
    try {
      for await (const record of file.records) {
        index++;
        if (index <= resumedFrom) continue; // done by the killed run
        batch.rows++;
        try {
          batch.items.push({ line: record.line, row: toTicket(record.values) });
        } catch (err) {
          if (!(err instanceof BadRow)) throw err;
          batch.bad++;
          options.onBadRow?.(record.line, err.message);
        }
        if (batch.rows >= batchSize) {
          await startFlush(batch, false);
          batch = { items: [], bad: 0, rows: 0 };
        }
      }
      await startFlush(batch, true);
    } finally {
      await pending; // never leave a flush running behind a failed run
    }
    await settle();
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
const toImported = (
  r: MappedRow, source: string, categoryId: string | null, area: { areaId: string | null; districtId: string | null }, now: Date,
): store.ImportedTicket => {
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
    area_id: area.areaId,
    district_id: area.districtId,
    unit_id: null,
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
    sign_due_at: null,
    accepted_at: r.acceptedAt,
    due_at: r.dueAt,
    answered_at: r.answeredAt,
    visited_at: r.visitedAt,
    closed_at: closedAt,
  };
};
