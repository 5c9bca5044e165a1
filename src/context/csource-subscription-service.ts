import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { assertCan } from '../platform/auth/permissions.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { OutboundUrlError, type OutboundPolicy } from '../platform/net/outbound.js';
import { isProblem } from '../platform/errors/problem.js';
import { ngsiProblem } from './ngsi-errors.js';
import { matchGeo, parseGeoQuery } from './geo.js';
import { compactIri, expandTerm, linkHeader, type ContextResolver, type LdContext } from './jsonld-context.js';
import { isUri } from './entity-model.js';
import { evaluateQ, parseQ } from './q-language.js';
import { checkIdPattern, patternTest } from './safe-regex.js';
import { matchesScopeQ, parseScopeQ } from './scope-query.js';
import { checkEndpoint, receiverInfoError } from './notification-endpoint.js';
import { geoMemberOf, infoAttrs, renderRegistration, type GeoMember, type StoredRegistration } from './csource-model.js';
import { memberAttrs, type RegistrationListener } from './csource-service.js';
import { claimPeriod, enqueueNotifications, markNotified, type OutboxWrite } from './subscription-store.js';
import { deliveryStatus } from './notification-status.js';
import * as store from './csource-store.js';
import type { TenantService } from './tenant-service.js';
import { managesAll, type RequestScope } from './request-scope.js';
import type { ContextConfig } from './config.js';
import type { JsonObjectBody } from './csource-schemas.js';

/** A subscription to registrations as stored (§5.2.12, §5.11): names expanded, the creator's @context kept. */
interface StoredCsourceSubscription {
  type: 'Subscription';
  subscriptionName?: string;
  description?: string;
  entities?: { type: string; id?: string; idPattern?: string }[];
  watchedAttributes?: string[];
  /** Seconds between periodic notifications (§5.2.12): such a subscription is notified on time, not on change. */
  timeInterval?: number;
  q?: string;
  /** §4.19 scope query over the registrations' `scope`. */
  scopeQ?: string;
  /** §5.2.12 geoQ over the registrations' `location` (or `geoproperty`: `observationSpace`, `operationSpace`), as given. */
  geoQ?: { georel: string; geometry: string; coordinates: unknown; geoproperty?: GeoMember };
  endpoint: { uri: string; accept: string; receiverInfo?: { key: string; value: string }[] };
  context: unknown;
}

const bad = (field: string, message: string) => ngsiProblem('BadRequestData', `${field}: ${message}`, { errors: [{ field, message }] });
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Subscriptions to context-source registrations (§5.11, /csourceSubscriptions): when a registration is created,
 * changed or deleted, each matching subscription gets a notification with the registration and a
 * `triggerReason` (`newlyMatching`, `updated`, `noLongerMatching`), written to the outbox in the change's
 * transaction and delivered like entity notifications (through the outbound guard). Owned like entity
 * subscriptions: only the owner, admin and data_admin see or change one.
 */
export class CsourceSubscriptionService implements RegistrationListener {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly contexts: ContextResolver,
    private readonly tenants: TenantService,
    private readonly config: Pick<ContextConfig, 'patternMaxLength'>,
    private readonly outbound: OutboundPolicy,
  ) {}

  private parse(ctx: LdContext, body: Record<string, unknown>, partial: boolean): Partial<StoredCsourceSubscription> & { expiresAt?: Date | null; isActive?: boolean } {
    const out: Partial<StoredCsourceSubscription> & { expiresAt?: Date | null; isActive?: boolean } = {};
    if (!partial && body.type !== 'Subscription') throw bad('type', 'must be "Subscription"');
    for (const k of ['subscriptionName', 'description'] as const) if (body[k] !== undefined) out[k] = String(body[k]).slice(0, 1024);
    if (body.entities !== undefined) {
      if (!Array.isArray(body.entities) || body.entities.length === 0 || body.entities.length > 100) throw bad('entities', 'must be a non-empty list of {type, id, idPattern}');
      out.entities = body.entities.map((e: unknown, i: number) => {
        if (!isObject(e) || typeof e.type !== 'string') throw bad(`entities.${i}.type`, 'each entity needs a type');
        if (e.id !== undefined && !isUri(e.id)) throw bad(`entities.${i}.id`, 'must be a URI');
        if (e.idPattern !== undefined) {
          if (typeof e.idPattern !== 'string') throw bad(`entities.${i}.idPattern`, 'must be a regular expression');
          checkIdPattern(e.idPattern, this.config.patternMaxLength, `entities.${i}.idPattern`);
        }
        return { type: expandTerm(ctx, e.type), ...(e.id ? { id: e.id as string } : {}), ...(e.idPattern ? { idPattern: e.idPattern as string } : {}) };
      });
    }
    if (body.watchedAttributes !== undefined) {
      const w = body.watchedAttributes;
      if (!Array.isArray(w) || w.length === 0 || !w.every((a) => typeof a === 'string')) throw bad('watchedAttributes', 'must be a non-empty list of names');
      out.watchedAttributes = w.map((a: string) => expandTerm(ctx, a));
    }
    if (body.timeInterval !== undefined) {
      if (typeof body.timeInterval !== 'number' || !(body.timeInterval >= 1)) throw bad('timeInterval', 'must be a number of seconds ≥ 1');
      out.timeInterval = body.timeInterval;
    }
    if (body.q !== undefined) {
      if (typeof body.q !== 'string') throw bad('q', 'must be a string');
      parseQ(body.q, this.config.patternMaxLength);
      out.q = body.q;
    }
    if (body.scopeQ !== undefined) {
      if (typeof body.scopeQ !== 'string') throw bad('scopeQ', 'must be a string');
      parseScopeQ(body.scopeQ, this.config.patternMaxLength);
      out.scopeQ = body.scopeQ;
    }
    if (body.geoQ !== undefined) out.geoQ = parseRegistrationGeoQ(body.geoQ);
    if (body.notification !== undefined) {
      const n = isObject(body.notification) ? body.notification : {};
      const ep = isObject(n.endpoint) ? n.endpoint : undefined;
      if (!ep || typeof ep.uri !== 'string' || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(ep.uri)) throw bad('notification.endpoint.uri', 'must be an http(s):// URI');
      try {
        checkEndpoint(ep.uri, this.outbound);
      } catch (err) {
        if (!(err instanceof OutboundUrlError)) throw err;
        throw bad('notification.endpoint.uri', `is refused: ${err.message} (outbound.allow lists what may be called)`);
      }
      const accept = ep.accept ?? 'application/json';
      if (accept !== 'application/json' && accept !== 'application/ld+json') throw bad('notification.endpoint.accept', 'must be application/json or application/ld+json');
      if (ep.receiverInfo !== undefined) {
        const error = receiverInfoError(ep.receiverInfo);
        if (error) throw bad(error.field, error.message);
      }
      out.endpoint = { uri: ep.uri, accept, ...(ep.receiverInfo ? { receiverInfo: ep.receiverInfo as { key: string; value: string }[] } : {}) };
    }
    if (body.expiresAt !== undefined) {
      const t = Date.parse(String(body.expiresAt));
      if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(String(body.expiresAt))) throw bad('expiresAt', 'must be an ISO 8601 date-time');
      if (t <= this.clock().getTime()) throw bad('expiresAt', 'must be in the future');
      out.expiresAt = new Date(t);
    }
    if (body.isActive !== undefined) {
      if (typeof body.isActive !== 'boolean') throw bad('isActive', 'must be true or false');
      out.isActive = body.isActive;
    }
    return out;
  }

  /** POST /csourceSubscriptions (§5.11.2). */
  async create(scope: RequestScope, body: JsonObjectBody): Promise<string> {
    assertCan(scope.actor, 'context.csource.subscribe');
    const tenant = await this.tenants.resolve(scope.tenant, true);
    const id = body.id === undefined ? `urn:ngsi-ld:Subscription:${randomUUID()}` : body.id;
    if (!isUri(id)) throw bad('id', 'must be a URI');
    const { expiresAt, isActive, ...rest } = this.parse(scope.ctx, body, false);
    if (!rest.endpoint) throw bad('notification.endpoint', 'a subscription needs notification.endpoint');
    if (!rest.entities && !rest.watchedAttributes) throw bad('entities', 'a subscription needs entities or watchedAttributes');
    // §5.2.12: a periodic subscription watches no attributes.
    if (rest.timeInterval !== undefined && rest.watchedAttributes) throw bad('timeInterval', 'cannot be combined with watchedAttributes');
    const now = this.clock();
    const ok = await store.insertCsourceSubscription(this.db, {
      tenant, id, owner: actorRef(scope.actor), body: { ...rest, type: 'Subscription', context: scope.ctx.source }, active: isActive ?? true,
      expires_at: expiresAt ?? null, created_at: now, modified_at: now,
    });
    if (!ok) throw ngsiProblem('AlreadyExists', `subscription ${id} already exists`);
    await this.notifyMatching(tenant, id);
    return id;
  }

  /**
   * §5.11.7: a subscription created or updated is notified at once of the registrations matching it then
   * (`triggerReason: newlyMatching`), none when none match; a periodic or paused one is not (it is notified on time).
   */
  private async notifyMatching(tenant: string, id: string): Promise<void> {
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const sub = await store.findCsourceSubscription(trx, tenant, id);
      const b = sub?.body as unknown as StoredCsourceSubscription | undefined;
      if (!sub || !b || !sub.active || b.timeInterval || (sub.expires_at && new Date(sub.expires_at) <= now)) return;
      const regs = (await store.liveRegistrations(trx, tenant, now)).map((r) => r.body as unknown as StoredRegistration)
        .filter((r) => matches(b, r, this.config.patternMaxLength));
      if (regs.length === 0) return;
      await enqueueNotifications(trx, [await this.notification(tenant, sub, 'newlyMatching', regs, now)]);
      await markNotified(trx, tenant, [id], now, 'context_csource_subscription');
    });
  }

  private async own(scope: RequestScope, tenant: string, id: string): Promise<store.CsourceSubscriptionRow> {
    const row = await store.findCsourceSubscription(this.db, tenant, id);
    if (!row || !(managesAll(scope.actor) || row.owner === actorRef(scope.actor))) throw ngsiProblem('ResourceNotFound', `subscription ${id} does not exist`);
    return row;
  }

  async get(scope: RequestScope, id: string): Promise<Record<string, unknown>> {
    assertCan(scope.actor, 'context.csource.subscribe');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    return render(scope.ctx, await this.own(scope, tenant, id), this.clock());
  }

  async list(scope: RequestScope, limit: number, offset: number): Promise<Record<string, unknown>[]> {
    assertCan(scope.actor, 'context.csource.subscribe');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const rows = await store.listCsourceSubscriptions(this.db, tenant, limit, offset, managesAll(scope.actor) ? undefined : actorRef(scope.actor));
    return rows.map((r) => render(scope.ctx, r, this.clock()));
  }

  async update(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    assertCan(scope.actor, 'context.csource.subscribe');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await this.own(scope, tenant, id);
    if (body.id !== undefined && body.id !== id) throw bad('id', 'cannot change');
    const { expiresAt, isActive, ...rest } = this.parse(scope.ctx, body, true);
    const merged = { ...(row.body as unknown as StoredCsourceSubscription), ...rest };
    if (merged.timeInterval !== undefined && merged.watchedAttributes) throw bad('timeInterval', 'cannot be combined with watchedAttributes');
    await store.updateCsourceSubscription(this.db, tenant, id, {
      body: { ...row.body, ...rest, context: scope.ctx.source }, active: isActive ?? row.active,
      expires_at: expiresAt === undefined ? row.expires_at : expiresAt, modified_at: this.clock(),
    });
    await this.notifyMatching(tenant, id);
  }

  async delete(scope: RequestScope, id: string): Promise<void> {
    assertCan(scope.actor, 'context.csource.subscribe');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    await this.own(scope, tenant, id);
    await store.deleteCsourceSubscription(this.db, tenant, id);
  }

  /** Inside the registration's transaction: queues a notification for every subscription it (no longer) matches. */
  async onRegistrationChange(trx: Db, tenant: string, before: StoredRegistration | undefined, after: StoredRegistration | undefined, now: Date): Promise<void> {
    // Periodic subscriptions are notified on time (notifyPeriodic), not on change.
    const subs = (await store.activeCsourceSubscriptions(trx, tenant, now)).filter((s) => !(s.body as unknown as StoredCsourceSubscription).timeInterval);
    const rows: OutboxWrite[] = [];
    for (const sub of subs) {
      const b = sub.body as unknown as StoredCsourceSubscription;
      const was = before !== undefined && matches(b, before, this.config.patternMaxLength);
      const is = after !== undefined && matches(b, after, this.config.patternMaxLength);
      if (!was && !is) continue;
      const reason = !was ? 'newlyMatching' : !is ? 'noLongerMatching' : 'updated';
      rows.push(await this.notification(tenant, sub, reason, [(is ? after : before)!], now));
    }
    await enqueueNotifications(trx, rows);
    await markNotified(trx, tenant, rows.map((r) => r.subscription_id), now, 'context_csource_subscription');
  }

  /**
   * Periodic notifications (§5.2.12 timeInterval): every active periodic subscription whose interval has passed
   * is sent the registrations that match it now (all of them, `triggerReason: updated`), none when none match.
   * Each period is claimed on its row (subscription-store claimPeriod), so several nodes running the job notify once.
   */
  async notifyPeriodic(now: Date): Promise<number> {
    let sent = 0;
    for (const sub of await store.periodicCsourceSubscriptions(this.db, now)) {
      const b = sub.body as unknown as StoredCsourceSubscription;
      const every = b.timeInterval!;
      if (sub.last_notification && now.getTime() - new Date(sub.last_notification).getTime() < every * 1000) continue;
      await this.db.transaction().execute(async (trx) => {
        if (!(await claimPeriod(trx, sub.tenant, sub.id, now, every, 'context_csource_subscription'))) return;
        const regs = (await store.liveRegistrations(trx, sub.tenant, now)).map((r) => r.body as unknown as StoredRegistration)
          .filter((r) => matches(b, r, this.config.patternMaxLength));
        if (regs.length === 0) return;
        await enqueueNotifications(trx, [await this.notification(sub.tenant, sub, 'updated', regs, now)]);
        sent++;
      });
    }
    return sent;
  }

  /** A ContextSourceNotification (§5.3.2) for the outbox, in the subscriber's @context. */
  private async notification(tenant: string, sub: store.CsourceSubscriptionRow, reason: 'newlyMatching' | 'updated' | 'noLongerMatching', regs: StoredRegistration[], now: Date): Promise<OutboxWrite> {
    const b = sub.body as unknown as StoredCsourceSubscription;
    const ctx = await this.contexts.resolve(b.context).catch(() => this.contexts.core);
    const payload: Record<string, unknown> = {
      id: `urn:ngsi-ld:Notification:${randomUUID()}`, type: 'ContextSourceNotification', subscriptionId: sub.id, notifiedAt: now.toISOString(),
      triggerReason: reason, data: regs.map((r) => renderRegistration(ctx, r, false)),
    };
    if (b.endpoint.accept === 'application/ld+json') payload['@context'] = b.context;
    const headers: Record<string, string> = Object.fromEntries((b.endpoint.receiverInfo ?? []).map((r) => [r.key, r.value]));
    if (b.endpoint.accept === 'application/json') headers.Link = linkHeader(ctx.linkUrl);
    return { tenant, subscription_id: sub.id, endpoint: b.endpoint.uri, accept: b.endpoint.accept, headers, payload, due_at: now, created_at: now };
  }
}

/** Whether a registration matches a registration subscription's entities, watchedAttributes and q (§5.11.2). */
function matches(s: StoredCsourceSubscription, r: StoredRegistration, maxPattern: number): boolean {
  const entityOk = !s.entities || r.information.some((info) => !info.entities || info.entities.some((e) => s.entities!.some((w) =>
    w.type === e.type && (!w.id || !e.id || w.id === e.id) && (!w.idPattern || !e.id || patternTest(w.idPattern, e.id, maxPattern)))));
  if (!entityOk) return false;
  if (s.watchedAttributes && !r.information.some((info) => { const a = infoAttrs(info); return !a || a.some((n) => s.watchedAttributes!.includes(n)); })) return false;
  if (s.q && !evaluateQ(parseQ(s.q, maxPattern), memberAttrs(r), (t) => t)) return false;
  if (s.scopeQ && !matchesScopeQ(parseScopeQ(s.scopeQ, maxPattern)!, r.scope === undefined ? [] : [r.scope].flat())) return false;
  // A registration without that member is not within any area (as GET /csourceRegistrations answers).
  const geoProp = s.geoQ?.geoproperty ?? 'location';
  const space = r[geoProp];
  if (s.geoQ && (!space || !matchGeo(parseGeoQuery(s.geoQ.georel, s.geoQ.geometry, s.geoQ.coordinates, geoProp)!, space).match)) return false;
  return true;
}

/** A subscription's geoQ (§5.2.12) over registrations: georel, geometry, coordinates; `geoproperty` one of GEO_MEMBERS. */
function parseRegistrationGeoQ(raw: unknown): StoredCsourceSubscription['geoQ'] {
  if (!isObject(raw) || typeof raw.georel !== 'string' || typeof raw.geometry !== 'string' || raw.coordinates === undefined) {
    throw bad('geoQ', 'must be {georel, geometry, coordinates}');
  }
  const geoproperty = geoMemberOf(raw.geoproperty, 'geoQ.geoproperty');
  try {
    parseGeoQuery(raw.georel, raw.geometry, raw.coordinates, geoproperty);
  } catch (err) {
    throw bad('geoQ', isProblem(err) ? err.detail ?? 'is not a geo-query' : 'is not a geo-query');
  }
  return { georel: raw.georel, geometry: raw.geometry, coordinates: raw.coordinates, ...(raw.geoproperty !== undefined ? { geoproperty } : {}) };
}

function render(ctx: LdContext, row: store.CsourceSubscriptionRow, now: Date): Record<string, unknown> {
  const b = row.body as unknown as StoredCsourceSubscription;
  return {
    id: row.id, type: 'Subscription',
    ...(b.subscriptionName ? { subscriptionName: b.subscriptionName } : {}),
    ...(b.description ? { description: b.description } : {}),
    ...(b.entities ? { entities: b.entities.map((e) => ({ ...e, type: compactIri(ctx, e.type) })) } : {}),
    ...(b.watchedAttributes ? { watchedAttributes: b.watchedAttributes.map((a) => compactIri(ctx, a)) } : {}),
    ...(b.timeInterval ? { timeInterval: b.timeInterval } : {}),
    ...(b.q ? { q: b.q } : {}),
    ...(b.scopeQ ? { scopeQ: b.scopeQ } : {}),
    ...(b.geoQ ? { geoQ: b.geoQ } : {}),
    notification: { endpoint: b.endpoint, ...deliveryStatus(row) },
    ...(row.expires_at ? { expiresAt: new Date(row.expires_at).toISOString() } : {}),
    isActive: row.active,
    status: row.expires_at && new Date(row.expires_at) <= now ? 'expired' : row.active ? 'active' : 'paused',
  };
}
