import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../platform/db/database.js';
import { datasetKey, eachOneDefaultInstance, expiryDue, LOCATION, type Attrs, type Instance, type StoredEntity } from './entity-model.js';
import { historyAttrsSql, type HistoryRecord, type HistoryWindow } from './history-store.js';
import { tenantHasActiveSubscription } from './subscription-store.js';
import type { BBox } from './geo.js';
import type { AttrVisibility } from './access-policy.js';
import { scopeQSql, type ScopeQuery } from './scope-query.js';
import type { QSql } from './q-language.js';
import './tables.js';

/** What an entity query asks of the database; geo is only a bounding-box pre-filter here. */
export interface EntityFilter {
  tenant: string;
  ids?: string[];
  /** Any of these expanded types. */
  types?: string[];
  idPattern?: string;
  /** An SQL/JSON path predicate over attrs with its variables (q-language.ts). */
  q?: { path: string; vars: Record<string, unknown>; sysAttrs?: boolean };
  /**
   * The same predicate on the entity's history in a window instead of its current state (temporal queries,
   * §5.7.4.4): true when the attribute instances of the window satisfy it (each term by one of them).
   */
  historyQ?: { path: string; vars: Record<string, unknown>; sysAttrs?: boolean; window: HistoryWindow };
  /** A q with Linked Entity terms (`a{b}==1`, q-language compileQSql), instead of `q`. */
  linkedQ?: QSql;
  /** Entities that have at least one of these attributes. */
  anyAttrs?: string[];
  /** §4.19 scopeQ (scope-query.ts). */
  scopeQ?: ScopeQuery;
  box?: BBox;
  /** Only entities with a location (geo-queries without a box). */
  hasLocation?: boolean;
  /** Restricts to these types (per-organisation access rules). */
  allowedTypes?: string[];
  /**
   * The attributes the caller may read (access rules): `q`, `attrs` and `orderBy` see only these, so a filter
   * on a hidden attribute matches as if the attribute were absent. Undefined: every attribute.
   */
  visible?: AttrVisibility;
  limit?: number;
  offset?: number;
  /** Sort keys before the id (queryEntities only): an attribute's value (`id` for the entity id). */
  orderBy?: { attr: string; desc: boolean; keys?: string[] }[];
}

export interface EntityRow {
  tenant: string;
  id: string;
  types: string[];
  attrs: Attrs;
  attr_created: Record<string, string> | null;
  scope: string[] | null;
  created_at: Date;
  modified_at: Date;
  /** v1.9 expiresAt of the entity (absent in the rows the batch upserts build). */
  expires_at?: Date | null;
}

const ENTITY_COLUMNS = ['tenant', 'id', 'types', 'attrs', 'attr_created', 'scope', 'created_at', 'modified_at', 'expires_at'] as const;

/**
 * How attribute timestamps are stored. An instance's modifiedAt is left out when it is the entity's
 * modified_at; a default instance's createdAt is left out when it is the entity's created_at, else kept in
 * `attr_created` (attribute IRI → createdAt); a datasetId instance keeps its own unless it is the entity's.
 * So the instances a batch writes are stored exactly as the history stores them, and a batch upsert replaces
 * them without reading the stored ones (upsertFast); rows written before this form (timestamps in every
 * instance) read the same (withSysAttrs: a stored timestamp wins). `attr_sig` names the attributes when each
 * is one default instance: the fast upsert's condition.
 */
export function storedForm(e: Pick<StoredEntity, 'attrs' | 'createdAt' | 'modifiedAt'>): { attrs: Attrs; attr_created: Record<string, string> | null; attr_sig: string | null } {
  const attrs: Attrs = {};
  let created: Record<string, string> | null = null;
  for (const iri in e.attrs) {
    attrs[iri] = e.attrs[iri].map((inst) => {
      const out: Instance = { type: inst.type };
      for (const k in inst) if (k !== 'createdAt' && k !== 'modifiedAt') out[k] = inst[k];
      if (inst.modifiedAt !== undefined && inst.modifiedAt !== e.modifiedAt) out.modifiedAt = inst.modifiedAt;
      if (inst.createdAt === undefined || inst.createdAt === e.createdAt) return out;
      if (datasetKey(inst) === '') (created ??= {})[iri] = inst.createdAt as string;
      else out.createdAt = inst.createdAt;
      return out;
    });
  }
  return { attrs, attr_created: created, attr_sig: eachOneDefaultInstance(e.attrs) ? attrSignature(Object.keys(attrs)) : null };
}

/**
 * The attribute names of an entity whose attributes are each one default instance, as a digest of the sorted
 * names (a 100-entity batch would otherwise send and store tens of kilobytes of names for the comparison).
 */
const attrSignature = (names: string[]): string => createHash('sha256').update(JSON.stringify([...names].sort())).digest('base64');

/** Stored attributes with every instance's createdAt/modifiedAt filled in (the inverse of storedForm). */
export function withSysAttrs(attrs: Attrs, attrCreated: Record<string, string> | null, createdAt: string, modifiedAt: string): Attrs {
  const out: Attrs = {};
  for (const iri in attrs) {
    out[iri] = attrs[iri].map((inst) => {
      if (inst.createdAt !== undefined && inst.modifiedAt !== undefined) return inst;
      const created = (datasetKey(inst) === '' ? attrCreated?.[iri] : undefined) ?? createdAt;
      return { ...inst, createdAt: inst.createdAt ?? created, modifiedAt: inst.modifiedAt ?? modifiedAt };
    });
  }
  return out;
}

const iso = (t: RawBuilder<unknown>) => sql`to_jsonb(to_char(${t} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
/** Attributes (`source`, the stored attrs by default) with each instance's createdAt/modifiedAt filled in (withSysAttrs in SQL), for q terms on them. */
const withSysAttrsSql = (source: RawBuilder<unknown>) => sql`(select coalesce(jsonb_object_agg(a.key, (
    select jsonb_agg(case when i.v ?& array['createdAt', 'modifiedAt'] then i.v
      else jsonb_build_object('createdAt', coalesce(case when coalesce(i.v->>'datasetId', '') = '' then attr_created->a.key end, ${iso(sql`created_at`)}),
        'modifiedAt', ${iso(sql`modified_at`)}) || i.v end order by i.ord)
    from jsonb_array_elements(a.value) with ordinality i(v, ord))), '{}'::jsonb)
  from jsonb_each(${source}) a)`;
const attrsWithSysAttrs = withSysAttrsSql(sql`attrs`);

/** A column of the entity row `alias` (unqualified: the row of the nearest FROM). */
const col = (alias: string | undefined, name: string) => (alias ? sql.ref(`${alias}.${name}`) : sql.ref(name));

/**
 * The attributes of a row the caller may read (AccessPolicy.readableAttrs in SQL): all of them when one of the
 * row's types is fully granted, else those granted for any of its types. Filters read this instead of `attrs`,
 * so a hidden attribute is absent for them.
 */
const visibleAttrs = (v: AttrVisibility, alias?: string, source?: RawBuilder<unknown>) => {
  const types = col(alias, 'types');
  const attrs = source ?? col(alias, 'attrs');
  return sql`(case when ${types} && ${v.full}::text[] then ${attrs}
  else coalesce((select jsonb_object_agg(a.key, a.value) from jsonb_each(${attrs}) a
    where exists (select 1 from unnest(${types}) t where (${JSON.stringify(v.partial)}::jsonb -> t) ? a.key)), '{}'::jsonb) end)`;
};
const readableAttrs = (f: EntityFilter, alias?: string) => (f.visible ? visibleAttrs(f.visible, alias) : col(alias, 'attrs'));

/**
 * A q with Linked Entity terms as SQL over the row `alias` (q-language QSql): a link node is a subquery on the
 * entities of the same tenant whose ids the row's relationship holds, each read as the caller may read it (its
 * readable types and attributes), so a hidden entity or attribute decides nothing. Unqualified columns in the
 * path predicates are those of the nearest linked row.
 */
function linkedQSql(node: QSql, f: EntityFilter, alias: string, depth: number): RawBuilder<boolean> {
  if (node.kind === 'path') {
    const attrs = readableAttrs(f, alias);
    return sql<boolean>`jsonb_path_match(${node.sysAttrs ? withSysAttrsSql(attrs) : attrs}, ${node.path}::jsonpath, ${JSON.stringify(node.vars)}::jsonb, true)`;
  }
  if (node.kind !== 'link') return sql<boolean>`(${sql.join(node.items.map((n) => linkedQSql(n, f, alias, depth)), sql.raw(node.kind === 'and' ? ' and ' : ' or '))})`;
  const linked = `l${depth + 1}`;
  const outer = readableAttrs(f, alias);
  const ids = sql.join(node.targets.map((p) => sql`select jsonb_path_query(${outer}, ${p}::jsonpath) #>> '{}'`), sql` union all `);
  const allowed = f.allowedTypes ? sql`and ${col(linked, 'types')} && ${f.allowedTypes}::text[]` : sql``;
  const typed = node.types ? sql`and ${col(linked, 'types')} && ${node.types}::text[]` : sql``;
  return sql<boolean>`exists (select 1 from context_entity ${sql.ref(linked)} where ${col(linked, 'tenant')} = ${f.tenant}
    and ${col(linked, 'id')} in (${ids}) ${allowed} ${typed} and ${linkedQSql(node.inner, f, linked, depth + 1)})`;
}

export const rowToEntity = (r: EntityRow): StoredEntity => {
  const createdAt = new Date(r.created_at).toISOString();
  const modifiedAt = new Date(r.modified_at).toISOString();
  return {
    id: r.id,
    types: r.types,
    attrs: withSysAttrs(r.attrs, r.attr_created, createdAt, modifiedAt),
    ...(r.scope ? { scope: r.scope } : {}),
    createdAt,
    modifiedAt,
    ...(r.expires_at ? { expiresAt: new Date(r.expires_at).toISOString() } : {}),
  };
};

export const tenantExists = async (db: Db, name: string): Promise<boolean> =>
  !!(await db.selectFrom('context_tenant').select('name').where('name', '=', name).executeTakeFirst());

export const insertTenant = (db: Db, name: string) =>
  db.insertInto('context_tenant').values({ name }).onConflict((oc) => oc.column('name').doNothing()).execute();

export const listTenants = (db: Db) => db.selectFrom('context_tenant').select(['name', 'created_at']).orderBy('name').execute();

/** Current rows of these entities, locked for the caller's transaction (read-modify-write of attributes). */
export async function findEntitiesForUpdate(db: Db, tenant: string, ids: string[]): Promise<EntityRow[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('context_entity')
    .select(ENTITY_COLUMNS)
    .where('tenant', '=', tenant).where('id', 'in', ids)
    .forUpdate()
    .execute()) as unknown as EntityRow[];
}

export async function findEntity(db: Db, tenant: string, id: string): Promise<EntityRow | undefined> {
  return (await db.selectFrom('context_entity')
    .select(ENTITY_COLUMNS)
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
  /** v1.9 expiresAt of the entity. */
  expires_at?: string | null;
}

/**
 * Writes many entities in one statement. The rows travel as one jsonb parameter expanded by
 * jsonb_to_recordset — far cheaper than thousands of bind parameters for a 100-entity batch, and raw SQL
 * because Kysely has no builder for a record-set source.
 */
export async function upsertEntities(db: Db, tenant: string, rows: EntityWrite[], mode: 'insert' | 'upsert'): Promise<string[]> {
  if (rows.length === 0) return [];
  const payload = JSON.stringify(rows.map((r) => ({
    id: r.id, types: r.types, ...storedForm({ attrs: r.attrs, createdAt: r.created_at, modifiedAt: r.modified_at }),
    scope: r.scope ?? null, created_at: r.created_at, modified_at: r.modified_at,
    min_lon: r.box?.minLon ?? null, min_lat: r.box?.minLat ?? null, max_lon: r.box?.maxLon ?? null, max_lat: r.box?.maxLat ?? null,
    expires_at: r.expires_at ?? null, expiry_due: expiryDue({ attrs: r.attrs, expiresAt: r.expires_at ?? undefined }),
  })));
  const conflict = mode === 'insert'
    ? sql`on conflict (tenant, id) do nothing`
    : sql`on conflict (tenant, id) do update set types = excluded.types, attrs = excluded.attrs, attr_created = excluded.attr_created,
        attr_sig = excluded.attr_sig, scope = excluded.scope, modified_at = excluded.modified_at, min_lon = excluded.min_lon, min_lat = excluded.min_lat,
        max_lon = excluded.max_lon, max_lat = excluded.max_lat, expires_at = excluded.expires_at, expiry_due = excluded.expiry_due`;
  const result = await sql<{ id: string }>`
    insert into context_entity (tenant, id, types, attrs, attr_created, attr_sig, scope, created_at, modified_at, min_lon, min_lat, max_lon, max_lat, expires_at, expiry_due)
    select ${tenant}, x.id, x.types, x.attrs, x.attr_created, x.attr_sig, x.scope, x.created_at, x.modified_at, x.min_lon, x.min_lat, x.max_lon, x.max_lat, x.expires_at, x.expiry_due
    from jsonb_to_recordset(${payload}::jsonb) as x(id text, types text[], attrs jsonb, attr_created jsonb, attr_sig text, scope text[], created_at timestamptz,
      modified_at timestamptz, min_lon float8, min_lat float8, max_lon float8, max_lat float8, expires_at timestamptz, expiry_due timestamptz)
    ${conflict}
    returning id`.execute(db);
  return result.rows.map((r) => r.id);
}

/** One entity of a fast batch upsert: every attribute a single default instance. */
export interface FastUpsert {
  id: string;
  types: string[];
  scope?: string[] | null;
  box?: BBox;
  /** The given attributes as the history stores them (history-store historyRecord): also their stored form. */
  history: HistoryRecord;
}

/** An entity the fast upsert wrote, with what subscriptions need of its new state. */
export interface FastUpserted {
  id: string;
  created: boolean;
  types: string[];
  scope: string[] | null;
  created_at: Date;
  attr_created: Record<string, string> | null;
}

/**
 * Batch upsert (§5.6.8) of entities whose attributes are each one default instance, as one statement that
 * reads nothing back: new entities are inserted, stored ones whose attributes are the same names, each one
 * default instance (same `attr_sig`), have their instances replaced wholesale — their createdAt stays in
 * `attr_created`/`created_at` (storedForm), so no stored instance needs to be looked at — and the given
 * instances are the history row as they are. `replace` (the default) sets the types and scope; otherwise
 * (`options=update`) types are added and the scope kept. Entities with other stored attributes are left
 * untouched (the conflict's WHERE; the row stays locked) and not returned: the caller merges them in TypeScript.
 * Ids must be distinct. In a transaction (the caller's), or `alone`: one statement committed by itself, which
 * writes nothing when the tenant has an active subscription (whose notifications must be stored in the same
 * transaction as the change: the caller then takes the transactional path). Raw SQL: Kysely has no builder for
 * record-set sources.
 */
export async function upsertFast(db: Db, tenant: string, now: string, rows: FastUpsert[], replace: boolean, alone = false): Promise<{ subscribed: boolean; rows: FastUpserted[] }> {
  if (rows.length === 0) return { subscribed: false, rows: [] };
  // Absent members are nulls to jsonb_to_recordset: a device batch has no scope or box to send.
  const payload = JSON.stringify(rows.map((r) => ({
    id: r.id, types: r.types, sig: attrSignature(Object.keys(r.history.a)), a: r.history.a, lo: r.history.lo, hi: r.history.hi,
    ...(r.scope ? { scope: r.scope } : {}),
    ...(r.box ? { min_lon: r.box.minLon, min_lat: r.box.minLat, max_lon: r.box.maxLon, max_lat: r.box.maxLat } : {}),
  })));
  // A replace drops what the stored entity had: its expiresAt too (entities given one take the general path).
  const merged = replace
    ? sql`types = excluded.types, scope = excluded.scope, expires_at = null, expiry_due = null`
    : sql`types = e.types || array(select t from unnest(excluded.types) t where t <> all(e.types))`;
  const result = await sql<FastUpserted & { subscribed: boolean }>`
    with x as materialized (
      select * from jsonb_to_recordset(${payload}::jsonb) as x(id text, types text[], scope text[], sig text, a jsonb,
        lo timestamptz, hi timestamptz, min_lon float8, min_lat float8, max_lon float8, max_lat float8)
    ), s as materialized (
      select ${tenantHasActiveSubscription(tenant, now)} as subscribed
    ), up as (
      insert into context_entity as e (tenant, id, types, attrs, attr_sig, scope, created_at, modified_at, min_lon, min_lat, max_lon, max_lat)
      select ${tenant}, id, types, a, sig, scope, ${now}::timestamptz, ${now}::timestamptz, min_lon, min_lat, max_lon, max_lat from x
      ${alone ? sql`where not (select subscribed from s)` : sql``}
      on conflict (tenant, id) do update set attrs = excluded.attrs, modified_at = excluded.modified_at, ${merged},
        min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = excluded.max_lon, max_lat = excluded.max_lat
      where e.attr_sig = excluded.attr_sig
      returning e.id, e.xmax::text = '0' as created, e.types, e.scope, e.created_at, e.attr_created
    ), h as (
      insert into context_history (tenant, entity_id, recorded_at, obs_min, obs_max, attrs, deleted)
      select ${tenant}, x.id, ${now}::timestamptz, x.lo, x.hi, x.a, '{}' from x join up on up.id = x.id where x.a <> '{}'::jsonb
    )
    select up.*, s.subscribed from s left join up on true`.execute(db);
  // one row of nulls beside the flag when nothing was written
  return { subscribed: result.rows[0]?.subscribed ?? false, rows: result.rows.filter((r) => r.id !== null) };
}

export interface UpsertInput {
  id: string;
  types: string[];
  scope?: string[] | null;
  /** Bounding box of the given `location`. */
  box?: BBox;
  /** Whether the given `location` has a default instance (then its box is the entity's after a merge). */
  defaultLocation: boolean;
  /** The given attributes as the history stores them (history-store historyRecord): the only copy sent. */
  history: HistoryRecord;
}

/** What an upsert did to one entity; the new state only when the tenant has active subscriptions. */
export interface UpsertedRow {
  id: string;
  created: boolean;
  /** Attributes the replace removed (they were stored, not given). */
  deleted: string[];
  /** Whether the tenant has an active subscription (then the state below is filled). */
  subscribed: boolean;
  types: string[] | null;
  attrs: Attrs | null;
  scope: string[] | null;
  created_at: Date | null;
}

const sameDataset = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) => sql`coalesce(${a}->>'datasetId', '') = coalesce(${b}->>'datasetId', '')`;

/**
 * The jsonb expressions of upsertMerging, over `a` (one given attribute: key, value = its instances without
 * createdAt/modifiedAt), `ol.v` (the stored instances of that attribute, null when none) and `now` (the write
 * time as a jsonb string). Most attributes have one instance on either side: those take the branches without
 * subqueries.
 */
const ol = sql`ol.v`;
/** A given instance as stored: the createdAt of the stored instance with its datasetId (else now), modifiedAt now. */
const stamped = (v: RawBuilder<unknown>, created: RawBuilder<unknown>) =>
  sql`${v} || jsonb_build_object('createdAt', coalesce(${created}, now.t), 'modifiedAt', now.t)`;
const storedCreated = (v: RawBuilder<unknown>) => sql`case when ${sameDataset(sql`${ol}->0`, v)} then ${ol}->0->'createdAt'
  else (select oi.v->'createdAt' from jsonb_array_elements(${ol}) oi(v) where ${sameDataset(sql`oi.v`, v)} limit 1) end`;
/** replaceAttrs of one attribute: the given instances, in order, keeping createdAt. */
const replacedList = sql`case when jsonb_array_length(a.value) = 1 then jsonb_build_array(${stamped(sql`(a.value->0)`, storedCreated(sql`(a.value->0)`))})
  else (select jsonb_agg(${stamped(sql`n.v`, storedCreated(sql`n.v`))} order by n.ord) from jsonb_array_elements(a.value) with ordinality n(v, ord)) end`;
/**
 * mergeAttrs of one attribute: each given instance replaces the stored one with its datasetId (keeping its
 * createdAt) in its place or is appended; the default instance first.
 */
const mergedList = sql`case when ${ol} is null or (jsonb_array_length(${ol}) = 1 and jsonb_array_length(a.value) = 1 and ${sameDataset(sql`${ol}->0`, sql`a.value->0`)})
  then ${replacedList}
  else (select jsonb_agg(s.v order by s.dk <> '', s.pos) from (
    select case when n.v is null then oi.v else ${stamped(sql`n.v`, sql`oi.v->'createdAt'`)} end as v, coalesce(oi.v->>'datasetId', '') as dk, oi.ord as pos
    from jsonb_array_elements(${ol}) with ordinality oi(v, ord)
    left join jsonb_array_elements(a.value) n(v) on ${sameDataset(sql`n.v`, sql`oi.v`)}
    union all
    select ${stamped(sql`n.v`, sql`null`)}, coalesce(n.v->>'datasetId', ''), 1000000 + n.ord
    from jsonb_array_elements(a.value) with ordinality n(v, ord)
    where not exists (select 1 from jsonb_array_elements(${ol}) oi(v) where ${sameDataset(sql`oi.v`, sql`n.v`)})
  ) s) end`;
// The stored instances of each given attribute are looked up once (a lateral column): the expressions use them
// up to four times, and each lookup searched and copied them out of the whole stored attrs (about 2 ms of a
// 100 × 10 batch).
const eachGiven = (list: RawBuilder<unknown>) => sql`coalesce((select jsonb_object_agg(a.key, ${list})
  from jsonb_each(x.h) a cross join lateral (select o.attrs->a.key) ol(v)), '{}'::jsonb)`;

/**
 * Batch upsert (§5.6.8) of entities with several instances of an attribute (datasetIds), as one statement, so
 * a 100-entity call is one round trip: the stored rows are locked (FOR UPDATE sees the latest committed
 * version, as a separate read would), their timestamps filled in (withSysAttrs), and merged with the given
 * attributes in SQL — replaced (`replace`, the default: replaceAttrs) or merged (`options=update`: mergeAttrs)
 * — then written with INSERT … ON CONFLICT and, from the same rows, their history rows (data-modifying CTEs).
 * The given attributes travel once, as the history stores them; the stored instances are those plus
 * createdAt/modifiedAt (the form before storedForm, which reads the same; attr_sig null keeps such rows off
 * the fast path until a merge in TypeScript stores them in the new form). Nothing is read back unless the tenant has an active subscription, whose matching needs
 * the new state. The entities must have distinct ids (one statement cannot change a row twice) and the caller
 * must be in a transaction. Raw SQL: Kysely has no builder for record-set sources, locking CTEs or jsonb merges.
 */
export async function upsertMerging(db: Db, tenant: string, now: string, rows: UpsertInput[], replace: boolean): Promise<UpsertedRow[]> {
  if (rows.length === 0) return [];
  const payload = JSON.stringify(rows.map((r) => ({
    id: r.id, types: r.types, scope: r.scope ?? null, loc: r.defaultLocation,
    min_lon: r.box?.minLon ?? null, min_lat: r.box?.minLat ?? null, max_lon: r.box?.maxLon ?? null, max_lat: r.box?.maxLat ?? null,
    h: r.history.a, lo: r.history.lo ?? null, hi: r.history.hi ?? null,
  })));
  const replacing = sql.lit(replace);
  // Which box after a merge: the stored one when the entity keeps a stored location the given one does not replace.
  const keepBox = replace ? sql`false` : sql`o.attrs ? ${LOCATION} and not x.loc`;
  const box = (c: string) => sql`case when ${keepBox} then ${sql.ref(`o.${c}`)} else ${sql.ref(`x.${c}`)} end`;
  // The planner prices the jsonb subqueries by its default function estimates (100 rows each) and would
  // JIT-compile the statement for about a second on PostgreSQL; it runs in milliseconds without.
  await sql`set local jit = off`.execute(db);
  const result = await sql<UpsertedRow>`
    with now as materialized (select to_jsonb(${now}::text) as t),
    x as materialized (
      select * from jsonb_to_recordset(${payload}::jsonb) as x(id text, types text[], scope text[], loc boolean,
        min_lon float8, min_lat float8, max_lon float8, max_lat float8, h jsonb, lo timestamptz, hi timestamptz)
    ), o as materialized (
      select id, types, ${attrsWithSysAttrs} as attrs, scope, created_at, min_lon, min_lat, max_lon, max_lat from context_entity
      where tenant = ${tenant} and id in (select id from x)
      for update
    ), m as materialized (
      select x.id, o.id is null as created, o.created_at,
        ${replace ? eachGiven(replacedList) : sql`coalesce(o.attrs, '{}'::jsonb) || ${eachGiven(mergedList)}`} as attrs,
        case when o.id is null or ${replacing} then x.types else o.types || array(select t from unnest(x.types) t where t <> all(o.types)) end as types,
        case when o.id is null or ${replacing} then x.scope else o.scope end as scope,
        case when o.id is not null and ${replacing} then array(select k from jsonb_object_keys(o.attrs) k where not x.h ? k) else '{}'::text[] end as deleted,
        ${box('min_lon')} as min_lon, ${box('min_lat')} as min_lat, ${box('max_lon')} as max_lon, ${box('max_lat')} as max_lat,
        x.h, x.lo, x.hi
      from x cross join now left join o on o.id = x.id
    ), up as (
      insert into context_entity (tenant, id, types, attrs, scope, created_at, modified_at, min_lon, min_lat, max_lon, max_lat)
      select ${tenant}, id, types, attrs, scope, ${now}::timestamptz, ${now}::timestamptz, min_lon, min_lat, max_lon, max_lat from m
      on conflict (tenant, id) do update set types = excluded.types, attrs = excluded.attrs, attr_created = null, attr_sig = null,
        scope = excluded.scope, modified_at = excluded.modified_at, min_lon = excluded.min_lon, min_lat = excluded.min_lat,
        max_lon = excluded.max_lon, max_lat = excluded.max_lat${replace ? sql`, expires_at = null, expiry_due = null` : sql``}
      returning id
    ), h as (
      insert into context_history (tenant, entity_id, recorded_at, obs_min, obs_max, attrs, deleted)
      select ${tenant}, id, ${now}::timestamptz, least(lo, case when cardinality(deleted) > 0 then ${now}::timestamptz end),
        greatest(hi, case when cardinality(deleted) > 0 then ${now}::timestamptz end), h, deleted
      from m where h <> '{}'::jsonb or cardinality(deleted) > 0
    ), s as materialized (
      select ${tenantHasActiveSubscription(tenant, now)} as subscribed
    )
    select m.id, m.created, m.deleted, s.subscribed,
      case when s.subscribed then m.types end as types, case when s.subscribed then m.attrs end as attrs,
      case when s.subscribed then m.scope end as scope, case when s.subscribed then m.created_at end as created_at
    from m cross join s`.execute(db);
  return result.rows;
}

/** Entities whose expiresAt, or one of whose attribute instances' expiresAt, has come (the expiry job), earliest first. */
export const entitiesDueToExpire = (db: Db, now: Date, limit: number): Promise<{ tenant: string; id: string }[]> =>
  db.selectFrom('context_entity').select(['tenant', 'id'])
    .where('expiry_due', 'is not', null).where('expiry_due', '<=', now)
    .orderBy('expiry_due').limit(limit).execute();

/** When an entity expires next, after the expiry job found nothing due on it (a merge replaced what was). */
export const setExpiryDue = (db: Db, tenant: string, id: string, due: string | null) =>
  db.updateTable('context_entity').set({ expiry_due: due }).where('tenant', '=', tenant).where('id', '=', id).execute();

export async function deleteEntities(db: Db, tenant: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.deleteFrom('context_entity').where('tenant', '=', tenant).where('id', 'in', ids).returning('id').execute();
  return rows.map((r) => r.id);
}

function filtered(db: Db, f: EntityFilter) {
  const attrs = f.visible ? visibleAttrs(f.visible) : sql`attrs`;
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
  if (f.anyAttrs?.length) query = query.where(sql<boolean>`${attrs} ?| ${f.anyAttrs}::text[]`);
  if (f.scopeQ) query = query.where(scopeQSql(f.scopeQ));
  // The q predicate is an SQL/JSON path passed as a parameter; `silent` turns type errors into "no match".
  if (f.q) query = query.where(sql<boolean>`jsonb_path_match(${f.q.sysAttrs ? withSysAttrsSql(attrs) : attrs}, ${f.q.path}::jsonpath, ${JSON.stringify(f.q.vars)}::jsonb, true)`);
  if (f.linkedQ) query = query.where(linkedQSql(f.linkedQ, f, 'context_entity', 0));
  if (f.historyQ) {
    // The history's attributes narrowed as the current ones are: a hidden attribute's past is absent too.
    const history = historyAttrsSql(f.historyQ.window, f.historyQ.sysAttrs);
    query = query.where(sql<boolean>`jsonb_path_match(${f.visible ? visibleAttrs(f.visible, undefined, history) : history}, ${f.historyQ.path}::jsonpath, ${JSON.stringify(f.historyQ.vars)}::jsonb, true)`);
  }
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
const sortValue = (attrs: RawBuilder<unknown>, attr: string, keys: string[] = []) => {
  if (keys.length) return sql`(${attrs} #> array[${sql.join([attr, '0', 'value', ...keys])}]::text[])`;
  return sql`coalesce(${attrs} #> array[${attr}, '0', 'value'], ${attrs} #> array[${attr}, '0', 'object'], ${attrs} #> array[${attr}, '0', 'languageMap'])`;
};

/** Entities matching the filter, in orderBy order then by id; limit/offset applied when given. */
export async function queryEntities(db: Db, f: EntityFilter): Promise<EntityRow[]> {
  let query = filtered(db, f).select(ENTITY_COLUMNS);
  // A hidden attribute sorts as absent (last), so the order says nothing of its value.
  const attrs = f.visible ? visibleAttrs(f.visible) : sql`attrs`;
  for (const o of f.orderBy ?? []) {
    if (o.attr === 'id') query = query.orderBy('id', o.desc ? 'desc' : 'asc');
    else query = query.orderBy(sql`${sortValue(attrs, o.attr, o.keys)} ${sql.raw(o.desc ? 'desc' : 'asc')} nulls last`);
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
