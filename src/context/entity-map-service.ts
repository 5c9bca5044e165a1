import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { assertCan } from '../platform/auth/permissions.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { ngsiProblem } from './ngsi-errors.js';
import { expandTerm } from './jsonld-context.js';
import { expandList, isUri } from './entity-model.js';
import { namesDataAttribute } from './entity-query-service.js';
import { SourceFailure } from './csource-forwarder.js';
import type { Federation, FederatedQueryService } from './csource-federation.js';
import type { StoredRegistration } from './csource-model.js';
import type { TenantService } from './tenant-service.js';
import { managesAll, type RequestScope } from './request-scope.js';
import type { ContextConfig } from './config.js';
import type { EntityQueryParams, JsonObjectBody, OutputOptions, TemporalQuery } from './schemas.js';
import type { FederatedTemporalService } from './csource-temporal.js';
import type { TemporalQuery as TemporalQueryParams } from './temporal-schemas.js';
import * as store from './entity-map-store.js';

/** The map member that marks an entity held here (§5.2.39). */
export const LOCAL = '@none';
/** System attributes do not make a query narrow enough (§5.14.4.4 b, c). */
/** What an Update EntityMap body may hold: `expiresAt`; the rest is output-only and ignored (§5.14.2.4). */
const MEMBERS = new Set(['id', 'type', 'expiresAt', 'entityMap', 'linkedMaps', '@context']);

/** What creating an entity map takes besides the query: `local=true` (§5.5.13) and a suggested expiry. */
export interface EntityMapOptions {
  local?: boolean;
  expiresAt?: string;
}

/** Which create operation a map is made by: its operation name (Table 4.20-1), the sources' path, what else they get. */
interface MapKind {
  op: 'createEntityMapQueryEntity' | 'createEntityMapQueryTemporal';
  path: string;
  extra?: Record<string, string | undefined>;
  /** The local query (one page) when it is not Query Entities. */
  here?: (query: EntityQueryParams) => Promise<{ entities: Record<string, unknown>[] }>;
}
const ENTITY_QUERY: MapKind = { op: 'createEntityMapQueryEntity', path: '/entityMaps' };

/** GET /entities through an entity map: the page and the map's resource path (NGSILD-EntityMap). */
export interface MappedPage {
  entities: Record<string, unknown>[];
  count: number;
  location: string;
}

/** The query of one page of a map: exactly its ids, from the first. */
const pageQuery = (ids: string[]) => ({ id: ids.join(','), idPattern: undefined, limit: ids.length, offset: 0, count: false });

export const entityMapPath = (id: string) => `/ngsi-ld/v1/entityMaps/${encodeURIComponent(id)}`;

/**
 * Entity maps (ETSI GS CIM 009 v1.9 §5.14, §6.32, §6.34): a query's matching entity ids — those held here under
 * `"@none"`, those of each registered source that supports `createEntityMapQueryEntity` under the registration's
 * id, with the source's own map in `linkedMaps` — kept until `expiresAt`, so a client pages through one stable
 * list (GET /entities with the `NGSILD-EntityMap` header). A map belongs to its creator (and the data bureau):
 * it lists ids that the creator's access rules let it see, which another organisation may not.
 */
export class EntityMapService {
  private federation?: Federation;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly queries: FederatedQueryService,
    private readonly config: Pick<ContextConfig, 'maxLimit' | 'defaultLimit' | 'csources'>,
    /** The temporal query here (temporal entity maps). */
    private readonly temporal?: Pick<FederatedTemporalService, 'queryHere' | 'query'>,
  ) {}

  /** Set once at wiring (csources.ts): maps then include the sources' entities. */
  federate(federation: Federation): void {
    this.federation = federation;
  }

  /**
   * Create EntityMap for Query Entities (§5.14.4): the query runs here and at the matching sources; the map is
   * stored and returned with its path.
   *
   * @example const { map, location } = await maps.create(scope, { type: 'Streetlight', q: 'powerState=="on"' }, {});
   */
  async create(scope: RequestScope, p: EntityQueryParams, o: EntityMapOptions): Promise<{ map: Record<string, unknown>; location: string }> {
    return this.make(scope, p, o, ENTITY_QUERY);
  }

  /**
   * Create EntityMap for Query Temporal Evolution of Entities (v1.9 §5.14.5, GET/POST /temporal/entityMaps): the
   * entities a temporal query selects (its time window is checked as the query's is; the entities are those the
   * query lists, chosen by its entity filter), here and at the sources registered for `createEntityMapQueryTemporal`.
   * The map is an EntityMap like any other (/entityMaps/{id}).
   */
  async createTemporal(scope: RequestScope, p: Omit<TemporalQuery, 'coordinates'> & { coordinates?: unknown }, o: EntityMapOptions): Promise<{ map: Record<string, unknown>; location: string }> {
    assertCan(scope.actor, 'context.entity.read');
    const temporal = this.temporal;
    if (!temporal) throw ngsiProblem('OperationNotSupported', 'temporal entity maps are not available here');
    const { timerel, timeAt, endTimeAt, lastN, aggrMethods, aggrPeriodDuration, ...filter } = p;
    if (aggrMethods !== undefined || aggrPeriodDuration !== undefined) {
      throw ngsiProblem('BadRequestData', 'an entity map lists entities: aggrMethods and aggrPeriodDuration do not apply', { errors: [{ field: `/query/${aggrMethods !== undefined ? 'aggrMethods' : 'aggrPeriodDuration'}`, message: 'not a member of this query' }] });
    }
    const window = { timerel, timeAt, endTimeAt };
    // The entities the temporal query lists here (its window checked as the query checks it), page by page;
    // one instance each is enough to list them.
    const here = ({ pick: _pick, options: _options, ...query }: EntityQueryParams) => temporal.queryHere(scope, { ...query, ...window, lastN: 1 } as TemporalQuery);
    const extra = { ...window, lastN: lastN === undefined ? undefined : String(lastN) };
    return this.make(scope, filter, o, { op: 'createEntityMapQueryTemporal', path: '/temporal/entityMaps', extra, here });
  }

  private async make(scope: RequestScope, p: EntityQueryParams, o: EntityMapOptions, kind: MapKind): Promise<{ map: Record<string, unknown>; location: string }> {
    assertCan(scope.actor, 'context.entity.read');
    this.assertNarrow(p, o);
    const now = this.clock();
    const expiresAt = this.expiryOf(o.expiresAt, now);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const body: store.EntityMapBody = { entityMap: {}, linkedMaps: {} };
    for (const id of await this.localIds(scope, p, kind)) body.entityMap[id] = [LOCAL];
    if (!o.local) await this.addSources(scope, p, o, body, kind);
    if (Object.keys(body.entityMap).length > this.config.csources.entityMapMaxEntities) {
      throw ngsiProblem('TooManyResults', `the query selects more than ${this.config.csources.entityMapMaxEntities} entities (csources.entityMapMaxEntities); narrow it`);
    }
    const id = `urn:ngsi-ld:EntityMap:${randomUUID()}`;
    await store.purgeExpiredEntityMaps(this.db, now);
    await store.insertEntityMap(this.db, { tenant, id, owner: actorRef(scope.actor), body, expires_at: expiresAt, created_at: now });
    return { map: render(id, expiresAt, body), location: entityMapPath(id) };
  }

  /** Retrieve EntityMap (§5.14.1). */
  async get(scope: RequestScope, id: string): Promise<Record<string, unknown>> {
    const row = await this.find(scope, id);
    return render(row.id, row.expires_at, row.body);
  }

  /** Update EntityMap (§5.14.2): `expiresAt` changes; output-only members are ignored; anything else is 400. */
  async update(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    const row = await this.find(scope, id);
    for (const k of Object.keys(body)) {
      if (!MEMBERS.has(k)) throw ngsiProblem('BadRequestData', `an EntityMap has no member ${k} that can be updated (only expiresAt)`, { errors: [{ field: `/body/${k}`, message: 'not an updatable EntityMap member' }] });
    }
    if (body.type !== undefined && body.type !== 'EntityMap') throw ngsiProblem('BadRequestData', 'type must be EntityMap', { errors: [{ field: '/body/type', message: 'must be EntityMap' }] });
    if (body.expiresAt === undefined) return;
    if (typeof body.expiresAt !== 'string') throw ngsiProblem('BadRequestData', 'expiresAt must be a date-time', { errors: [{ field: '/body/expiresAt', message: 'must be a date-time' }] });
    await store.setEntityMapExpiry(this.db, row.tenant, row.id, this.expiryOf(body.expiresAt, this.clock(), '/body/expiresAt'));
  }

  /** Delete EntityMap (§5.14.3). */
  async delete(scope: RequestScope, id: string): Promise<void> {
    const row = await this.find(scope, id);
    await store.deleteEntityMap(this.db, row.tenant, row.id);
  }

  /**
   * GET /entities with `entityMap=true` or an `NGSILD-EntityMap` header (§5.7.2): the page is cut from the map's
   * ids (in the map's order) and those entities are read again with the query's filters, so paging is stable
   * while entities come and go. A header naming a map that is gone (or expired, or another's) makes a new one,
   * as `entityMap=true` does. Undefined when the request asks for neither.
   */
  async query(scope: RequestScope, p: EntityQueryParams & { entityMap?: boolean }, o: OutputOptions, header: string | undefined): Promise<MappedPage | undefined> {
    if (!p.entityMap && !header) return undefined;
    return this.pageOfMap(scope, p, header, async () => (await this.create(scope, p, {})).map.id as string,
      async (ids) => (await this.queries.queryEntities(scope, { ...p, ...pageQuery(ids) }, o)).entities);
  }

  /**
   * GET /temporal/entities with an `NGSILD-EntityMap` header (v1.9 §5.14.5): as `query` for entities, the page
   * is cut from the map's ids and their history read with the query (its filters and window, sources too); a
   * header naming a map that is gone makes a new temporal map. Undefined without the header. `range` is the
   * page's Content-Range when the temporal limit cut its instances (§6.3.10).
   */
  async queryTemporal(scope: RequestScope, p: TemporalQueryParams, header: string | undefined): Promise<(MappedPage & { range?: string }) | undefined> {
    const temporal = this.temporal;
    if (!header || !temporal) return undefined;
    let range: string | undefined;
    const page = await this.pageOfMap(scope, p, header, async () => (await this.createTemporal(scope, p, {})).map.id as string, async (ids) => {
      const r = await temporal.query(scope, { ...p, ...pageQuery(ids) });
      range = r.range;
      return r.entities;
    });
    return { ...page, range };
  }

  /**
   * The page `offset`/`limit` of the map the header names (a new one from `make` when it is gone, expired or
   * another's), its entities read by `read` and put back in the map's order.
   */
  private async pageOfMap(scope: RequestScope, p: { offset?: number; limit?: number }, header: string | undefined,
    make: () => Promise<string>, read: (ids: string[]) => Promise<Record<string, unknown>[]>): Promise<MappedPage> {
    let row = header ? await this.findOwn(scope, idOfHeader(header)) : undefined;
    if (!row) {
      row = await this.findOwn(scope, await make());
      if (!row) throw ngsiProblem('InternalError', 'the entity map just made is gone');
    }
    const ids = Object.keys(row.body.entityMap);
    const offset = p.offset ?? 0;
    const page = ids.slice(offset, offset + (p.limit ?? this.config.defaultLimit));
    const location = entityMapPath(row.id);
    if (page.length === 0) return { entities: [], count: ids.length, location };
    const byId = new Map((await read(page)).map((e) => [e.id, e]));
    return { entities: page.map((id) => byId.get(id)).filter((e): e is Record<string, unknown> => e !== undefined), count: ids.length, location };
  }

  /** §5.14.4.4: a type, a non-system attribute (in attrs or q), a geo-query or local scope; else the query is too wide. */
  private assertNarrow(p: EntityQueryParams, o: EntityMapOptions): void {
    if (p.type || namesDataAttribute(p) || p.georel || o.local) return;
    throw ngsiProblem('BadRequestData', 'an entity map needs a type, a non-system attribute (attrs or q), a geo-query or local=true (the query is too wide)');
  }

  /** A suggested expiry, at most `entityMapSeconds` ahead; none: that long. */
  private expiryOf(given: string | undefined, now: Date, field = '/query/expiresAt'): Date {
    const max = new Date(now.getTime() + this.config.csources.entityMapSeconds * 1000);
    if (given === undefined) return max;
    const t = Date.parse(given);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(given) || Number.isNaN(t)) throw ngsiProblem('BadRequestData', `expiresAt ${given} is not a date-time`, { errors: [{ field, message: 'must be an ISO 8601 date-time' }] });
    if (t <= now.getTime()) throw ngsiProblem('BadRequestData', 'expiresAt must be in the future', { errors: [{ field, message: 'must be in the future' }] });
    return t < max.getTime() ? new Date(t) : max;
  }

  /** The ids held here that the query selects, page by page (the caller's access rules apply as to any query). */
  private async localIds(scope: RequestScope, p: EntityQueryParams, kind: MapKind): Promise<string[]> {
    const out: string[] = [];
    const limit = this.config.maxLimit;
    const cap = this.config.csources.entityMapMaxEntities;
    // `pick` is refused with `attrs` (attrs also selects: an entity needs one of them), so ids come keyValues.
    const shape = p.attrs ? { options: 'keyValues' } : { pick: 'id', options: 'keyValues' };
    for (let offset = 0; out.length <= cap; offset += limit) {
      const query = { ...p, ...shape, limit, offset, count: false, join: undefined, joinLevel: undefined };
      const { entities } = kind.here ? await kind.here(query) : await this.queries.queryHere(scope, query, query);
      out.push(...entities.map((e) => String(e.id)));
      if (entities.length < limit) break;
    }
    return out;
  }

  /** Each matching source makes its own map (§5.14.4.4); its ids are added under the registration's id. */
  private async addSources(scope: RequestScope, p: EntityQueryParams, o: EntityMapOptions, body: store.EntityMapBody, kind: MapKind): Promise<void> {
    const fed = this.federation;
    if (!fed) return;
    const types = p.type?.split(/[,|]/).map((s) => s.trim()).filter(Boolean).map((t) => expandTerm(scope.ctx, t));
    const ids = p.id?.split(',').map((s) => s.trim()).filter(Boolean);
    const regs = await fed.matching(scope, kind.op, { types, ids, attrs: expandList(scope.ctx, p.attrs) });
    if (regs.length === 0 || !(await fed.mayQuerySources(scope, types))) return;
    const ask = async (reg: StoredRegistration) => {
      const qs = new URLSearchParams();
      for (const k of ['type', 'id', 'idPattern', 'attrs', 'q', 'scopeQ', 'georel', 'geometry', 'coordinates', 'geoproperty', 'expandValues'] as const) {
        const v = p[k];
        if (v !== undefined) qs.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      }
      for (const [k, v] of Object.entries(kind.extra ?? {})) if (v !== undefined) qs.set(k, v);
      if (o.expiresAt) qs.set('expiresAt', o.expiresAt);
      const a = await fed.forwarder.call(reg, 'GET', kind.path, { ctx: scope.ctx, query: qs });
      const map = a.body as { id?: unknown; entityMap?: unknown } | undefined;
      if (a.status !== 201 || !map || !isUri(map.id) || !map.entityMap || typeof map.entityMap !== 'object') throw new SourceFailure(reg.endpoint, `answered ${a.status} without an EntityMap`);
      const located = a.headers['ngsild-entitymap'];
      body.linkedMaps[reg.id] = typeof located === 'string' && located.startsWith('/') ? `${reg.endpoint}${located}` : `${reg.endpoint}${entityMapPath(map.id)}`;
      for (const id of Object.keys(map.entityMap as object).slice(0, this.config.csources.maxEntitiesPerSource)) {
        if (!isUri(id)) continue;
        body.entityMap[id] = [...(body.entityMap[id] ?? []), reg.id];
      }
      return [];
    };
    await fed.gather(regs.filter((r) => r.registration.mode !== 'auxiliary'), ask);
  }

  /** The caller's live map, or 404 (a map of another's is as absent as one that never was). */
  private async find(scope: RequestScope, id: string): Promise<store.EntityMapRow> {
    assertCan(scope.actor, 'context.entity.read');
    if (!isUri(id)) throw ngsiProblem('BadRequestData', 'entity map id must be a URI', { errors: [{ field: '/params/entityMapId', message: 'must be a URI' }] });
    const row = await this.findOwn(scope, id);
    if (!row) throw ngsiProblem('ResourceNotFound', `entity map ${id} does not exist`);
    return row;
  }

  private async findOwn(scope: RequestScope, id: string): Promise<store.EntityMapRow | undefined> {
    if (!isUri(id)) return undefined;
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await store.findEntityMap(this.db, tenant, id, this.clock());
    return row && (row.owner === actorRef(scope.actor) || managesAll(scope.actor)) ? row : undefined;
  }
}

/** §5.2.39 EntityMap. */
const render = (id: string, expiresAt: Date, body: store.EntityMapBody): Record<string, unknown> => ({
  id, type: 'EntityMap', expiresAt: expiresAt.toISOString(), entityMap: body.entityMap, linkedMaps: body.linkedMaps,
});

/** The header names the map by its id or by its path (`/ngsi-ld/v1/entityMaps/<id>`), either form. */
const idOfHeader = (header: string): string => {
  const last = header.trim().split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
};
