import { sql, type Insertable, type Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type {
  CatalogDatasetTable, CatalogDatasetVersionTable, CatalogFieldTable, CatalogLoadTable, Grade, RowFilter,
  ShareAccessTable, ShareAttribute, ShareGrantTable, ShareRequestTable,
} from './tables.js';
import './tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------- datasets

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

export interface DatasetSearch {
  q?: string;
  owner?: string;
  theme?: string;
  grade?: Grade;
  share?: ShareAttribute;
  /** only the public part of the catalogue (开放属性 open or conditionally open) */
  openOnly?: boolean;
}

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

// ---------------------------------------------------------------- rows

export interface NewRow {
  subject_key: string | null;
  data: Record<string, unknown>;
}

/** Inserts rows of one load in statements of at most `batch` rows (PostgreSQL allows 65535 parameters). */
export const insertRows = async (trx: Db, datasetId: string, version: number, rows: NewRow[]) => {
  if (rows.length === 0) return;
  await trx.insertInto('catalog_row')
    .values(rows.map((r) => ({ dataset_id: datasetId, from_version: version, to_version: null, subject_key: r.subject_key, data: JSON.stringify(r.data) as never })))
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

export const insertLoad = (trx: Db, load: Insertable<CatalogLoadTable>) =>
  trx.insertInto('catalog_load').values(load).returningAll().executeTakeFirstOrThrow();

export const listLoads = (db: Db, datasetId: string) =>
  db.selectFrom('catalog_load').selectAll().where('dataset_id', '=', datasetId).orderBy('data_version', 'desc').execute();

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

/** Every current row matching the filters, only the named fields, for aggregation. */
export const selectForAggregate = (db: Db, datasetId: string, filters: RowFilter[], fields: string[]) => {
  let query = db.selectFrom('catalog_row')
    .select(['id', 'subject_key', sql<Record<string, unknown>>`jsonb_build_object(${sql.join(fields.flatMap((f) => [sql`${f}::text`, sql`data -> ${f}`]))})`.as('data')])
    .where('dataset_id', '=', datasetId).where('to_version', 'is', null);
  for (const f of filters) query = query.where(filterSql(f));
  return query.execute();
};

// ---------------------------------------------------------------- secrets and citizens

export const findSecret = (db: Db, name: string) =>
  db.selectFrom('catalog_secret').select('secret').where('name', '=', name).executeTakeFirst();

/** Inserts the secret unless another node did first; the caller reads back whichever won. */
export const insertSecret = (db: Db, name: string, secret: string) =>
  db.insertInto('catalog_secret').values({ name, secret }).onConflict((oc) => oc.column('name').doNothing()).execute();

export const upsertCitizenLink = (db: Db, userId: string, subjectKey: string, at: Date) =>
  db.insertInto('catalog_citizen_link').values({ user_id: userId, subject_key: subjectKey, linked_at: at })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ subject_key: subjectKey, linked_at: at })).execute();

export const findCitizenLink = (db: Db, userId: string) =>
  db.selectFrom('catalog_citizen_link').selectAll().where('user_id', '=', userId).executeTakeFirst();

// ---------------------------------------------------------------- sharing

export const insertRequest = (trx: Db, request: Insertable<ShareRequestTable>) =>
  trx.insertInto('share_request').values(request).returningAll().executeTakeFirstOrThrow();

export const findRequest = (db: Db, id: string) =>
  db.selectFrom('share_request').selectAll().where('id', '=', id).executeTakeFirst();

/** Decides a request only while it is pending, so two deciders cannot both win. */
export const decideRequest = (trx: Db, id: string, patch: Updateable<ShareRequestTable>) =>
  trx.updateTable('share_request').set(patch).where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirst();

export interface RequestListFilter {
  /** requests made by this organisation or for its datasets */
  orgId?: string;
  status?: string;
  /** pending and past the deadline at `now` (true), or not (false) */
  overdue?: boolean;
  now: Date;
}

export const listRequests = (db: Db, f: RequestListFilter) => {
  let query = db.selectFrom('share_request').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_request.dataset_id')
    .selectAll('share_request').select(['catalog_dataset.owner_org_id', 'catalog_dataset.identifier', 'catalog_dataset.title']);
  if (f.orgId) {
    const orgId = f.orgId;
    query = query.where((eb) => eb.or([eb('share_request.consumer_org_id', '=', orgId), eb('catalog_dataset.owner_org_id', '=', orgId)]));
  }
  if (f.status) query = query.where('share_request.status', '=', f.status as never);
  if (f.overdue === true) query = query.where('share_request.status', '=', 'pending').where('share_request.due_at', '<', f.now);
  if (f.overdue === false) query = query.where((eb) => eb.or([eb('share_request.status', '!=', 'pending'), eb('share_request.due_at', '>=', f.now)]));
  return query.orderBy('share_request.created_at', 'desc').limit(1000).execute();
};

/** Pending requests past their decision deadline (only those not yet flagged, when asked). */
export const listOverdueRequests = (db: Db, now: Date, opts: { unflaggedOnly?: boolean } = {}) => {
  let query = db.selectFrom('share_request').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_request.dataset_id')
    .selectAll('share_request').select(['catalog_dataset.owner_org_id', 'catalog_dataset.identifier', 'catalog_dataset.title'])
    .where('share_request.status', '=', 'pending').where('share_request.due_at', '<', now);
  if (opts.unflaggedOnly) query = query.where('share_request.overdue_flagged_at', 'is', null);
  return query.orderBy('share_request.due_at').execute();
};

export const markOverdueFlagged = (trx: Db, ids: string[], at: Date) =>
  ids.length === 0 ? Promise.resolve([]) :
    trx.updateTable('share_request').set({ overdue_flagged_at: at }).where('id', 'in', ids).where('overdue_flagged_at', 'is', null).returning('id').execute();

export const insertGrant = (trx: Db, grant: Insertable<ShareGrantTable>) =>
  trx.insertInto('share_grant').values(grant).returningAll().executeTakeFirstOrThrow();

export const findGrant = (db: Db, id: string) =>
  db.selectFrom('share_grant').selectAll().where('id', '=', id).executeTakeFirst();

export const revokeGrant = (trx: Db, id: string, at: Date, by: string, reason: string) =>
  trx.updateTable('share_grant').set({ revoked_at: at, revoked_by: by, revoke_reason: reason })
    .where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();

export const listGrants = (db: Db, orgId: string | undefined) => {
  let query = db.selectFrom('share_grant').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_grant.dataset_id')
    .selectAll('share_grant').select(['catalog_dataset.owner_org_id', 'catalog_dataset.identifier', 'catalog_dataset.title']);
  if (orgId) query = query.where((eb) => eb.or([eb('share_grant.consumer_org_id', '=', orgId), eb('catalog_dataset.owner_org_id', '=', orgId)]));
  return query.orderBy('share_grant.granted_at', 'desc').limit(1000).execute();
};

/** The consumer's grants on the dataset that are neither revoked nor expired, newest first. */
export const findLiveGrants = (db: Db, consumerOrgId: string, datasetId: string, now: Date) =>
  db.selectFrom('share_grant').selectAll()
    .where('consumer_org_id', '=', consumerOrgId).where('dataset_id', '=', datasetId)
    .where('revoked_at', 'is', null).where('expires_at', '>', now).where('granted_at', '<=', now)
    .orderBy('granted_at', 'desc').execute();

/** Adds a call and its rows to the grant's day; returns the day's totals after the addition. */
export const addUsage = (trx: Db, grantId: string, day: string, rows: number) =>
  trx.insertInto('share_usage').values({ grant_id: grantId, day, calls: 1, rows })
    .onConflict((oc) => oc.columns(['grant_id', 'day']).doUpdateSet({
      calls: sql`share_usage.calls + 1`,
      rows: sql`share_usage.rows + ${rows}`,
    }))
    .returning(['calls', 'rows']).executeTakeFirstOrThrow();

export const findUsage = (db: Db, grantId: string, day: string) =>
  db.selectFrom('share_usage').select(['calls', 'rows']).where('grant_id', '=', grantId).where('day', '=', day).executeTakeFirst();

export const insertAccess = (trx: Db, access: Insertable<ShareAccessTable>) =>
  trx.insertInto('share_access').values(access).returning('id').executeTakeFirstOrThrow();

/** Every gateway call that returned a row carrying this subject tag, newest first. */
export const listAccessForSubject = (db: Db, subjectTag: number, limit: number) =>
  db.selectFrom('share_access').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_access.dataset_id')
    .select(['share_access.id', 'share_access.consumer_org_id', 'share_access.purpose', 'share_access.kind',
      'share_access.accessed_at', 'share_access.ledger_index', 'share_access.dataset_id',
      'catalog_dataset.title as dataset_title', 'catalog_dataset.owner_org_id'])
    // array containment, served by the GIN index
    .where(sql<boolean>`share_access.subject_tags @> array[${subjectTag}]::bigint[]`)
    .orderBy('share_access.accessed_at', 'desc').limit(limit).execute();
