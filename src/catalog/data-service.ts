import { createHash } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import { isTableError } from '../platform/csv/table-errors.js';
import type { TableReaderPool, TableReading } from '../platform/csv/table-reader-pool.js';
import type { CatalogConfig } from './config.js';
import type { CatalogService, DatasetRow, FieldRow } from './catalog-service.js';
import { validateRecord, type RowError } from './row-validation.js';
import { subjectKeyWith } from './secrets.js';
import { readUpload, uploadProblem, uploadRecords, type RecordSource, type SourceRecord } from './upload-readers.js';
import type { LoadMode, LoadResult, LoadView, RowsPush } from './schemas.js';
import * as store from './catalog-store.js';
import * as rowStore from './row-store.js';

const BATCH = 1000;

/**
 * The source with its first record already read (a reading error is thrown here, mapped to its problem), and a
 * `close` that ends the reading whatever happened (a worker waiting for its reader is released).
 */
async function primed(source: RecordSource): Promise<{ records: RecordSource; close: () => Promise<void> }> {
  if (!(Symbol.asyncIterator in source)) return { records: source, close: async () => {} };
  const iterator = source[Symbol.asyncIterator]();
  let first: IteratorResult<SourceRecord>;
  try {
    first = await iterator.next();
  } catch (err) {
    if (isTableError(err)) throw uploadProblem(err);
    throw err;
  }
  // The first record, then the rest straight from the iterator (no extra generator between rows and the writer).
  let pending: IteratorResult<SourceRecord> | undefined = first;
  const records: AsyncIterable<SourceRecord> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        if (pending) {
          const r = pending;
          pending = undefined;
          return r;
        }
        return iterator.next();
      },
      return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
    }),
  };
  return { records, close: async () => { await iterator.return?.(); } };
}

/** Loads rows into datasets: validated against the field schema, all or nothing, each load a new data version. */
export class DataService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly config: CatalogConfig,
    private readonly clock: Clock,
    private readonly catalog: CatalogService,
    /** Worker threads that read uploaded files off the event loop. */
    private readonly tables: TableReaderPool,
  ) {}

  /** Checks the caller may load into the dataset, returning it and its fields. */
  async prepare(actor: Actor, ref: string) {
    assertCan(actor, 'catalog.data.load');
    const dataset = await this.catalog.requireDataset(ref);
    this.catalog.assertManage(actor, dataset.owner_org_id);
    const fields = await this.catalog.fields(dataset.id);
    return { dataset, fields };
  }

  /** Loads rows pushed as JSON (`source` api); row n (from 1) is reported as line n. */
  loadRows(actor: Actor, ref: string, push: RowsPush): Promise<LoadResult> {
    // The cell limit of uploads holds for pushed rows too (the JSON body's size is the platform's bodyLimit).
    const max = this.config.uploadMaxCellChars;
    push.rows.forEach((values, i) => {
      for (const [name, v] of Object.entries(values)) {
        if (typeof v === 'string' && v.length > max) {
          const limit = 'modules.catalog.uploadMaxCellChars';
          throw new Problem('CATALOG_UPLOAD_TOO_LARGE', {
            detail: `row ${i + 1}, ${name}: longer than ${max} characters; nothing was loaded`,
            errors: [{ field: `rows/${i + 1}/${name}`, message: `longer than ${max} characters` }], extra: { limit, max, line: i + 1 },
          });
        }
      }
    });
    const records = push.rows.map((values, i) => ({ line: i + 1, values }));
    return this.load(actor, ref, records, { mode: push.mode ?? 'append', source: 'api' });
  }

  /**
   * Loads an uploaded CSV or XLSX file whose header row holds field names or titles. The file is read in a worker
   * thread within the upload limits; a CSV may be UTF-8 (with or without a byte-order mark), UTF-16 with one, or
   * GB18030/GBK (decoded, and said in `encoding`); anything else is refused with 400.
   */
  async loadFile(actor: Actor, ref: string, file: { bytes: Uint8Array; format: 'csv' | 'xlsx' }, mode: LoadMode = 'append'): Promise<LoadResult> {
    let reading: TableReading | undefined;
    const read = (fields: FieldRow[]) => {
      reading = readUpload(this.tables, file.bytes, file.format, this.config);
      return uploadRecords(reading, file.format, fields);
    };
    const result = await this.load(actor, ref, read, { mode, source: file.format });
    return reading?.encoding ? { ...result, encoding: reading.encoding } : result;
  }

  /**
   * Validates every record and inserts them in one transaction: a single bad row fails the whole load, reporting
   * each bad row by line as `rows/<line>/<field>` (values are never echoed: they may be personal data).
   */
  async load(actor: Actor, ref: string, records: RecordSource | ((fields: FieldRow[]) => RecordSource | Promise<RecordSource>),
    options: { mode: LoadMode; source: string }): Promise<LoadResult> {
    const { dataset, fields } = await this.prepare(actor, ref);
    // The first record (or the file's refusal: a bomb, a foreign encoding) is awaited before the transaction,
    // so a file refused at once never holds a database connection.
    const { records: source, close } = await primed(typeof records === 'function' ? await records(fields) : records);
    try {
      return await this.write(actor, dataset, fields, source, options);
    } finally {
      await close();
    }
  }

  private async write(actor: Actor, dataset: DatasetRow, fields: FieldRow[], source: RecordSource, options: { mode: LoadMode; source: string }): Promise<LoadResult> {
    const subjectField = fields.find((f) => f.subject_id)?.name;
    const subjectSecret = subjectField ? await this.catalog.secrets.get('subject') : undefined;
    const schema = fields.map((f) => ({ name: f.name, title: f.title, type: f.type, required: f.required }));

    return this.db.transaction().execute(async (trx) => {
      const locked = await store.lockDataset(trx, dataset.id);
      const version = locked.data_version + 1;
      if (options.mode === 'replace') await rowStore.closeCurrentRows(trx, dataset.id, version);
      const hash = createHash('sha256');
      const errors: RowError[] = [];
      let badRows = 0;
      let rows = 0;
      let batch: rowStore.NewRow[] = [];
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
          await rowStore.insertRows(trx, dataset.id, version, batch);
          batch = [];
        }
      }
      } catch (err) {
        if (isTableError(err)) throw uploadProblem(err);
        throw err;
      }
      if (badRows > 0) {
        throw new Problem('CATALOG_ROWS_INVALID', {
          detail: `${badRows} row(s) do not match the schema; nothing was loaded / ${badRows} 行不符合数据结构，未导入任何数据`,
          errors: errors.map((e) => ({ field: `rows/${e.line}/${e.field}`, message: `line ${e.line}, ${e.field}: ${e.message}` })),
          extra: { badRows, goodRows: rows },
        });
      }
      await rowStore.insertRows(trx, dataset.id, version, batch);
      const contentHash = hash.digest('hex');
      const rowCount = await rowStore.countCurrentRows(trx, dataset.id);
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

  async loads(actor: Actor, ref: string): Promise<LoadView[]> {
    assertCan(actor, 'catalog.read');
    const dataset = await this.catalog.requireDataset(ref);
    return (await store.listLoads(this.db, dataset.id)).map((l) => ({
      dataVersion: l.data_version, mode: l.mode, source: l.source, rows: l.row_count, contentHash: l.content_hash,
      loadedBy: l.loaded_by, loadedAt: new Date(l.loaded_at).toISOString(),
    }));
  }
}
