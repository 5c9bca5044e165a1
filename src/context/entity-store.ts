import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Attrs, StoredEntity } from './entity-model.js';
import type { BBox } from './geo.js';
import './tables.js';

/** What an entity query asks of the database; geo is only a bounding-box pre-filter here. */
export interface EntityFilter {
  tenant: string;
  ids?: string[];
  /** Any of these expanded types. */
  types?: string[];
  idPattern?: string;
  /** An SQL/JSON path predicate over attrs with its variables (q-language.ts). */
  q?: { path: string; vars: Record<string, unknown> };
  /** Entities that have at least one of these attributes. */
  anyAttrs?: string[];
  box?: BBox;
  /** Only entities with a location (geo-queries without a box). */
  hasLocation?: boolean;
  /** Restricts to these types (per-organisation access rules). */
  allowedTypes?: string[];
  limit?: number;
  offset?: number;
  /** Sort keys before the id (queryEntities only): an attribute's value (`id` for the entity id). */
  orderBy?: { attr: string; desc: boolean }[];
}

export interface EntityRow {
  tenant: string;
  id: string;
  types: string[];
  attrs: Attrs;
  scope: string[] | null;
  created_at: Date;
  modified_at: Date;
}

export const rowToEntity = (r: EntityRow): StoredEntity => ({
  id: r.id,
  types: r.types,
  attrs: r.attrs,
  ...(r.scope ? { scope: r.scope } : {}),
  createdAt: new Date(r.created_at).toISOString(),
  modifiedAt: new Date(r.modified_at).toISOString(),
});

export const tenantExists = async (db: Db, name: string): Promise<boolean> =>
  !!(await db.selectFrom('context_tenant').select('name').where('name', '=', name).executeTakeFirst());

export const insertTenant = (db: Db, name: string) =>
  db.insertInto('context_tenant').values({ name }).onConflict((oc) => oc.column('name').doNothing()).execute();

export const listTenants = (db: Db) => db.selectFrom('context_tenant').select(['name', 'created_at']).orderBy('name').execute();

/** Current rows of these entities, locked for the caller's transaction (read-modify-write of attributes). */
export async function findEntitiesForUpdate(db: Db, tenant: string, ids: string[]): Promise<EntityRow[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('context_entity')
    .select(['tenant', 'id', 'types', 'attrs', 'scope', 'created_at', 'modified_at'])
    .where('tenant', '=', tenant).where('id', 'in', ids)
    .forUpdate()
    .execute()) as unknown as EntityRow[];
}

export async function findEntity(db: Db, tenant: string, id: string): Promise<EntityRow | undefined> {
  return (await db.selectFrom('context_entity')
    .select(['tenant', 'id', 'types', 'attrs', 'scope', 'created_at', 'modified_at'])
    .where('tenant', '=', tenant).where('id', '=', id)
    .executeTakeFirst()) as unknown as EntityRow | undefined;
}

export interface EntityWrite {
  id: string;
  types: string[];
  attrs: Attrs;
  scope?: string[] | null;
  created_at: string;
  modified_at: string;
  box?: BBox;
}

/**
 * Writes many entities in one statement. The rows travel as one jsonb parameter expanded by
 * jsonb_to_recordset — far cheaper than thousands of bind parameters for a 100-entity batch, and raw SQL
 * because Kysely has no builder for a record-set source.
 */
export async function upsertEntities(db: Db, tenant: string, rows: EntityWrite[], mode: 'insert' | 'upsert'): Promise<string[]> {
  if (rows.length === 0) return [];
  const payload = JSON.stringify(rows.map((r) => ({
    id: r.id, types: r.types, attrs: r.attrs, scope: r.scope ?? null, created_at: r.created_at, modified_at: r.modified_at,
    min_lon: r.box?.minLon ?? null, min_lat: r.box?.minLat ?? null, max_lon: r.box?.maxLon ?? null, max_lat: r.box?.maxLat ?? null,
  })));
  const conflict = mode === 'insert'
    ? sql`on conflict (tenant, id) do nothing`
    : sql`on conflict (tenant, id) do update set types = excluded.types, attrs = excluded.attrs, scope = excluded.scope,
        modified_at = excluded.modified_at, min_lon = excluded.min_lon, min_lat = excluded.min_lat,
        max_lon = excluded.max_lon, max_lat = excluded.max_lat`;
  const result = await sql<{ id: string }>`
    insert into context_entity (tenant, id, types, attrs, scope, created_at, modified_at, min_lon, min_lat, max_lon, max_lat)
    select ${tenant}, x.id, x.types, x.attrs, x.scope, x.created_at, x.modified_at, x.min_lon, x.min_lat, x.max_lon, x.max_lat
    from jsonb_to_recordset(${payload}::jsonb) as x(id text, types text[], attrs jsonb, scope text[], created_at timestamptz,
      modified_at timestamptz, min_lon float8, min_lat float8, max_lon float8, max_lat float8)
    ${conflict}
    returning id`.execute(db);
  return result.rows.map((r) => r.id);
}

export async function deleteEntities(db: Db, tenant: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.deleteFrom('context_entity').where('tenant', '=', tenant).where('id', 'in', ids).returning('id').execute();
  return rows.map((r) => r.id);
}

function filtered(db: Db, f: EntityFilter) {
  let query = db.selectFrom('context_entity').where('tenant', '=', f.tenant);
  if (f.ids?.length) query = query.where('id', 'in', f.ids);
  if (f.types?.length) {
    // With a geo box the GiST box index is far more selective than the GIN type index: a BitmapAnd over every
    // entity of the type costs more than filtering the few hundred box hits, so the type test is written in a
    // form the GIN index does not serve.
    query = query.where(f.box ? sql<boolean>`(types || '{}'::text[]) && ${f.types}::text[]` : sql<boolean>`types && ${f.types}::text[]`);
  }
  if (f.allowedTypes) query = query.where(sql<boolean>`types && ${f.allowedTypes}::text[]`);
  if (f.idPattern !== undefined) query = query.where(sql<boolean>`id ~ ${f.idPattern}`);
  if (f.anyAttrs?.length) query = query.where(sql<boolean>`attrs ?| ${f.anyAttrs}::text[]`);
  // The q predicate is an SQL/JSON path passed as a parameter; `silent` turns type errors into "no match".
  if (f.q) query = query.where(sql<boolean>`jsonb_path_match(attrs, ${f.q.path}::jsonpath, ${JSON.stringify(f.q.vars)}::jsonb, true)`);
  if (f.box) {
    // Same expression as the GiST index context_entity_box, so the planner can use it.
    query = query.where('min_lon', 'is not', null).where(sql<boolean>`box(point(min_lon, min_lat), point(max_lon, max_lat)) && box(point(${f.box.minLon}, ${f.box.minLat}), point(${f.box.maxLon}, ${f.box.maxLat}))`);
  } else if (f.hasLocation) {
    query = query.where('min_lon', 'is not', null);
  }
  return query;
}

/**
 * The sort value of an attribute: the value (or Relationship object, LanguageProperty map) of its default
 * instance, compared as jsonb (numbers numerically, strings by text, across types in jsonb's fixed order).
 * Entities without it sort last either way.
 */
const sortValue = (attr: string) => sql`coalesce(attrs #> array[${attr}, '0', 'value'], attrs #> array[${attr}, '0', 'object'], attrs #> array[${attr}, '0', 'languageMap'])`;

/** Entities matching the filter, in orderBy order then by id; limit/offset applied when given. */
export async function queryEntities(db: Db, f: EntityFilter): Promise<EntityRow[]> {
  let query = filtered(db, f).select(['tenant', 'id', 'types', 'attrs', 'scope', 'created_at', 'modified_at']);
  for (const o of f.orderBy ?? []) {
    if (o.attr === 'id') query = query.orderBy('id', o.desc ? 'desc' : 'asc');
    else query = query.orderBy(sql`${sortValue(o.attr)} ${sql.raw(o.desc ? 'desc' : 'asc')} nulls last`);
  }
  query = query.orderBy('id');
  if (f.limit !== undefined) query = query.limit(f.limit);
  if (f.offset) query = query.offset(f.offset);
  return (await query.execute()) as unknown as EntityRow[];
}

export async function countEntities(db: Db, f: EntityFilter): Promise<number> {
  const row = await filtered(db, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Distinct entity types with their counts (GET /types). */
export async function entityTypeCounts(db: Db, tenant: string): Promise<{ type: string; n: number }[]> {
  const r = await sql<{ type: string; n: number }>`
    select t as type, count(*)::int as n from context_entity, unnest(types) as t where tenant = ${tenant} group by t order by t`.execute(db);
  return r.rows;
}

/** Attribute names per type (GET /types/{type}, GET /attributes). */
export async function attributeNames(db: Db, tenant: string, type?: string): Promise<{ type: string; attr: string }[]> {
  const r = await sql<{ type: string; attr: string }>`
    select distinct t as type, a as attr from context_entity, unnest(types) as t, jsonb_object_keys(attrs) as a
    where tenant = ${tenant} ${type ? sql`and t = ${type}` : sql``} order by 1, 2`.execute(db);
  return r.rows;
}
