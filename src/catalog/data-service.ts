import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import { CsvSyntaxError, readCsvRecords } from '../platform/csv/csv-reader.js';
import type { CatalogConfig } from './config.js';
import type { CatalogService, FieldRow } from './catalog-service.js';
import { validateRecord, type Cell, type RowError } from './row-validation.js';
import { subjectKeyWith } from './secrets.js';
import * as store from './store.js';

/** One record to load, keyed by field name, with the line (or row number) it came from. */
export interface SourceRecord {
  line: number;
  values: Record<string, Cell>;
}

export type RecordSource = AsyncIterable<SourceRecord> | Iterable<SourceRecord>;

export interface LoadResult {
  dataVersion: number;
  mode: 'append' | 'replace';
  rows: number;
  rowCount: number;
  contentHash: string;
}

const BATCH = 1000;

/** Maps a header cell (field name or title) to the field name; unknown headers stay as they are (and fail). */
const headerMap = (fields: FieldRow[]) => {
  const map = new Map<string, string>();
  for (const f of fields) {
    map.set(f.name, f.name);
    map.set(f.title, f.name);
  }
  return (header: string) => map.get(header.trim()) ?? header.trim();
};

/** CSV (RFC 4180, UTF-8) with a header row of field names or titles. */
export async function* csvRecords(body: Uint8Array, fields: FieldRow[]): AsyncGenerator<SourceRecord> {
  const toName = headerMap(fields);
  for await (const record of readCsvRecords([body])) {
    const values: Record<string, Cell> = {};
    for (const [header, value] of Object.entries(record.values)) values[toName(header)] = value;
    yield { line: record.line, values };
  }
}

/** The first worksheet of an XLSX workbook; row 1 holds field names or titles; lines are worksheet row numbers. */
export async function xlsxRecords(body: Uint8Array, fields: FieldRow[]): Promise<SourceRecord[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(body) as never);
  } catch {
    throw new Problem('CATALOG_UPLOAD_UNREADABLE', { detail: 'the file is not a readable XLSX workbook' });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  const toName = headerMap(fields);
  const headers: string[] = [];
  const records: SourceRecord[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells = (row.values as unknown[]).slice(1);
    if (headers.length === 0) {
      for (const c of cells) headers.push(toName(String(c ?? '')));
      return;
    }
    const values: Record<string, Cell> = {};
    headers.forEach((h, i) => {
      if (!h) return;
      let v = cells[i] as unknown;
      if (v && typeof v === 'object' && !(v instanceof Date)) {
        // rich text, formulas and hyperlinks: take what the cell shows
        const o = v as { result?: unknown; text?: unknown; richText?: Array<{ text: string }> };
        v = o.result ?? o.text ?? o.richText?.map((r) => r.text).join('') ?? null;
      }
      values[h] = v as Cell;
    });
    records.push({ line: rowNumber, values });
  });
  return records;
}

/** Loads rows into datasets: validated against the field schema, all or nothing, each load a new data version. */
export class DataService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly config: CatalogConfig,
    private readonly clock: Clock,
    private readonly catalog: CatalogService,
  ) {}

  /** Checks the caller may load into the dataset, returning it and its fields. */
  async prepare(actor: Actor, ref: string) {
    assertCan(actor, 'catalog.data.load');
    const dataset = await this.catalog.requireDataset(ref);
    this.catalog.assertManage(actor, dataset.owner_org_id);
    const fields = await this.catalog.fields(dataset.id);
    return { dataset, fields };
  }

  /**
   * Validates every record and inserts them in one transaction: a single bad row fails the whole load, reporting
   * each bad row by line (values are never echoed: they may be personal data).
   */
  async load(actor: Actor, ref: string, records: RecordSource | ((fields: FieldRow[]) => RecordSource | Promise<RecordSource>),
    options: { mode: 'append' | 'replace'; source: string }): Promise<LoadResult> {
    const { dataset, fields } = await this.prepare(actor, ref);
    const source = typeof records === 'function' ? await records(fields) : records;
    const subjectField = fields.find((f) => f.subject_id)?.name;
    const subjectSecret = subjectField ? await this.catalog.secrets.get('subject') : undefined;
    const schema = fields.map((f) => ({ name: f.name, title: f.title, type: f.type, required: f.required }));

    return this.db.transaction().execute(async (trx) => {
      const locked = await store.lockDataset(trx, dataset.id);
      const version = locked.data_version + 1;
      if (options.mode === 'replace') await store.closeCurrentRows(trx, dataset.id, version);
      const hash = createHash('sha256');
      const errors: RowError[] = [];
      let badRows = 0;
      let rows = 0;
      let batch: store.NewRow[] = [];
      try {
      for await (const record of source) {
        const result = validateRecord(schema, record.values, record.line);
        if ('errors' in result) {
          badRows += 1;
          for (const e of result.errors) if (errors.length < this.config.maxReportedErrors) errors.push(e);
          continue;
        }
        rows += 1;
        if (badRows > 0) continue; // keep validating to report every bad row, but stop writing
        const subjectValue = subjectField ? result.data[subjectField] : undefined;
        const subjectKey = subjectSecret && typeof subjectValue === 'string' ? subjectKeyWith(subjectSecret, subjectValue) : null;
        hash.update(JSON.stringify(result.data)).update('\n');
        batch.push({ subject_key: subjectKey, data: result.data });
        if (batch.length >= BATCH) {
          await store.insertRows(trx, dataset.id, version, batch);
          batch = [];
        }
      }
      } catch (err) {
        if (err instanceof CsvSyntaxError) {
          throw new Problem('CATALOG_UPLOAD_UNREADABLE', { detail: `not valid CSV at line ${err.line}; nothing was loaded`, extra: { line: err.line } });
        }
        throw err;
      }
      if (badRows > 0) {
        throw new Problem('CATALOG_ROWS_INVALID', {
          detail: `${badRows} row(s) do not match the schema; nothing was loaded / ${badRows} 行不符合数据结构，未导入任何数据`,
          errors: errors.map((e) => ({ field: `/rows/${e.line}/${e.field}`, message: `line ${e.line}, ${e.field}: ${e.message}` })),
          extra: { badRows, goodRows: rows },
        });
      }
      await store.insertRows(trx, dataset.id, version, batch);
      const contentHash = hash.digest('hex');
      const rowCount = await store.countCurrentRows(trx, dataset.id);
      await store.insertLoad(trx, {
        dataset_id: dataset.id, data_version: version, mode: options.mode, source: options.source, row_count: rows,
        content_hash: contentHash, loaded_by: actorRef(actor), loaded_at: this.clock(),
      });
      await store.updateDataset(trx, dataset.id, { data_version: version, row_count: rowCount });
      await this.ledger.append('catalog.data.loaded', actor, `dataset:${dataset.id}`, {
        dataVersion: version, mode: options.mode, source: options.source, rows, rowCount, contentHash,
      }, { trx });
      return { dataVersion: version, mode: options.mode, rows, rowCount, contentHash };
    });
  }

  async loads(actor: Actor, ref: string) {
    assertCan(actor, 'catalog.read');
    const dataset = await this.catalog.requireDataset(ref);
    return (await store.listLoads(this.db, dataset.id)).map((l) => ({
      dataVersion: l.data_version, mode: l.mode, source: l.source, rows: l.row_count, contentHash: l.content_hash,
      loadedBy: l.loaded_by, loadedAt: new Date(l.loaded_at).toISOString(),
    }));
  }
}
