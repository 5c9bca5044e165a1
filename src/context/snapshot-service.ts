import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { assertCan } from '../platform/auth/permissions.js';
import { actorRef } from '../platform/auth/roles.js';
import { isProblem } from '../platform/errors/problem.js';
import { ngsiProblem, problemDetails } from './ngsi-errors.js';
import { expandList, isUri, renderEntity, type StoredEntity } from './entity-model.js';
import { renderOptions, type EntityQueryService } from './entity-query-service.js';
import { paramsOfQueryBody } from './entity-routes.js';
import { expandTerm } from './jsonld-context.js';
import { evaluateQ, parseQ, qTerms } from './q-language.js';
import { checkIdPattern, patternTest } from './safe-regex.js';
import { matchesScopeQ, parseScopeQ } from './scope-query.js';
import type { AccessRuleService } from './access-service.js';
import type { TenantService } from './tenant-service.js';
import { managesAll, type RequestScope } from './request-scope.js';
import type { ContextConfig } from './config.js';
import type { EntityQueryParams, OutputOptions, QueryBody } from './schemas.js';
import * as store from './snapshot-store.js';
import { durationSeconds, parseDuration } from './iso-duration.js';

/** What creating or cloning a snapshot, or updating one, is (the members allowed differ, §5.2.41 Tables 5.2.41-1/-2). */
type Mode = 'create' | 'clone' | 'update';

/** Members a client sets (Table 5.2.41-1). */
const INPUT = new Set(['id', 'type', 'snapshotQueries', 'snapshotTemporalQueries', 'snapshotLifetime', 'snapshotPriority', 'endpoint', 'receiverInfo', '@context']);
/** Output-only members (Table 5.2.41-2): ignored when sent. */
const OUTPUT = new Set(['snapshotStatus', 'snapshotQueriesDetails', 'snapshotTemporalQueriesDetails', 'createdAt', 'modifiedAt', 'expiresAt', 'lastUsedAt']);
/** The members a purge's q may name (§5.16.7.4: restricted to the members of the Snapshot data type). */
const MEMBERS = new Set([...INPUT, ...OUTPUT].filter((m) => m !== '@context'));
/** The query parameters answered from a snapshot's copy; the others are refused, not ignored. */
const UNSUPPORTED_ON_SNAPSHOT = ['georel', 'geometry', 'coordinates', 'geoproperty', 'orderBy', 'join', 'joinLevel', 'containedBy', 'entityMap', 'csf', 'expandValues'] as const;

/** §5.2.42 ExecutionResultDetails of one query. */
interface ResultDetails {
  resultStatus: 'success' | 'empty' | 'failure';
  problemDetails?: ReturnType<typeof problemDetails>;
}

/** A snapshot's members as a client sent them, checked. */
interface Members {
  id?: string;
  snapshotQueries?: QueryBody[];
  snapshotTemporalQueries?: QueryBody[];
  snapshotLifetime?: string;
  snapshotPriority?: number;
}

export const snapshotPath = (id: string) => `/ngsi-ld/v1/snapshots/${encodeURIComponent(id)}`;

const bad = (detail: string, field: string, message: string) => ngsiProblem('BadRequestData', detail, { errors: [{ field, message }] });

/**
 * Snapshots (ETSI GS CIM 009 v1.9.1 §5.16, HTTP §6.36–6.38, §6.3.22): a frozen copy of what a set of queries
 * selected, which GET /entities and GET /entities/{id} answer from when the request names it in `NGSILD-Snapshot`
 * (the live entities may change meanwhile). The queries run when the snapshot is made (the create answers once the
 * copy is complete, so a snapshot is never seen `preparing`); each is reported in `snapshotQueriesDetails`.
 *
 * A snapshot belongs to its creator (and the data bureau), in its tenant: it holds what the creator's access rules
 * let it read, which another organisation may not; the reader's rules apply again on every read. Bounded by
 * `modules.context.snapshots`: snapshots per tenant, entities per snapshot, lifetime.
 */
export class SnapshotService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly queries: EntityQueryService,
    private readonly access: AccessRuleService,
    private readonly config: Pick<ContextConfig, 'snapshots' | 'maxLimit' | 'defaultLimit' | 'patternMaxLength'>,
  ) {}

  /**
   * Create Snapshot (§5.16.1): the queries run now, their entities are copied.
   *
   * @example const { location } = await snapshots.create(scope, { type: 'Snapshot', snapshotQueries: [{ type: 'Query', entities: [{ type: 'Streetlight' }] }] });
   */
  async create(scope: RequestScope, body: unknown): Promise<{ snapshot: Record<string, unknown>; location: string }> {
    assertCan(scope.actor, 'context.snapshot.manage');
    const m = checkMembers(body, 'create');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const now = this.clock();
    const id = await this.freeId(tenant, m.id, now);
    await this.assertRoom(tenant, now);
    const policy = await this.access.forReading(scope);
    const frozen = new Map<string, StoredEntity>();
    const queriesDetails: ResultDetails[] = [];
    for (const q of m.snapshotQueries ?? []) queriesDetails.push(await this.freeze(scope, tenant, q, frozen, (e) => policy.project(e)));
    // Temporal snapshots (snapshotTemporalQueries) are not copied here: each such query is reported failed.
    const temporalDetails: ResultDetails[] = (m.snapshotTemporalQueries ?? []).map(() => ({
      resultStatus: 'failure' as const,
      problemDetails: problemDetails(ngsiProblem('OperationNotSupported', 'temporal snapshots (snapshotTemporalQueries) are not supported by this broker')),
    }));
    const members: Record<string, unknown> = {
      ...(m.snapshotQueries ? { snapshotQueries: m.snapshotQueries } : {}),
      ...(m.snapshotTemporalQueries ? { snapshotTemporalQueries: m.snapshotTemporalQueries } : {}),
      ...(m.snapshotLifetime ? { snapshotLifetime: m.snapshotLifetime } : {}),
      snapshotPriority: m.snapshotPriority ?? 5,
      snapshotStatus: statusOf([...queriesDetails, ...temporalDetails]),
      ...(m.snapshotQueries ? { snapshotQueriesDetails: queriesDetails } : {}),
      ...(m.snapshotTemporalQueries ? { snapshotTemporalQueriesDetails: temporalDetails } : {}),
    };
    return this.save(scope, tenant, id, members, m.snapshotLifetime, now, [...frozen.values()].map(toRow));
  }

  /** Clone Snapshot (§5.16.2): a new snapshot holding the same copy; the body may set id, lifetime and priority. */
  async clone(scope: RequestScope, sourceId: string, body: unknown): Promise<{ snapshot: Record<string, unknown>; location: string }> {
    const source = await this.find(scope, sourceId);
    const m = checkMembers(body ?? {}, 'clone');
    const now = this.clock();
    const id = await this.freeId(source.tenant, m.id, now);
    await this.assertRoom(source.tenant, now);
    const entities = await store.snapshotEntities(this.db, source.tenant, source.id);
    // The copy, its queries and their results are the source's; lifetime and priority are the clone's own.
    const members: Record<string, unknown> = { ...source.body, snapshotPriority: m.snapshotPriority ?? source.body.snapshotPriority };
    if (m.snapshotLifetime) members.snapshotLifetime = m.snapshotLifetime;
    else delete members.snapshotLifetime;
    return this.save(scope, source.tenant, id, members, m.snapshotLifetime, now, entities);
  }

  /** Retrieve Snapshot Status (§5.16.3). */
  async get(scope: RequestScope, id: string): Promise<Record<string, unknown>> {
    return render(await this.find(scope, id));
  }

  /** GET /snapshots (a CityHub listing, not in §6.36): the caller's live snapshots in the tenant, oldest first. */
  async list(scope: RequestScope, page: { limit?: number; offset?: number }): Promise<Record<string, unknown>[]> {
    assertCan(scope.actor, 'context.snapshot.manage');
    const limit = this.pageSize(page.limit);
    const rows = await this.visible(scope);
    return rows.slice(page.offset ?? 0, (page.offset ?? 0) + limit).map(render);
  }

  /**
   * Update Snapshot status (§5.16.4): snapshotLifetime (which moves expiresAt, from now) and snapshotPriority;
   * the queries and the id cannot change; output-only members are ignored.
   */
  async update(scope: RequestScope, id: string, body: unknown): Promise<void> {
    const row = await this.find(scope, id);
    const m = checkMembers(body, 'update');
    const now = this.clock();
    const members = { ...row.body };
    if (m.snapshotPriority !== undefined) members.snapshotPriority = m.snapshotPriority;
    if (m.snapshotLifetime !== undefined) members.snapshotLifetime = m.snapshotLifetime;
    const expiresAt = m.snapshotLifetime !== undefined ? this.expiryOf(m.snapshotLifetime, now) : row.expires_at;
    await store.updateSnapshot(this.db, row.tenant, row.id, members, expiresAt, now);
  }

  /** Delete Snapshot (§5.16.5): the snapshot and its copy. */
  async delete(scope: RequestScope, id: string): Promise<void> {
    const row = await this.find(scope, id);
    await store.deleteSnapshots(this.db, row.tenant, [row.id]);
  }

  /**
   * Purge Snapshots (§5.16.7, DELETE /snapshots?q=…): those of the caller's the query selects. The query is
   * required and names Snapshot members only (`snapshotPriority<3`, `snapshotStatus=="failure"`,
   * `lastUsedAt<"2026-12-01T00:00:00Z"`); it answers how many were deleted.
   */
  async purge(scope: RequestScope, q: string | undefined): Promise<number> {
    assertCan(scope.actor, 'context.snapshot.manage');
    if (q === undefined || q.trim() === '') throw bad('purging snapshots needs a q over Snapshot members', '/query/q', 'required');
    const expr = parseQ(q, this.config.patternMaxLength);
    const alien = qTerms(expr).find((t) => !MEMBERS.has(t.attr));
    if (alien) throw bad(`q may only name members of the Snapshot data type, not ${alien.attr}`, '/query/q', 'not a Snapshot member');
    const rows = await this.visible(scope);
    const selected = rows.filter((row) => evaluateQ(expr, asAttributes(render(row)), (t) => t));
    if (selected.length === 0) return 0;
    return store.deleteSnapshots(this.db, selected[0].tenant, selected.map((r) => r.id));
  }

  /**
   * GET /entities and POST /entityOperations/query with `NGSILD-Snapshot` (§6.3.22, §5.5.15): the query answered from the snapshot's copy, with id,
   * type, idPattern, attrs, q, scopeQ, paging, count and the output options; geo-queries, orderBy, join and entity
   * maps are refused (422) rather than ignored.
   */
  async query(scope: RequestScope, snapshotId: string, p: EntityQueryParams, o: OutputOptions): Promise<{ entities: Record<string, unknown>[]; count?: number }> {
    const row = await this.find(scope, snapshotId);
    // POST /entityOperations/query carries join and containedBy in the output options, GET /entities in both.
    const given: Record<string, unknown> = { ...o, ...p };
    const asked = UNSUPPORTED_ON_SNAPSHOT.find((k) => given[k] !== undefined) ?? (o.geoJson ? 'application/geo+json' : undefined);
    if (asked) throw ngsiProblem('OperationNotSupported', `${asked} is not supported on a snapshot (NGSILD-Snapshot) here`);
    const limit = this.pageSize(p.limit);
    const ctx = scope.ctx;
    const ro = renderOptions(ctx, o);
    const ids = p.id?.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids && !ids.every(isUri)) throw ngsiProblem('BadRequestData', 'id must be a comma-separated list of URIs');
    const types = p.type?.split(/[,|]/).map((s) => s.trim()).filter(Boolean).map((t) => expandTerm(ctx, t));
    if (p.idPattern !== undefined) checkIdPattern(p.idPattern, this.config.patternMaxLength);
    const q = p.q !== undefined ? parseQ(p.q, this.config.patternMaxLength) : undefined;
    const scopeQ = parseScopeQ(p.scopeQ, this.config.patternMaxLength);
    const anyAttrs = expandList(ctx, p.attrs);
    const policy = await this.access.forReading(scope);
    const matches = (await this.frozenEntities(row, { ids, types }))
      .filter((e) => policy.canReadEntity(e.types))
      .map((e) => policy.project(e))
      .filter((e) => (p.idPattern === undefined || patternTest(p.idPattern, e.id, this.config.patternMaxLength))
        && (!q || evaluateQ(q, e.attrs, (t) => expandTerm(ctx, t)))
        && (!scopeQ || matchesScopeQ(scopeQ, e.scope ?? []))
        && (!anyAttrs || anyAttrs.some((a) => a in e.attrs)));
    await store.touchSnapshot(this.db, row.tenant, row.id, this.clock());
    const offset = p.offset ?? 0;
    const entities = matches.slice(offset, offset + limit).map((e) => renderEntity(ctx, e, ro));
    return { entities, count: p.count ? matches.length : undefined };
  }

  /** GET /entities/{id} with `NGSILD-Snapshot`: the entity as the snapshot froze it, 404 when it holds none. */
  async getEntity(scope: RequestScope, snapshotId: string, entityId: string, o: OutputOptions): Promise<Record<string, unknown>> {
    const row = await this.find(scope, snapshotId);
    if (o.geoJson || o.join !== undefined) throw ngsiProblem('OperationNotSupported', `${o.geoJson ? 'application/geo+json' : 'join'} is not supported on a snapshot (NGSILD-Snapshot) here`);
    if (!isUri(entityId)) throw ngsiProblem('BadRequestData', `entity id must be a URI, got ${String(entityId).slice(0, 80)}`);
    const ro = renderOptions(scope.ctx, o);
    const policy = await this.access.forReading(scope);
    const [e] = await this.frozenEntities(row, { ids: [entityId] });
    if (!e || !policy.canReadEntity(e.types)) throw ngsiProblem('ResourceNotFound', `entity ${entityId} is not in snapshot ${row.id}`);
    if (scope.typeSelector && !e.types.some((t) => scope.typeSelector!.includes(t))) throw ngsiProblem('ResourceNotFound', `entity ${entityId} is not of the type asked for`);
    await store.touchSnapshot(this.db, row.tenant, row.id, this.clock());
    return renderEntity(scope.ctx, policy.project(e), ro);
  }

  /** Runs one query (§5.2.23) as its creator, adding what it selects to `frozen`; a query that fails is reported, not thrown. */
  private async freeze(scope: RequestScope, tenant: string, query: QueryBody, frozen: Map<string, StoredEntity>, project: (e: StoredEntity) => StoredEntity): Promise<ResultDetails> {
    let ids: string[];
    const p = paramsOfQueryBody(query);
    try {
      ids = await this.selectedIds(scope, p);
    } catch (err) {
      // The snapshot's own bound fails the whole create (nothing stored); a query's own error is its result.
      if (!isProblem(err) || err.status >= 500 || err.extra?.maxEntities !== undefined) throw err;
      return { resultStatus: 'failure', problemDetails: problemDetails(err) };
    }
    const only = expandList(scope.ctx, p.attrs);
    for (let i = 0; i < ids.length; i += this.config.maxLimit) {
      for (const stored of await this.queries.findStored(tenant, ids.slice(i, i + this.config.maxLimit))) {
        const e = project(stored);
        const attrs = only ? Object.fromEntries(Object.entries(e.attrs).filter(([a]) => only.includes(a))) : e.attrs;
        const held = frozen.get(e.id);
        frozen.set(e.id, held ? { ...held, attrs: { ...held.attrs, ...attrs } } : { ...e, attrs });
      }
      if (frozen.size > this.config.snapshots.maxEntities) throw this.tooMany();
    }
    return { resultStatus: ids.length > 0 ? 'success' : 'empty' };
  }

  /** The ids a query selects here, with the caller's access rules, page by page; more than the bound is refused. */
  private async selectedIds(scope: RequestScope, p: EntityQueryParams): Promise<string[]> {
    const out: string[] = [];
    const limit = this.config.maxLimit;
    // `pick` is refused with `attrs` (attrs also selects: an entity needs one of them), so ids come keyValues.
    const shape = p.attrs ? { options: 'keyValues' } : { pick: 'id', options: 'keyValues' };
    for (let offset = 0; ; offset += limit) {
      const page = { ...p, ...shape, limit, offset, count: false };
      const { entities } = await this.queries.queryHere(scope, page, page);
      out.push(...entities.map((e) => String(e.id)));
      if (out.length > this.config.snapshots.maxEntities) throw this.tooMany();
      if (entities.length < limit) return out;
    }
  }

  private tooMany() {
    const max = this.config.snapshots.maxEntities;
    return ngsiProblem('TooManyResults', `a snapshot holds at most ${max} entities (modules.context.snapshots.maxEntities); narrow its queries`, { extra: { maxEntities: max } });
  }

  /** The tenant's bound on snapshots, checked before any query runs (403 naming the rule). */
  private async assertRoom(tenant: string, now: Date): Promise<void> {
    const held = await store.countSnapshots(this.db, tenant, now);
    const max = this.config.snapshots.maxPerTenant;
    if (held >= max) throw ngsiProblem('TooManySnapshots', `the tenant keeps ${held} snapshots; at most ${max} (modules.context.snapshots.maxPerTenant): delete or purge some`, { extra: { maxPerTenant: max } });
  }

  /** Stores a new snapshot with its copy; the id taken meanwhile is 409. */
  private async save(scope: RequestScope, tenant: string, id: string, members: Record<string, unknown>, lifetime: string | undefined, now: Date, entities: store.SnapshotEntityRow[]) {
    if (entities.length > this.config.snapshots.maxEntities) throw this.tooMany();
    const row: store.SnapshotRow = {
      tenant, id, owner: actorRef(scope.actor), body: members, entity_count: entities.length,
      created_at: now, modified_at: now, last_used_at: now, expires_at: this.expiryOf(lifetime, now),
    };
    try {
      await store.insertSnapshot(this.db, row, entities);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw ngsiProblem('AlreadyExists', `snapshot ${id} already exists`);
      throw err;
    }
    return { snapshot: render(row), location: snapshotPath(id) };
  }

  /** The id asked for (409 when the tenant has it) or a new one; expired snapshots are dropped first. */
  private async freeId(tenant: string, asked: string | undefined, now: Date): Promise<string> {
    await store.purgeExpiredSnapshots(this.db, now);
    if (asked === undefined) return `urn:ngsi-ld:Snapshot:${randomUUID()}`;
    if (await store.snapshotExists(this.db, tenant, asked)) throw ngsiProblem('AlreadyExists', `snapshot ${asked} already exists`);
    return asked;
  }

  /** §5.16.1.4: the lifetime asked for, "applying the configured limit"; none asked: the default. */
  private expiryOf(lifetime: string | undefined, now: Date): Date {
    const { defaultLifetimeSeconds, maxLifetimeSeconds } = this.config.snapshots;
    const seconds = lifetime === undefined ? defaultLifetimeSeconds : Math.min(lifetimeSeconds(lifetime) ?? defaultLifetimeSeconds, maxLifetimeSeconds);
    return new Date(now.getTime() + seconds * 1000);
  }

  private pageSize(limit: number | undefined): number {
    const size = limit ?? this.config.defaultLimit;
    if (size > this.config.maxLimit) throw ngsiProblem('TooManyResults', `limit ${size} is above the maximum page size ${this.config.maxLimit}`, { extra: { maxLimit: this.config.maxLimit } });
    return size;
  }

  private async frozenEntities(row: store.SnapshotRow, f: { ids?: string[]; types?: string[] }): Promise<StoredEntity[]> {
    return (await store.snapshotEntities(this.db, row.tenant, row.id, f)).map((r) => ({ ...(r.entity as Omit<StoredEntity, 'id' | 'types'>), id: r.entity_id, types: r.types }));
  }

  /** The live snapshots the caller sees in its tenant: its own, or all for the data bureau. */
  private async visible(scope: RequestScope): Promise<store.SnapshotRow[]> {
    const tenant = await this.tenants.resolve(scope.tenant, false);
    return store.listSnapshots(this.db, tenant, managesAll(scope.actor) ? undefined : actorRef(scope.actor), this.clock());
  }

  /** The caller's live snapshot, or 404 (one of another's, of another tenant or expired is as absent as one that never was). */
  private async find(scope: RequestScope, id: string): Promise<store.SnapshotRow> {
    assertCan(scope.actor, 'context.snapshot.manage');
    if (!isUri(id)) throw bad('snapshot id must be a URI', '/params/snapshotId', 'must be a URI');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await store.findSnapshot(this.db, tenant, id, this.clock());
    if (!row || (row.owner !== actorRef(scope.actor) && !managesAll(scope.actor))) throw ngsiProblem('ResourceNotFound', `snapshot ${id} does not exist`);
    return row;
  }
}

/** §5.2.41 Snapshot. */
const render = (row: store.SnapshotRow): Record<string, unknown> => ({
  id: row.id, type: 'Snapshot', ...row.body,
  createdAt: row.created_at.toISOString(), modifiedAt: row.modified_at.toISOString(),
  lastUsedAt: row.last_used_at.toISOString(), expiresAt: row.expires_at.toISOString(),
});

const toRow = (e: StoredEntity): store.SnapshotEntityRow => {
  const { id, types, ...rest } = e;
  return { entity_id: id, types, entity: rest };
};

/** A snapshot's members as Properties, for a purge's q (each member's value is its own value). */
const asAttributes = (doc: Record<string, unknown>): Record<string, Record<string, unknown>[]> =>
  Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, [{ type: 'Property', value: v }]]));

/** §5.16.1.4 snapshotStatus from the queries' results: all with results, some, none (empty), or all failed. */
function statusOf(details: ResultDetails[]): string {
  const n = (s: ResultDetails['resultStatus']) => details.filter((d) => d.resultStatus === s).length;
  if (n('success') > 0) return n('failure') === 0 && n('empty') === 0 ? 'success' : 'partial';
  return n('empty') > 0 ? 'empty' : 'failure';
}

/** An xsd:duration (`P1D`, `PT12H`, `P2W`) in seconds (iso-duration.ts); undefined if it is not one or is zero. */
const lifetimeSeconds = (text: string): number | undefined => {
  const parts = parseDuration(text);
  const seconds = parts && durationSeconds(parts);
  return seconds ? seconds : undefined;
};

/** Checks a body against Table 5.2.41-1 for the operation; output-only members are ignored, others refused. */
function checkMembers(body: unknown, mode: Mode): Members {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('a Snapshot must be a JSON object', '/body', 'must be an object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!INPUT.has(k) && !OUTPUT.has(k)) throw bad(`a Snapshot has no member ${k}`, `/body/${k}`, 'not a Snapshot member');
  }
  if (mode === 'create' ? b.type !== 'Snapshot' : b.type !== undefined && b.type !== 'Snapshot') throw bad('type must be Snapshot', '/body/type', 'must be Snapshot');
  // Notifications on snapshot status (§5.16.6) are not sent by this broker: refused rather than kept silently.
  for (const k of ['endpoint', 'receiverInfo']) {
    if (b[k] !== undefined) throw ngsiProblem('OperationNotSupported', `${k}: snapshot notifications (§5.16.6) are not sent by this broker`, { errors: [{ field: `/body/${k}`, message: 'not supported' }] });
  }
  const m: Members = {};
  if (b.id !== undefined) {
    if (mode === 'update') throw bad('the id of a snapshot cannot be changed', '/body/id', 'cannot be updated');
    if (!isUri(b.id)) throw bad('snapshot id must be a URI', '/body/id', 'must be a URI');
    m.id = b.id as string;
  }
  for (const [k, temporal] of [['snapshotQueries', false], ['snapshotTemporalQueries', true]] as const) {
    if (b[k] === undefined) continue;
    if (mode !== 'create') throw bad(`${k} is set when a snapshot is created only`, `/body/${k}`, 'cannot be set after creation');
    m[k] = checkQueries(b[k], k, temporal);
  }
  if (mode === 'create' && !m.snapshotQueries && !m.snapshotTemporalQueries) {
    throw bad('a Snapshot needs snapshotQueries or snapshotTemporalQueries', '/body/snapshotQueries', 'required');
  }
  if (b.snapshotPriority !== undefined) {
    if (!Number.isInteger(b.snapshotPriority) || (b.snapshotPriority as number) < 1 || (b.snapshotPriority as number) > 10) {
      throw bad('snapshotPriority must be an integer from 1 to 10', '/body/snapshotPriority', 'must be an integer from 1 to 10');
    }
    m.snapshotPriority = b.snapshotPriority as number;
  }
  if (b.snapshotLifetime !== undefined) {
    if (typeof b.snapshotLifetime !== 'string' || lifetimeSeconds(b.snapshotLifetime) === undefined) {
      throw bad('snapshotLifetime must be an ISO 8601 duration (e.g. P1D, PT12H)', '/body/snapshotLifetime', 'must be a positive ISO 8601 duration');
    }
    m.snapshotLifetime = b.snapshotLifetime;
  }
  return m;
}

/** A non-empty array of Query (§5.2.23); a temporal snapshot's carry temporalQ, the others none. */
function checkQueries(raw: unknown, member: string, temporal: boolean): QueryBody[] {
  if (!Array.isArray(raw) || raw.length === 0) throw bad(`${member} must be a non-empty array of Query`, `/body/${member}`, 'must be a non-empty array');
  return raw.map((q, i) => {
    const field = `/body/${member}/${i}`;
    if (!q || typeof q !== 'object' || Array.isArray(q)) throw bad(`${member}[${i}] must be a Query object`, field, 'must be an object');
    const query = q as Record<string, unknown>;
    if (query.type !== 'Query') throw bad(`${member}[${i}] must have type Query`, `${field}/type`, 'must be Query');
    if (temporal !== (query.temporalQ !== undefined)) throw bad(`${member}[${i}] ${temporal ? 'needs' : 'cannot have'} a temporalQ`, `${field}/temporalQ`, temporal ? 'required' : 'not allowed');
    if (query.entities !== undefined && (!Array.isArray(query.entities) || !query.entities.every((e) => e && typeof e === 'object' && !Array.isArray(e)))) {
      throw bad(`${member}[${i}].entities must be an array of EntitySelector`, `${field}/entities`, 'must be an array of objects');
    }
    if (query.attrs !== undefined && (!Array.isArray(query.attrs) || !query.attrs.every((a) => typeof a === 'string'))) {
      throw bad(`${member}[${i}].attrs must be an array of attribute names`, `${field}/attrs`, 'must be an array of strings');
    }
    for (const k of ['q', 'scopeQ'] as const) {
      if (query[k] !== undefined && typeof query[k] !== 'string') throw bad(`${member}[${i}].${k} must be a string`, `${field}/${k}`, 'must be a string');
    }
    if (query.geoQ !== undefined && (!query.geoQ || typeof query.geoQ !== 'object')) throw bad(`${member}[${i}].geoQ must be an object`, `${field}/geoQ`, 'must be an object');
    return query as QueryBody;
  });
}
