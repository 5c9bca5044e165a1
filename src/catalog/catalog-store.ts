import { sql, type Insertable, type Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { CatalogDatasetTable, CatalogDatasetVersionTable, CatalogFieldTable, CatalogLoadTable } from './tables.js';
import type { DatasetSearchQuery } from './schemas.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Datasets, their field schemas, metadata versions and loads.

export const insertDataset = (db: Db, dataset: Insertable<CatalogDatasetTable>) =>
  db.insertInto('catalog_dataset').values(dataset).returningAll().executeTakeFirstOrThrow();

export const updateDataset = (db: Db, id: string, patch: Updateable<CatalogDatasetTable>) =>
  db.updateTable('catalog_dataset').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

/** A dataset by its id or its identifier. */
export const findDataset = (db: Db, ref: string) =>
  db.selectFrom('catalog_dataset').selectAll()
    .where(UUID.test(ref) ? 'id' : 'identifier', '=', ref)
    .executeTakeFirst();

/** Locks the dataset row for a change (metadata edits and loads serialise per dataset). */
export const lockDataset = (trx: Db, id: string) =>
  trx.selectFrom('catalog_dataset').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();

export const identifierTaken = async (db: Db, identifier: string) =>
  !!(await db.selectFrom('catalog_dataset').select('id').where('identifier', '=', identifier).executeTakeFirst());

/** The filters of a search; `openOnly`: only the public part of the catalogue (开放属性 open or conditionally open). */
export type DatasetSearch = Omit<DatasetSearchQuery, 'limit' | 'offset'> & { openOnly?: boolean };

/** The facet columns of every dataset matching the filters (the catalogue is small enough to facet in memory). */
export const listDatasetFacetRows = (db: Db, s: DatasetSearch) => {
  let query = db.selectFrom('catalog_dataset').select(['id', 'owner_org_id', 'themes', 'grade', 'share_attr', 'open_attr', 'updated_at']);
  if (s.openOnly) query = query.where('open_attr', '<>', 'not_open');
  if (s.owner) query = query.where('owner_org_id', '=', s.owner);
  if (s.grade) query = query.where('grade', '=', s.grade);
  if (s.share) query = query.where('share_attr', '=', s.share);
  // array containment: the theme is one of the dataset's themes
  if (s.theme) query = query.where(sql<boolean>`themes @> array[${s.theme}]::text[]`);
  if (s.q) {
    const like = `%${s.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([
      eb('title', 'ilike', like),
      eb('description', 'ilike', like),
      eb(sql<string>`array_to_string(keywords, ' ')`, 'ilike', like),
    ]));
  }
  return query.orderBy('updated_at', 'desc').orderBy('id').execute();
};

export const listDatasetsByIds = (db: Db, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('catalog_dataset').selectAll().where('id', 'in', ids).execute();

/** Datasets in the public part of the catalogue (开放属性 open or conditionally open). */
export const listOpenDatasets = (db: Db) =>
  db.selectFrom('catalog_dataset').selectAll().where('open_attr', '<>', 'not_open').orderBy('identifier').execute();

export const listFields = (db: Db, datasetId: string) =>
  db.selectFrom('catalog_field').selectAll().where('dataset_id', '=', datasetId).orderBy('position').execute();

export const replaceFields = async (trx: Db, datasetId: string, fields: Insertable<CatalogFieldTable>[]) => {
  await trx.deleteFrom('catalog_field').where('dataset_id', '=', datasetId).execute();
  if (fields.length > 0) await trx.insertInto('catalog_field').values(fields).execute();
};

export const insertVersion = (trx: Db, version: Insertable<CatalogDatasetVersionTable>) =>
  trx.insertInto('catalog_dataset_version').values(version).execute();

export const listVersions = (db: Db, datasetId: string) =>
  db.selectFrom('catalog_dataset_version').selectAll().where('dataset_id', '=', datasetId).orderBy('version', 'desc').execute();

export const insertLoad = (trx: Db, load: Insertable<CatalogLoadTable>) =>
  trx.insertInto('catalog_load').values(load).returningAll().executeTakeFirstOrThrow();

export const listLoads = (db: Db, datasetId: string) =>
  db.selectFrom('catalog_load').selectAll().where('dataset_id', '=', datasetId).orderBy('data_version', 'desc').execute();
