import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { RowFilter } from './schemas.js';

// The rows of datasets: loaded in versions, read by the gateway through a grant's row filters.

export interface NewRow {
  subject_key: string | null;
  data: Record<string, unknown>;
}

/** Inserts rows of one load in statements of at most `batch` rows (PostgreSQL allows 65535 parameters). */
export const insertRows = async (trx: Db, datasetId: string, version: number, rows: NewRow[]) => {
  if (rows.length === 0) return;
  await trx.insertInto('catalog_row')
    .values(rows.map((r) => ({ dataset_id: datasetId, from_version: version, to_version: null, subject_key: r.subject_key, data: JSON.stringify(r.data) })))
    .execute();
};

/** A replacing load closes every current row at the new version (they stay, as history). */
export const closeCurrentRows = (trx: Db, datasetId: string, version: number) =>
  trx.updateTable('catalog_row').set({ to_version: version })
    .where('dataset_id', '=', datasetId).where('to_version', 'is', null).execute();

export const countCurrentRows = async (db: Db, datasetId: string): Promise<number> => {
  const row = await db.selectFrom('catalog_row').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dataset_id', '=', datasetId).where('to_version', 'is', null).executeTakeFirstOrThrow();
  return Number(row.n);
};

/** A grant's row filters as SQL on the jsonb row; comparing jsonb values keeps types exact and never fails a cast. */
const filterSql = (f: RowFilter) => {
  const left = sql`data -> ${f.field}`;
  const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`;
  switch (f.op) {
    case 'eq': return sql<boolean>`${left} = ${json(f.value)}`;
    case 'ne': return sql<boolean>`${left} is distinct from ${json(f.value)}`;
    case 'gte': return sql<boolean>`${left} >= ${json(f.value)}`;
    case 'lte': return sql<boolean>`${left} <= ${json(f.value)}`;
    case 'in': {
      const values = Array.isArray(f.value) ? f.value : [f.value];
      if (values.length === 0) return sql<boolean>`false`;
      return sql<boolean>`${left} in (${sql.join(values.map(json))})`;
    }
  }
};

/** One page of current rows after `afterId`, by id, restricted by the filters. */
export const pageRows = (db: Db, datasetId: string, afterId: number, limit: number, filters: RowFilter[]) => {
  let query = db.selectFrom('catalog_row').select(['id', 'subject_key', 'data'])
    .where('dataset_id', '=', datasetId).where('to_version', 'is', null).where('id', '>', afterId);
  for (const f of filters) query = query.where(filterSql(f));
  return query.orderBy('id').limit(limit).execute();
};

/**
 * Current rows found by value (the gateway's keyed read): by the subject's keyed hash when the caller looks up the
 * subject field (the `catalog_row_subject` index), and by the filters (the grant's and the looked-up values).
 */
export const lookupRows = (db: Db, datasetId: string, subjectKey: string | null, filters: RowFilter[], limit: number) => {
  let query = db.selectFrom('catalog_row').select(['id', 'subject_key', 'data'])
    .where('dataset_id', '=', datasetId).where('to_version', 'is', null);
  if (subjectKey) query = query.where('subject_key', '=', subjectKey);
  for (const f of filters) query = query.where(filterSql(f));
  return query.orderBy('id').limit(limit).execute();
};

/** Every current row matching the filters, only the named fields, for aggregation; in row order (disclosure control keeps a subject's first rows). */
export const selectForAggregate = (db: Db, datasetId: string, filters: RowFilter[], fields: string[]) => {
  let query = db.selectFrom('catalog_row')
    .select(['id', 'subject_key', sql<Record<string, unknown>>`jsonb_build_object(${sql.join(fields.flatMap((f) => [sql`${f}::text`, sql`data -> ${f}`]))})`.as('data')])
    .where('dataset_id', '=', datasetId).where('to_version', 'is', null);
  for (const f of filters) query = query.where(filterSql(f));
  return query.orderBy('id').execute();
};
