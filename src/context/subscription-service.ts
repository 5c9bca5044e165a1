import { deliveryStatus } from './notification-status.js';
import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { assertCan } from '../platform/auth/permissions.js';
import { actorRef, type Actor, type Role } from '../platform/auth/roles.js';
import { OutboundUrlError, type OutboundPolicy } from '../platform/net/outbound.js';
import type { Logger } from 'pino';
import { ngsiProblem } from './ngsi-errors.js';
import { Problem } from '../platform/errors/problem.js';
import { compactIri, expandTerm, linkHeader, type ContextResolver, type LdContext } from './jsonld-context.js';
import { isUri, renderEntity, type Format, type RenderOptions, type StoredEntity } from './entity-model.js';
import { evaluateQ, parseQ, type QExpr } from './q-language.js';
import { matchGeo, parseGeoQuery, type GeoQuery, type Geometry } from './geo.js';
import { checkIdPattern, patternTest } from './safe-regex.js';
import { matchesScopeQ, parseScopeQ, type ScopeQuery } from './scope-query.js';
import { checkEndpoint, notifierInfoError, receiverInfoError } from './notification-endpoint.js';
import type { ChangeListener, EntityChange } from './entity-writer.js';
import type { TenantService } from './tenant-service.js';
import { managesAll, type RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';
import type { ContextConfig } from './config.js';
import { AccessPolicy } from './access-policy.js';
import type { AccessRuleService } from './access-service.js';
import * as store from './subscription-store.js';
import { queryEntities as queryStoredEntities, rowToEntity } from './entity-store.js';
import { changeEvents, DEFAULT_TRIGGERS, renderNotified, selectDatasets, triggered, TRIGGERS, type ChangeEvents, type Trigger } from './notification-render.js';
import { joinLinked, parseJoin, type Join } from './entity-join.js';
import { mapTypeNames, parseTypeSelection, selectsTypes, typeNames, type TypeSelection } from './type-selection.js';

/**
 * Who created a subscription, as its notifications are filtered: the owner's access policy (AccessRuleService)
 * is applied to every notification, as if the owner read the entity.
 */
interface SubscriptionOwner {
  ref: string;
  kind: Actor['kind'];
  orgId: string | null;
  roles: Role[];
}

/** A subscription as stored: names expanded, the creator's @context kept to render notifications. */
interface StoredSubscription {
  type: 'Subscription';
  name?: string;
  description?: string;
  entities?: { id?: string; idPattern?: string; type: string }[];
  watchedAttributes?: string[];
  /** Seconds between periodic notifications (§5.2.12): such a subscription is notified on time, not on change. */
  timeInterval?: number;
  q?: string;
  csf?: string;
  /** §4.19 scope query over the entity's scopes, as given. */
  scopeQ?: string;
  geoQ?: { georel: string; geometry: string; coordinates: unknown; geoproperty?: string };
  /** §5.2.12 (v1.6+): which changes notify; absent: DEFAULT_TRIGGERS. */
  notificationTrigger?: Trigger[];
  /** v1.8 §5.2.12: the @context notifications are compacted with (a URL), instead of the subscription's. */
  jsonldContext?: string;
  /** v1.8 §5.2.12: LanguageProperties notified in this language (§4.15 `lang`). */
  lang?: string;
  /** v1.8 §5.2.12: only the attribute instances with these datasetIds are notified (`@none`: the default one). */
  datasetId?: string[];
  notification: {
    attributes?: string[];
    /** v1.8 pick/omit: expanded attribute IRIs; id and type kept apart. */
    pick?: string[];
    omit?: string[];
    format: Format;
    showChanges?: boolean;
    sysAttrs?: boolean;
    join?: Join;
    endpoint: { uri: string; accept: string; receiverInfo?: { key: string; value: string }[]; notifierInfo?: { key: string; value: string }[] };
  };
  context: unknown;
  owner?: SubscriptionOwner;
  /** Subscriptions stored before owners were kept: the creator's organisation only. */
  ownerOrgId?: string | null;
}

const ENDPOINT = /^(https?|mqtts?):\/\/[^\s/]+(\/\S*)?$/;
const bad = (detail: string, field?: string) => ngsiProblem('BadRequestData', detail, field ? { errors: [{ field, message: detail }] } : {});
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** How many tenants' subscriptions a node keeps copies of (each read again when its version changes). */
const TENANT_COPIES = 256;

/** A node's copy of a tenant's on-change subscriptions, indexed by the entity types they name. */
interface TenantSubscriptions {
  version: string;
  /** each subscription's place in the stored order: the picked ones notify in it, as all of them did */
  order: Map<store.SubscriptionRow, number>;
  /** by every type name a subscription's `entities` mention: an entity it selects has one of them */
  byType: Map<string, store.SubscriptionRow[]>;
  /** those without `entities` (watching attributes of any entity), or whose types cannot be read: always matched */
  untyped: store.SubscriptionRow[];
}

function indexByType(version: string, rows: store.SubscriptionRow[]): TenantSubscriptions {
  const byType = new Map<string, store.SubscriptionRow[]>();
  const untyped: store.SubscriptionRow[] = [];
  for (const row of rows) {
    const entities = (row.body as unknown as StoredSubscription).entities;
    let names: string[] | undefined;
    try {
      names = entities && [...new Set(entities.flatMap((e) => typeNames(parseTypeSelection(e.type, 'type'))))];
    } catch {
      names = undefined; // a stored selection that no longer parses: matching marks the subscription broken
    }
    if (!names) untyped.push(row);
    else for (const n of names) byType.get(n)?.push(row) ?? byType.set(n, [row]);
  }
  return { version, order: new Map(rows.map((r, i) => [r, i])), byType, untyped };
}

/**
 * Subscriptions (§5.8, §5.11): checked and stored here; on every entity change (inside its transaction) the
 * matching ones put a notification into the durable outbox, which the dispatcher delivers.
 */
export class SubscriptionService implements ChangeListener {
  private readonly compiled = new Map<string, Compiled>();
  /** This node's copy of each tenant's on-change subscriptions, with the version it was read at. */
  private readonly byTenant = new Map<string, TenantSubscriptions>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly contexts: ContextResolver,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
    private readonly config: Pick<ContextConfig, 'patternMaxLength' | 'subscriptions' | 'maxLimit' | 'joinMaxLevel'>,
    private readonly outbound: OutboundPolicy,
    private readonly log: Logger,
    private readonly ledger: Ledger,
  ) {}

  /**
   * Records a subscription made, changed or removed (等保 8.1.4.3: who, what, when, from where) in the change's
   * transaction. The endpoint is not in it (a URL may carry a token); the subscription's id and tenant are.
   */
  private record(trx: Db, scope: RequestScope, change: 'created' | 'updated' | 'deleted', tenant: string, id: string, active: boolean | null): Promise<unknown> {
    return this.ledger.append(`context.subscription.${change}`, scope.actor, `context_subscription:${tenant}/${id}`, {
      tenant, id, active, address: scope.actor.address ?? null,
    }, { trx });
  }

  private queuedHook?: () => void;

  /** Called when a change queued notifications (inside its transaction): the dispatchers' wake-up. */
  whenQueued(hook: () => void): void {
    this.queuedHook = hook;
  }

  private parse(ctx: LdContext, body: Record<string, unknown>, partial: boolean): Partial<StoredSubscription> & { expiresAt?: Date | null; throttling?: number; isActive?: boolean } {
    const out: Partial<StoredSubscription> & { expiresAt?: Date | null; throttling?: number; isActive?: boolean } = {};
    if (!partial && body.type !== 'Subscription') throw bad('type must be "Subscription"');
    if (body.name !== undefined) out.name = String(body.name);
    if (body.subscriptionName !== undefined) out.name = String(body.subscriptionName);
    if (body.description !== undefined) out.description = String(body.description);
    if (body.entities !== undefined) {
      if (!Array.isArray(body.entities) || body.entities.length === 0) throw bad('entities must be a non-empty list');
      out.entities = body.entities.map((e: unknown, i: number) => {
        if (!isObject(e) || typeof e.type !== 'string') throw bad('each entities item needs a type', `entities.${i}.type`);
        // §4.17: a type selection — one name, or names joined by , | ; and parentheses.
        parseTypeSelection(e.type, `entities.${i}.type`);
        if (e.id !== undefined && !isUri(e.id)) throw bad('entities[].id must be a URI', `entities.${i}.id`);
        if (e.idPattern !== undefined) {
          if (typeof e.idPattern !== 'string') throw bad('entities[].idPattern must be a string', `entities.${i}.idPattern`);
          // Matched on every write of the tenant: RE2 only, in linear time (safe-regex.ts).
          checkIdPattern(e.idPattern, this.config.patternMaxLength, `entities.${i}.idPattern`);
        }
        return { type: mapTypeNames(e.type, (t) => expandTerm(ctx, t)), ...(e.id ? { id: e.id as string } : {}), ...(e.idPattern ? { idPattern: e.idPattern as string } : {}) };
      });
    }
    if (body.watchedAttributes !== undefined) {
      if (!Array.isArray(body.watchedAttributes) || body.watchedAttributes.length === 0 || !body.watchedAttributes.every((a) => typeof a === 'string')) throw bad('watchedAttributes must be a non-empty list of names');
      out.watchedAttributes = body.watchedAttributes.map((a: string) => expandTerm(ctx, a));
    }
    if (body.notificationTrigger !== undefined) {
      const t = body.notificationTrigger;
      if (!Array.isArray(t) || t.length === 0 || !t.every((x) => (TRIGGERS as readonly unknown[]).includes(x))) throw bad(`notificationTrigger must be a non-empty list of ${TRIGGERS.join(', ')}`, 'notificationTrigger');
      out.notificationTrigger = [...new Set(t as Trigger[])];
    }
    if (body.lang !== undefined) {
      if (typeof body.lang !== 'string' || !/^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*|\*|@none)$/.test(body.lang)) throw bad('lang must be a language tag', 'lang');
      out.lang = body.lang;
    }
    if (body.datasetId !== undefined) {
      const list = typeof body.datasetId === 'string' ? [body.datasetId] : body.datasetId;
      if (!Array.isArray(list) || list.length === 0 || !list.every((d) => d === '@none' || isUri(d))) throw bad('datasetId must be a non-empty list of URIs ("@none": the default instance)', 'datasetId');
      out.datasetId = [...new Set(list as string[])];
    }
    if (body.jsonldContext !== undefined) {
      if (typeof body.jsonldContext !== 'string' || !isUri(body.jsonldContext)) throw bad('jsonldContext must be the URI of a JSON-LD @context', 'jsonldContext');
      out.jsonldContext = body.jsonldContext;
    }
    if (body.timeInterval !== undefined) {
      if (typeof body.timeInterval !== 'number' || !(body.timeInterval >= 1)) throw bad('timeInterval must be a number of seconds ≥ 1', 'timeInterval');
      out.timeInterval = body.timeInterval;
    }
    if (body.q !== undefined) {
      if (typeof body.q !== 'string') throw bad('q must be a string', 'q');
      parseQ(body.q, this.config.patternMaxLength);
      out.q = body.q;
    }
    if (body.csf !== undefined) {
      // §5.2.12 csf: a query over registrations (a valid q, §4.9); kept and shown.
      if (typeof body.csf !== 'string') throw bad('csf must be a string', 'csf');
      try {
        parseQ(body.csf, this.config.patternMaxLength);
      } catch {
        throw bad('csf must be a valid query (§4.9)', 'csf');
      }
      out.csf = body.csf;
    }
    if (body.scopeQ !== undefined) {
      if (typeof body.scopeQ !== 'string') throw bad('scopeQ must be a string', 'scopeQ');
      parseScopeQ(body.scopeQ, this.config.patternMaxLength);
      out.scopeQ = body.scopeQ;
    }
    if (body.geoQ !== undefined) {
      const g = body.geoQ;
      if (!isObject(g) || typeof g.georel !== 'string' || typeof g.geometry !== 'string') throw bad('geoQ must be {georel, geometry, coordinates} with georel and geometry strings', 'geoQ');
      if (g.geoproperty !== undefined && typeof g.geoproperty !== 'string') throw bad('geoQ.geoproperty must be a name', 'geoQ.geoproperty');
      parseGeoQuery(g.georel, g.geometry, g.coordinates, 'x');
      out.geoQ = { georel: String(g.georel), geometry: String(g.geometry), coordinates: g.coordinates, ...(g.geoproperty ? { geoproperty: String(g.geoproperty) } : {}) };
    }
    if (body.notification !== undefined) {
      const n = isObject(body.notification) ? body.notification : {};
      const ep = isObject(n.endpoint) ? n.endpoint : undefined;
      if (!ep || typeof ep.uri !== 'string' || !ENDPOINT.test(ep.uri)) throw bad('notification.endpoint.uri must be an http(s):// or mqtt(s):// URI', 'notification.endpoint.uri');
      // SSRF: no loopback, private, link-local or metadata address unless the city allows it (checked again, after
      // DNS, on every delivery).
      try {
        checkEndpoint(ep.uri, this.outbound);
      } catch (err) {
        if (!(err instanceof OutboundUrlError)) throw err;
        throw bad(`notification.endpoint.uri is refused: ${err.message} (outbound.allow lists what may be called)`, 'notification.endpoint.uri');
      }
      const accept = ep.accept ?? 'application/json';
      if (typeof accept !== 'string' || !['application/json', 'application/ld+json'].includes(accept)) throw bad('notification.endpoint.accept must be application/json or application/ld+json', 'notification.endpoint.accept');
      // v1.9 Table 5.2.14.1-1: "simplified" is keyValues by another name.
      const format = n.format === 'simplified' ? 'keyValues' : n.format ?? 'normalized';
      if (typeof format !== 'string' || !['normalized', 'keyValues', 'concise'].includes(format)) throw bad('notification.format must be normalized, keyValues (simplified) or concise', 'notification.format');
      const receiverInfo = ep.receiverInfo as { key: string; value: string }[] | undefined;
      if (receiverInfo !== undefined) {
        const error = receiverInfoError(receiverInfo);
        if (error) throw bad(`${error.field} ${error.message}`, error.field);
      }
      const names = (m: 'attributes' | 'pick' | 'omit') => {
        if (n[m] === undefined) return undefined;
        // §5.2.14: an empty list is not allowed.
        if (!(Array.isArray(n[m]) && n[m].length > 0 && (n[m] as unknown[]).every((a) => typeof a === 'string' && a !== ''))) throw bad(`notification.${m} must be a non-empty list of names`, `notification.${m}`);
        return n[m] as string[];
      };
      const [attributes, pick, omit] = [names('attributes'), names('pick'), names('omit')];
      // v1.8 §5.2.14: pick and omit exclude each other, and attributes (their older form) goes with neither.
      if (pick && omit) throw bad('notification.pick and notification.omit cannot be used together', 'notification.pick');
      if (attributes && (pick || omit)) throw bad(`notification.attributes cannot be used with notification.${pick ? 'pick' : 'omit'}`, 'notification.attributes');
      for (const m of ['showChanges', 'sysAttrs'] as const) {
        if (n[m] !== undefined && typeof n[m] !== 'boolean') throw bad(`notification.${m} must be true or false`, `notification.${m}`);
      }
      if (n.showChanges === true && format === 'keyValues') throw bad('notification.showChanges cannot be true with the keyValues format', 'notification.showChanges');
      // notifierInfo (§5.2.15): key/value strings; MQTT-Version and MQTT-QoS are used by MQTT notifications.
      const notifierInfo = ep.notifierInfo;
      if (notifierInfo !== undefined) {
        const error = notifierInfoError(notifierInfo);
        if (error) throw bad(`${error.field} ${error.message}`, error.field);
      }
      if (n.joinLevel !== undefined && typeof n.joinLevel !== 'number') throw bad('notification.joinLevel must be a number', 'notification.joinLevel');
      if (n.join !== undefined && typeof n.join !== 'string') throw bad('notification.join must be flat, inline or @none', 'notification.join');
      let join: Join | undefined;
      try {
        join = parseJoin(n.join as string | undefined, n.joinLevel as number | undefined, { keyValues: format === 'keyValues', geoJson: false }, this.config.joinMaxLevel);
      } catch (err) {
        // The same rules as the query parameters, named as members of notification.
        const field = err instanceof Problem ? err.errors?.[0]?.field : undefined;
        throw field ? bad((err as Problem).message, `notification.${field}`) : err;
      }
      const expand = (list: string[]) => list.map((a) => (a === 'id' || a === 'type' ? a : expandTerm(ctx, a)));
      out.notification = {
        format: format as Format,
        endpoint: { uri: ep.uri, accept, ...(receiverInfo ? { receiverInfo } : {}), ...(notifierInfo ? { notifierInfo: notifierInfo as { key: string; value: string }[] } : {}) },
        ...(attributes ? { attributes: attributes.map((a) => expandTerm(ctx, a)) } : {}),
        ...(pick ? { pick: expand(pick) } : {}),
        ...(omit ? { omit: expand(omit) } : {}),
        ...(n.showChanges ? { showChanges: true } : {}),
        ...(n.sysAttrs ? { sysAttrs: true } : {}),
        ...(join ? { join } : {}),
      };
    }
    if (body.expiresAt !== undefined) {
      if (body.expiresAt === null) out.expiresAt = null;
      else {
        const t = Date.parse(String(body.expiresAt));
        if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(String(body.expiresAt))) throw bad('expiresAt must be an ISO 8601 date-time');
        if (t <= this.clock().getTime()) throw bad('expiresAt must be in the future');
        out.expiresAt = new Date(t);
      }
    }
    if (body.throttling !== undefined) {
      if (typeof body.throttling !== 'number' || body.throttling < 0) throw bad('throttling must be a number of seconds ≥ 0');
      out.throttling = body.throttling;
    }
    if (body.isActive !== undefined) {
      if (typeof body.isActive !== 'boolean') throw bad('isActive must be true or false');
      out.isActive = body.isActive;
    }
    return out;
  }

  async create(scope: RequestScope, body: JsonObjectBody): Promise<string> {
    assertCan(scope.actor, 'context.subscription.manage');
    const tenant = await this.tenants.resolve(scope.tenant, true);
    const id = body.id === undefined ? `urn:ngsi-ld:Subscription:${randomUUID()}` : body.id;
    if (!isUri(id)) throw bad('subscription id must be a URI', 'id');
    const p = this.parse(scope.ctx, body, false);
    if (!p.notification) throw bad('a subscription needs notification.endpoint', 'notification.endpoint');
    checkWhole(p, p.throttling ?? 0);
    await this.checkJsonldContext(p.jsonldContext);
    const { expiresAt, throttling, isActive, ...rest } = p;
    const owner = ownerOf(scope.actor);
    const stored: StoredSubscription = { ...(rest as StoredSubscription), type: 'Subscription', context: scope.ctx.source, owner };
    const now = this.clock();
    const max = this.config.subscriptions.maxPerOwner;
    const ok = await this.db.transaction().execute(async (trx) => {
      // Counted under a lock per owner, so a burst of creations cannot pass the limit together.
      const held = await store.countOwnedLocked(trx, owner.ref);
      if (held >= max) {
        throw ngsiProblem('TooManySubscriptions', `you hold ${held} subscriptions; at most ${max} per owner (modules.context.subscriptions.maxPerOwner)`, {
          extra: { limit: max, rule: 'modules.context.subscriptions.maxPerOwner' },
        });
      }
      const inserted = await store.insertSubscription(trx, {
        tenant, id, owner: owner.ref, body: stored as unknown as Record<string, unknown>, active: isActive ?? true, expires_at: expiresAt ?? null,
        throttling: throttling ?? 0, created_at: now, modified_at: now,
      });
      if (inserted) await this.record(trx, scope, 'created', tenant, id, isActive ?? true);
      return inserted;
    });
    if (!ok) throw ngsiProblem('AlreadyExists', `subscription ${id} already exists`);
    return id;
  }

  /**
   * §5.8.1: the @context `jsonldContext` names must be available when the subscription is made or changed
   * (503 LdContextNotAvailable, or 400 when it is no @context), not only when a notification needs it.
   */
  private async checkJsonldContext(url: string | undefined): Promise<void> {
    if (url) await this.contexts.resolve([url]);
  }

  /** A subscription the actor may see: its own, or any for admin and data_admin; others do not exist for it. */
  private async findOwn(scope: RequestScope, tenant: string, id: string): Promise<store.SubscriptionRow> {
    const row = await store.findSubscription(this.db, tenant, id);
    if (!row || !mayManage(scope.actor, row)) throw ngsiProblem('ResourceNotFound', `subscription ${id} does not exist`);
    return row;
  }

  /**
   * §5.8.2: each member of the fragment replaces the subscription's (members of `notification` one by one), a
   * member set to null is removed — a mandatory one (`notification`, its `endpoint`, `type`, `id`) is 400 — and
   * the subscription that results must be valid as a whole (entities or watchedAttributes; timeInterval not with
   * watchedAttributes or throttling). `expiresAt` in the past is 400; the status follows isActive and expiresAt.
   * The subscription keeps its @context unless the request gives one.
   */
  async update(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    assertCan(scope.actor, 'context.subscription.manage');
    checkId(id);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await this.findOwn(scope, tenant, id);
    if (body.id !== undefined && body.id !== id) throw bad('the id cannot change', 'id');
    if (body.type !== undefined && body.type !== 'Subscription') throw bad('type must be "Subscription"', 'type');
    for (const m of MANDATORY) if (body[m] === null) throw bad(`${m} is mandatory and cannot be removed`, m);
    const stored = row.body as unknown as StoredSubscription;
    const fragment: Record<string, unknown> = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
    if (body.expiresAt === null) fragment.expiresAt = null;
    if (isObject(body.notification)) fragment.notification = mergedNotification(stored.notification, body.notification);
    const p = this.parse(scope.ctx, fragment, true);
    await this.checkJsonldContext(p.jsonldContext);
    const { expiresAt, throttling, isActive, ...rest } = p;
    // The owner stays (an admin's change does not widen what it receives); a subscription stored before owners
    // were kept is adopted by whoever changes it.
    const owner = stored.owner ?? ownerOf(scope.actor);
    const merged: Record<string, unknown> = { ...stored, ...rest, context: scope.ctx === this.contexts.core ? stored.context : scope.ctx.source, owner };
    for (const k of REMOVABLE) if (body[k] === null) delete merged[k === 'subscriptionName' ? 'name' : k];
    const nextThrottling = body.throttling === null ? 0 : throttling ?? row.throttling;
    checkWhole(merged as Partial<StoredSubscription>, nextThrottling);
    const active = body.isActive === null ? true : isActive ?? row.active;
    await this.db.transaction().execute(async (trx) => {
      await store.updateSubscription(trx, tenant, id, {
        owner: owner.ref, body: merged, active, expires_at: expiresAt === undefined ? row.expires_at : expiresAt,
        throttling: nextThrottling, modified_at: this.clock(),
      });
      await this.record(trx, scope, 'updated', tenant, id, active);
    });
  }

  async delete(scope: RequestScope, id: string): Promise<void> {
    assertCan(scope.actor, 'context.subscription.manage');
    checkId(id);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    await this.findOwn(scope, tenant, id);
    await this.db.transaction().execute(async (trx) => {
      if (!(await store.deleteSubscription(trx, tenant, id))) throw ngsiProblem('ResourceNotFound', `subscription ${id} does not exist`);
      await this.record(trx, scope, 'deleted', tenant, id, null);
    });
  }

  async get(scope: RequestScope, id: string): Promise<Record<string, unknown>> {
    assertCan(scope.actor, 'context.subscription.manage');
    checkId(id);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    return this.render(scope.ctx, await this.findOwn(scope, tenant, id));
  }

  /** The actor's own subscriptions (all of the tenant's for admin and data_admin). */
  async list(scope: RequestScope, limit: number, offset: number): Promise<{ items: Record<string, unknown>[]; total: number }> {
    assertCan(scope.actor, 'context.subscription.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const owned = managesAll(scope.actor) ? undefined : { ref: actorRef(scope.actor), orgId: scope.actor.orgId ?? null };
    const rows = limit === 0 ? [] : await store.listSubscriptions(this.db, tenant, limit, offset, owned);
    return { items: rows.map((r) => this.render(scope.ctx, r)), total: await store.countSubscriptions(this.db, tenant, owned) };
  }

  /** The subscription with its status members (§5.2.12, §5.2.15). */
  private render(ctx: LdContext, row: store.SubscriptionRow): Record<string, unknown> {
    const b = row.body as unknown as StoredSubscription;
    const now = this.clock();
    const expired = store.expiredBy(row, now);
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : undefined);
    return {
      id: row.id,
      type: 'Subscription',
      ...(b.name ? { subscriptionName: b.name } : {}),
      ...(b.description ? { description: b.description } : {}),
      ...(b.entities ? { entities: b.entities.map((e) => ({ ...e, type: mapTypeNames(e.type, (t) => compactIri(ctx, t)) })) } : {}),
      ...(b.watchedAttributes ? { watchedAttributes: b.watchedAttributes.map((a) => compactIri(ctx, a)) } : {}),
      ...(b.timeInterval ? { timeInterval: b.timeInterval } : {}),
      ...(b.q ? { q: b.q } : {}),
      ...(b.csf ? { csf: b.csf } : {}),
      ...(b.scopeQ ? { scopeQ: b.scopeQ } : {}),
      ...(b.geoQ ? { geoQ: b.geoQ } : {}),
      ...(b.notificationTrigger ? { notificationTrigger: b.notificationTrigger } : {}),
      ...(b.jsonldContext ? { jsonldContext: b.jsonldContext } : {}),
      ...(b.lang ? { lang: b.lang } : {}),
      ...(b.datasetId ? { datasetId: b.datasetId } : {}),
      notification: {
        ...(b.notification.attributes ? { attributes: b.notification.attributes.map((a) => compactIri(ctx, a)) } : {}),
        ...(b.notification.pick ? { pick: b.notification.pick.map((a) => compactIri(ctx, a)) } : {}),
        ...(b.notification.omit ? { omit: b.notification.omit.map((a) => compactIri(ctx, a)) } : {}),
        ...(b.notification.showChanges ? { showChanges: true } : {}),
        ...(b.notification.sysAttrs ? { sysAttrs: true } : {}),
        ...(b.notification.join ? { join: b.notification.join.mode, joinLevel: b.notification.join.level } : {}),
        format: b.notification.format,
        endpoint: b.notification.endpoint,
        ...deliveryStatus(row),
      },
      ...(row.expires_at ? { expiresAt: iso(row.expires_at) } : {}),
      ...(row.throttling ? { throttling: row.throttling } : {}),
      isActive: row.active,
      status: expired ? 'expired' : row.active ? 'active' : 'paused',
      createdAt: iso(row.created_at),
      modifiedAt: iso(row.modified_at),
    };
  }

  /**
   * The subscription's @context, q and geo-query, parsed once per version. One that no longer parses (stored
   * before a rule, such as linear-time patterns, refused it) is marked broken and never matches: a write must
   * not fail because of someone's subscription.
   */
  private async compile(row: store.SubscriptionRow): Promise<Compiled> {
    const modified = new Date(row.modified_at).getTime();
    const key = `${row.tenant}\n${row.id}`;
    const hit = this.compiled.get(key);
    if (hit && hit.modified === modified) return hit;
    const b = row.body as unknown as StoredSubscription;
    let entry: Compiled;
    try {
      const ctx = await this.contexts.resolve(b.context);
      const q = b.q ? parseQ(b.q, this.config.patternMaxLength) : undefined;
      const scopeQ = parseScopeQ(b.scopeQ, this.config.patternMaxLength);
      for (const e of b.entities ?? []) if (e.idPattern) checkIdPattern(e.idPattern, this.config.patternMaxLength);
      const geo = b.geoQ ? parseGeoQuery(b.geoQ.georel, b.geoQ.geometry, b.geoQ.coordinates, b.geoQ.geoproperty ? expandTerm(ctx, b.geoQ.geoproperty) : 'https://uri.etsi.org/ngsi-ld/location') : undefined;
      const types = (b.entities ?? []).map((e, i) => parseTypeSelection(e.type, `entities.${i}.type`));
      entry = { modified, ctx, out: b.jsonldContext ? await this.notificationContext(b.jsonldContext, ctx) : ctx, q, scopeQ, geo, types };
    } catch (err) {
      this.log.warn({ subscription: row.id, tenant: row.tenant, err }, 'subscription cannot be matched; it is skipped until changed');
      entry = { modified, ctx: this.contexts.core, out: this.contexts.core, broken: true };
    }
    this.compiled.set(key, entry);
    return entry;
  }

  /**
   * The @context a subscription's `jsonldContext` names, for compacting its notifications; one that cannot be
   * read now leaves them in the subscription's own (logged: the write that notifies must not fail for it).
   */
  private async notificationContext(url: string, own: LdContext): Promise<LdContext> {
    try {
      return await this.contexts.resolve([url]);
    } catch (err) {
      this.log.warn({ url, err }, 'subscription jsonldContext cannot be read; notifications use the subscription @context');
      return own;
    }
  }

  /** Inside the writing transaction: finds the subscriptions the changes trigger and queues their notifications. */
  async onChanges(trx: Db, tenant: string, changes: EntityChange[], now: Date): Promise<void> {
    const subs = (await this.onChangeSubscriptions(trx, tenant, changes)).filter((s) => !store.expiredBy(s, now));
    await this.queue(trx, tenant, subs, () => changes, now, false);
  }

  /**
   * The tenant's active on-change subscriptions that may select one of the changed entities (by the types they
   * name), from this node's copy while the tenant's version row says it is current: one row read on every write
   * instead of every subscription. When the throttled ones last notified is read fresh. Read in the writing
   * transaction, as the subscriptions themselves were.
   */
  private async onChangeSubscriptions(trx: Db, tenant: string, changes: EntityChange[]): Promise<store.SubscriptionRow[]> {
    const version = await store.subscriptionsVersion(trx, tenant);
    let copy = this.byTenant.get(tenant);
    if (copy?.version !== version) {
      copy = indexByType(version, (await store.activeSubscriptionsAnyExpiry(trx, tenant)).filter((s) => !(s.body as unknown as StoredSubscription).timeInterval));
      // A few hundred tenants at most are kept; the least recently written goes first (a Map keeps insertion order).
      if (this.byTenant.size >= TENANT_COPIES) this.byTenant.delete(this.byTenant.keys().next().value!);
    }
    this.byTenant.delete(tenant);
    this.byTenant.set(tenant, copy);
    const picked = new Set(copy.untyped);
    for (const c of changes) for (const t of (c.after ?? c.before)?.types ?? []) for (const r of copy.byType.get(t) ?? []) picked.add(r);
    const order = copy.order;
    const subs = [...picked].sort((x, y) => order.get(x)! - order.get(y)!);
    const throttled = subs.filter((s) => s.throttling > 0).map((s) => s.id);
    if (throttled.length === 0) return subs;
    const last = await store.lastNotifications(trx, tenant, throttled);
    return subs.map((s) => (s.throttling > 0 ? { ...s, last_notification: last.get(s.id) ?? null } : s));
  }

  /**
   * Periodic notifications (§5.8, timeInterval): every active subscription whose interval has passed since its
   * last notification is sent the current state of all the entities it selects, filtered by its owner's access as
   * on change — in pages of `maxLimit` entities, one notification each. Run by the module's job; one transaction
   * per tenant.
   */
  async notifyPeriodic(now: Date): Promise<number> {
    let sent = 0;
    for (const tenant of await store.periodicTenants(this.db, now)) {
      await this.db.transaction().execute(async (trx) => {
        const due = (await store.activeSubscriptions(trx, tenant, now)).filter((s) => {
          const every = (s.body as unknown as StoredSubscription).timeInterval;
          return every && (!s.last_notification || now.getTime() - new Date(s.last_notification).getTime() >= every * 1000);
        });
        for (const sub of due) {
          const b = sub.body as unknown as StoredSubscription;
          if (!(await store.claimPeriod(trx, tenant, sub.id, now, b.timeInterval!))) continue;
          // The scope query narrows in SQL, and the type names (a superset: queue applies the type selection).
          const { scopeQ, broken, types: selections } = await this.compile(sub);
          if (broken) continue;
          const types = [...new Set((selections ?? []).flatMap(typeNames))];
          const limit = this.config.maxLimit;
          for (let offset = 0; ; offset += limit) {
            const rows = await queryStoredEntities(trx, { tenant, ...(types.length ? { types } : {}), ...(scopeQ ? { scopeQ } : {}), limit, offset });
            const current = (): EntityChange[] => rows.map((r) => {
              const after = rowToEntity(r);
              return { id: after.id, after, written: Object.keys(after.attrs), deleted: [] };
            });
            sent += await this.queue(trx, tenant, [sub], current, now, true);
            if (rows.length < limit) break;
          }
        }
      });
    }
    return sent;
  }

  /** Queues the notifications the changes give the subscriptions (the matching on change and on time alike). */
  private async queue(trx: Db, tenant: string, subs: store.SubscriptionRow[], changesOf: () => EntityChange[], now: Date, periodic: boolean): Promise<number> {
    if (subs.length === 0) return 0;
    const changes = changesOf();
    const rows: store.OutboxWrite[] = [];
    const notified: string[] = [];
    const policies = new Map<string, AccessPolicy>();
    for (const sub of subs) {
      const b = sub.body as unknown as StoredSubscription;
      if (!periodic && sub.throttling > 0 && sub.last_notification && now.getTime() - new Date(sub.last_notification).getTime() < sub.throttling * 1000) continue;
      const { ctx, out, q, scopeQ, geo, types, broken } = await this.compile(sub);
      if (broken) continue;
      // Most of a city's subscriptions select other types: they are passed before their owner's policy is read.
      const selected = (state: StoredEntity) => !b.entities || b.entities.some((s, i) => selectsTypes(types![i], state.types) && (!s.id || s.id === state.id) && (!s.idPattern || patternTest(s.idPattern, state.id, Infinity)));
      // A deleted entity is matched as it was (entityDeleted).
      const chosen = changes.filter((c) => { const state = c.after ?? c.before; return state && selected(state); });
      if (chosen.length === 0) continue;
      const expand = (t: string) => expandTerm(ctx, t);
      // The owner's access policy, as if it read each entity: what it may not read is absent for q, geoQ,
      // watchedAttributes and the notification alike.
      const owner = b.owner ?? legacyOwner(b);
      let policy = policies.get(owner.ref);
      if (!policy) policies.set(owner.ref, (policy = await this.access.policy(owner, tenant, trx)));
      const data: Record<string, unknown>[] = [];
      const n = b.notification;
      const options = { ...notificationRender(n), ...(b.lang ? { lang: b.lang } : {}) };
      const triggers = b.notificationTrigger ?? DEFAULT_TRIGGERS;
      const watched = b.watchedAttributes ? (a: string) => b.watchedAttributes!.includes(a) : () => true;
      for (const c of chosen) {
        const state = (c.after ?? c.before)!;
        if (!policy.canReadEntity(state.types)) continue;
        const e = policy.project(state);
        const readable = policy.readableAttrs(state.types);
        let ev: ChangeEvents | undefined;
        if (!periodic) {
          ev = changeEvents(c, (a) => !readable || readable.has(a));
          if (!triggered(triggers, ev, watched)) continue;
        }
        if (q && !evaluateQ(q, e.attrs, expand)) continue;
        if (scopeQ && !matchesScopeQ(scopeQ, state.scope ?? [])) continue;
        if (geo) {
          const g = e.attrs[geo.geoproperty]?.find((i) => i.type === 'GeoProperty');
          if (!g || !matchGeo(geo, g.value as Geometry).match) continue;
        }
        const before = c.before && c.after ? policy.project(c.before) : c.before && e;
        // datasetId narrows what is shown, not what matches (q and geoQ saw every instance).
        const only = (x: StoredEntity | undefined) => x && selectDatasets(x, b.datasetId);
        data.push(renderNotified(out, { after: only(c.after && e), before: only(before) }, ev, options, !!n.showChanges, now.toISOString()));
      }
      if (data.length === 0) continue;
      // v1.8 §4.5.23 in notifications: the linked entities the owner may read, as they are now.
      if (n.join) {
        data.push(...await joinLinked(data, n.join, this.config.maxLimit, async (ids) =>
          (await queryStoredEntities(trx, { tenant, ids, limit: ids.length, offset: 0 })).map(rowToEntity)
            .filter((x) => policy.canReadEntity(x.types))
            .map((x) => renderEntity(out, policy.project(x), { format: n.format, sysAttrs: !!n.sysAttrs }))));
      }
      const payload: Record<string, unknown> = {
        id: `urn:ngsi-ld:Notification:${randomUUID()}`,
        type: 'Notification',
        subscriptionId: sub.id,
        notifiedAt: now.toISOString(),
        data,
      };
      if (b.notification.endpoint.accept === 'application/ld+json') payload['@context'] = b.jsonldContext ?? b.context;
      const headers: Record<string, string> = Object.fromEntries((b.notification.endpoint.receiverInfo ?? []).map((r) => [r.key, r.value]));
      // Stored before the receiverInfo rules? The dispatcher drops forbidden headers again when it sends.
      // JSON notifications name the subscription's @context in a Link header (§6.3.5).
      if (b.notification.endpoint.accept === 'application/json') headers.Link = linkHeader(out.linkUrl);
      rows.push({ tenant, subscription_id: sub.id, endpoint: b.notification.endpoint.uri, accept: b.notification.endpoint.accept, headers, payload, due_at: now, created_at: now });
      notified.push(sub.id);
    }
    await store.enqueueNotifications(trx, rows);
    if (rows.length > 0) this.queuedHook?.();
    // A periodic subscription's period was claimed (claimPeriod); its count of notifications grows as on change.
    await store.markNotified(trx, tenant, notified, now);
    return rows.length;
  }
}

/** §5.8.2–5.8.5: the id in the path must be a URI (400 before any lookup). */
const checkId = (id: string): void => {
  if (!isUri(id)) throw bad(`the subscription id must be a URI, not "${id}"`);
};

/** Members a PATCH may not remove (§5.2.12 mandatory ones). */
const MANDATORY = ['id', 'type', 'notification'] as const;
/**
 * Optional members a PATCH removes with null (those kept in columns too: expiresAt none, throttling 0, isActive
 * true).
 */
const REMOVABLE = ['subscriptionName', 'name', 'description', 'entities', 'watchedAttributes', 'timeInterval', 'q', 'csf', 'scopeQ', 'geoQ', 'notificationTrigger', 'jsonldContext', 'lang', 'datasetId'] as const;

/**
 * The whole subscription's rules (§5.2.12, §5.8.1): it selects entities or watches attributes; a periodic one
 * (timeInterval) watches no attributes and is not throttled.
 */
function checkWhole(sub: Partial<StoredSubscription>, throttling: number): void {
  if (!sub.entities && !sub.watchedAttributes) throw bad('a subscription needs entities or watchedAttributes', 'entities');
  if (sub.timeInterval !== undefined && (sub.watchedAttributes || throttling > 0)) throw bad('timeInterval cannot be combined with watchedAttributes or throttling', 'timeInterval');
}

/**
 * A PATCH's `notification` over the stored one, as a request member (§5.8.2: member by member; null removes one,
 * `endpoint` cannot be removed). `attributes`, `pick` and `omit` are alternatives: naming one drops the others.
 */
function mergedNotification(stored: StoredSubscription['notification'], patch: Record<string, unknown>): Record<string, unknown> {
  if (patch.endpoint === null) throw bad('notification.endpoint is mandatory and cannot be removed', 'notification.endpoint');
  const { join, ...rest } = stored;
  const out: Record<string, unknown> = { ...rest, ...(join ? { join: join.mode, joinLevel: join.level } : {}) };
  if (['attributes', 'pick', 'omit'].some((m) => patch[m] != null)) for (const m of ['attributes', 'pick', 'omit']) delete out[m];
  if (patch.join === null) delete out.joinLevel;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** How a subscription's notification renders entities: format, sysAttrs, attributes or pick/omit (§5.2.14). */
function notificationRender(n: StoredSubscription['notification']): RenderOptions {
  const only = n.attributes ?? n.pick?.filter((a) => a !== 'id' && a !== 'type');
  return {
    format: n.format, sysAttrs: !!n.sysAttrs,
    ...(only ? { only: new Set(only) } : {}),
    ...(n.omit ? { omit: new Set(n.omit) } : {}),
    includeId: n.pick ? n.pick.includes('id') : !n.omit?.includes('id'),
    includeType: n.pick ? n.pick.includes('type') : !n.omit?.includes('type'),
  };
}

interface Compiled { modified: number; ctx: LdContext; out: LdContext; q?: QExpr; scopeQ?: ScopeQuery; geo?: GeoQuery; types?: TypeSelection[]; broken?: boolean }

/** The owner of a new subscription: the creating actor, with its organisation and roles as they are now. */
const ownerOf = (actor: Actor): SubscriptionOwner => ({ ref: actorRef(actor), kind: actor.kind, orgId: actor.orgId ?? null, roles: [...actor.roles] });

/**
 * The owner of a subscription stored before owners were kept: of its organisation if it had one (as before);
 * else nobody (deny by default — the actor may have been of no organisation): it notifies again once an admin or
 * its creator changes it (PATCH adopts it).
 */
const legacyOwner = (b: StoredSubscription): SubscriptionOwner =>
  b.ownerOrgId ? { ref: `org:${b.ownerOrgId}`, kind: 'user', orgId: b.ownerOrgId, roles: [] } : { ref: 'nobody', kind: 'user', orgId: null, roles: [] };

/** Whether the actor may see and change the subscription: its owner, admin and data_admin (legacy rows: their organisation). */
const mayManage = (actor: Actor, row: store.SubscriptionRow): boolean => {
  if (managesAll(actor)) return true;
  if (row.owner) return row.owner === actorRef(actor);
  const legacyOrg = (row.body as unknown as StoredSubscription).ownerOrgId;
  return !!legacyOrg && legacyOrg === actor.orgId;
};
