import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { assertCan } from '../platform/auth/permissions.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm, linkHeader, type ContextResolver, type LdContext } from './jsonld-context.js';
import { isUri, renderEntity, type Format } from './entity-model.js';
import { evaluateQ, parseQ, type QExpr } from './q-language.js';
import { matchGeo, parseGeoQuery, type GeoQuery, type Geometry } from './geo.js';
import type { ChangeListener, EntityChange } from './entity-writer.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';
import { rulesForOrg } from './access-store.js';
import { AccessPolicy } from './access-policy.js';
import * as store from './subscription-store.js';

/** A subscription as stored: names expanded, the creator's @context kept to render notifications. */
interface StoredSubscription {
  type: 'Subscription';
  name?: string;
  description?: string;
  entities?: { id?: string; idPattern?: string; type: string }[];
  watchedAttributes?: string[];
  q?: string;
  geoQ?: { georel: string; geometry: string; coordinates: unknown; geoproperty?: string };
  notification: { attributes?: string[]; format: Format; endpoint: { uri: string; accept: string; receiverInfo?: { key: string; value: string }[] } };
  context: unknown;
  ownerOrgId?: string | null;
}

const ENDPOINT = /^(https?|mqtts?):\/\/[^\s/]+(\/\S*)?$/;
const bad = (detail: string) => ngsiProblem('BadRequestData', detail);

/**
 * Subscriptions (§5.8, §5.11): checked and stored here; on every entity change (inside its transaction) the
 * matching ones put a notification into the durable outbox, which the dispatcher delivers.
 */
export class SubscriptionService implements ChangeListener {
  private readonly compiled = new Map<string, { modified: number; ctx: LdContext; q?: QExpr; geo?: GeoQuery }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly contexts: ContextResolver,
    private readonly tenants: TenantService,
  ) {}

  private parse(ctx: LdContext, body: Record<string, unknown>, partial: boolean): Partial<StoredSubscription> & { expiresAt?: Date | null; throttling?: number; isActive?: boolean } {
    const out: Partial<StoredSubscription> & { expiresAt?: Date | null; throttling?: number; isActive?: boolean } = {};
    if (!partial && body.type !== 'Subscription') throw bad('type must be "Subscription"');
    if (body.name !== undefined) out.name = String(body.name);
    if (body.subscriptionName !== undefined) out.name = String(body.subscriptionName);
    if (body.description !== undefined) out.description = String(body.description);
    if (body.entities !== undefined) {
      if (!Array.isArray(body.entities) || body.entities.length === 0) throw bad('entities must be a non-empty list');
      out.entities = body.entities.map((e: Record<string, unknown>) => {
        if (!e || typeof e.type !== 'string') throw bad('each entities item needs a type');
        if (e.id !== undefined && !isUri(e.id)) throw bad('entities[].id must be a URI');
        if (e.idPattern !== undefined) {
          try {
            new RegExp(String(e.idPattern));
          } catch {
            throw bad(`entities[].idPattern "${String(e.idPattern)}" is not a valid regular expression`);
          }
        }
        return { type: expandTerm(ctx, e.type), ...(e.id ? { id: e.id as string } : {}), ...(e.idPattern ? { idPattern: String(e.idPattern) } : {}) };
      });
    }
    if (body.watchedAttributes !== undefined) {
      if (!Array.isArray(body.watchedAttributes) || body.watchedAttributes.length === 0 || !body.watchedAttributes.every((a) => typeof a === 'string')) throw bad('watchedAttributes must be a non-empty list of names');
      out.watchedAttributes = body.watchedAttributes.map((a: string) => expandTerm(ctx, a));
    }
    if (body.q !== undefined) {
      parseQ(String(body.q));
      out.q = String(body.q);
    }
    if (body.geoQ !== undefined) {
      const g = body.geoQ as Record<string, unknown>;
      parseGeoQuery(g.georel as string, g.geometry as string, g.coordinates, 'x');
      out.geoQ = { georel: String(g.georel), geometry: String(g.geometry), coordinates: g.coordinates, ...(g.geoproperty ? { geoproperty: String(g.geoproperty) } : {}) };
    }
    if (body.notification !== undefined) {
      const n = body.notification as Record<string, unknown>;
      const ep = n?.endpoint as Record<string, unknown> | undefined;
      if (!ep || typeof ep.uri !== 'string' || !ENDPOINT.test(ep.uri)) throw bad('notification.endpoint.uri must be an http(s):// or mqtt(s):// URI');
      const accept = (ep.accept as string | undefined) ?? 'application/json';
      if (!['application/json', 'application/ld+json'].includes(accept)) throw bad('notification.endpoint.accept must be application/json or application/ld+json');
      const format = (n.format as string | undefined) ?? 'normalized';
      if (!['normalized', 'keyValues', 'concise'].includes(format)) throw bad('notification.format must be normalized, keyValues or concise');
      const receiverInfo = ep.receiverInfo as { key: string; value: string }[] | undefined;
      if (receiverInfo !== undefined && !(Array.isArray(receiverInfo) && receiverInfo.every((r) => typeof r?.key === 'string' && typeof r?.value === 'string'))) throw bad('receiverInfo must be a list of {key, value}');
      if (n.attributes !== undefined && !(Array.isArray(n.attributes) && n.attributes.every((a) => typeof a === 'string'))) throw bad('notification.attributes must be a list of names');
      out.notification = {
        format: format as Format,
        endpoint: { uri: ep.uri, accept, ...(receiverInfo ? { receiverInfo } : {}) },
        ...(n.attributes ? { attributes: (n.attributes as string[]).map((a) => expandTerm(ctx, a)) } : {}),
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
    if (!isUri(id)) throw bad('subscription id must be a URI');
    const p = this.parse(scope.ctx, body, false);
    if (!p.notification) throw bad('a subscription needs notification.endpoint');
    if (!p.entities && !p.watchedAttributes) throw bad('a subscription needs entities or watchedAttributes');
    const { expiresAt, throttling, isActive, ...rest } = p;
    const stored: StoredSubscription = { ...(rest as StoredSubscription), type: 'Subscription', context: scope.ctx.source, ownerOrgId: scope.actor.orgId ?? null };
    const now = this.clock();
    const ok = await store.insertSubscription(this.db, {
      tenant, id, body: stored as unknown as Record<string, unknown>, active: isActive ?? true, expires_at: expiresAt ?? null,
      throttling: throttling ?? 0, created_at: now, modified_at: now,
    });
    if (!ok) throw ngsiProblem('AlreadyExists', `subscription ${id} already exists`);
    return id;
  }

  async update(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    assertCan(scope.actor, 'context.subscription.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await store.findSubscription(this.db, tenant, id);
    if (!row) throw ngsiProblem('ResourceNotFound', `subscription ${id} does not exist`);
    if (body.id !== undefined && body.id !== id) throw bad('the id cannot change');
    const p = this.parse(scope.ctx, body, true);
    const { expiresAt, throttling, isActive, ...rest } = p;
    const merged = { ...row.body, ...rest, context: scope.ctx.source };
    await store.updateSubscription(this.db, tenant, id, {
      body: merged, active: isActive ?? row.active, expires_at: expiresAt === undefined ? row.expires_at : expiresAt,
      throttling: throttling ?? row.throttling, modified_at: this.clock(),
    });
  }

  async delete(scope: RequestScope, id: string): Promise<void> {
    assertCan(scope.actor, 'context.subscription.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (!(await store.deleteSubscription(this.db, tenant, id))) throw ngsiProblem('ResourceNotFound', `subscription ${id} does not exist`);
  }

  async get(scope: RequestScope, id: string): Promise<Record<string, unknown>> {
    assertCan(scope.actor, 'context.subscription.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await store.findSubscription(this.db, tenant, id);
    if (!row) throw ngsiProblem('ResourceNotFound', `subscription ${id} does not exist`);
    return this.render(scope.ctx, row);
  }

  async list(scope: RequestScope, limit: number, offset: number): Promise<Record<string, unknown>[]> {
    assertCan(scope.actor, 'context.subscription.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    return (await store.listSubscriptions(this.db, tenant, limit, offset)).map((r) => this.render(scope.ctx, r));
  }

  /** The subscription with its status members (§5.2.12, §5.2.15). */
  private render(ctx: LdContext, row: store.SubscriptionRow): Record<string, unknown> {
    const b = row.body as unknown as StoredSubscription;
    const now = this.clock();
    const expired = row.expires_at !== null && new Date(row.expires_at) <= now;
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : undefined);
    const failed = row.last_failure && (!row.last_success || new Date(row.last_failure) > new Date(row.last_success));
    return {
      id: row.id,
      type: 'Subscription',
      ...(b.name ? { subscriptionName: b.name } : {}),
      ...(b.description ? { description: b.description } : {}),
      ...(b.entities ? { entities: b.entities.map((e) => ({ ...e, type: compactIri(ctx, e.type) })) } : {}),
      ...(b.watchedAttributes ? { watchedAttributes: b.watchedAttributes.map((a) => compactIri(ctx, a)) } : {}),
      ...(b.q ? { q: b.q } : {}),
      ...(b.geoQ ? { geoQ: b.geoQ } : {}),
      notification: {
        ...(b.notification.attributes ? { attributes: b.notification.attributes.map((a) => compactIri(ctx, a)) } : {}),
        format: b.notification.format,
        endpoint: b.notification.endpoint,
        status: failed ? 'failed' : 'ok',
        timesSent: row.times_sent,
        timesFailed: row.times_failed,
        ...(row.last_notification ? { lastNotification: iso(row.last_notification) } : {}),
        ...(row.last_success ? { lastSuccess: iso(row.last_success) } : {}),
        ...(row.last_failure ? { lastFailure: iso(row.last_failure) } : {}),
      },
      ...(row.expires_at ? { expiresAt: iso(row.expires_at) } : {}),
      ...(row.throttling ? { throttling: row.throttling } : {}),
      isActive: row.active,
      status: expired ? 'expired' : row.active ? 'active' : 'paused',
      createdAt: iso(row.created_at),
      modifiedAt: iso(row.modified_at),
    };
  }

  private async compile(row: store.SubscriptionRow): Promise<{ ctx: LdContext; q?: QExpr; geo?: GeoQuery }> {
    const modified = new Date(row.modified_at).getTime();
    const key = `${row.tenant}\n${row.id}`;
    const hit = this.compiled.get(key);
    if (hit && hit.modified === modified) return hit;
    const b = row.body as unknown as StoredSubscription;
    const ctx = await this.contexts.resolve(b.context);
    const q = b.q ? parseQ(b.q) : undefined;
    const geo = b.geoQ ? parseGeoQuery(b.geoQ.georel, b.geoQ.geometry, b.geoQ.coordinates, b.geoQ.geoproperty ? expandTerm(ctx, b.geoQ.geoproperty) : 'https://uri.etsi.org/ngsi-ld/location') : undefined;
    const entry = { modified, ctx, q, geo };
    this.compiled.set(key, entry);
    return entry;
  }

  /** Inside the writing transaction: finds the subscriptions the changes trigger and queues their notifications. */
  async onChanges(trx: Db, tenant: string, changes: EntityChange[], now: Date): Promise<void> {
    const subs = await store.activeSubscriptions(trx, tenant, now);
    if (subs.length === 0) return;
    const rows: store.OutboxWrite[] = [];
    const notified: string[] = [];
    const policies = new Map<string, AccessPolicy>();
    for (const sub of subs) {
      const b = sub.body as unknown as StoredSubscription;
      if (sub.throttling > 0 && sub.last_notification && now.getTime() - new Date(sub.last_notification).getTime() < sub.throttling * 1000) continue;
      const { ctx, q, geo } = await this.compile(sub);
      const expand = (t: string) => expandTerm(ctx, t);
      let policy = AccessPolicy.unrestricted;
      if (b.ownerOrgId) {
        policy = policies.get(b.ownerOrgId) ?? AccessPolicy.for({ kind: 'user', roles: [] }, await rulesForOrg(trx, b.ownerOrgId, tenant));
        policies.set(b.ownerOrgId, policy);
      }
      const data: Record<string, unknown>[] = [];
      for (const c of changes) {
        const e = c.after;
        if (!e || !policy.canReadEntity(e.types)) continue;
        if (b.entities && !b.entities.some((s) => e.types.includes(s.type) && (!s.id || s.id === e.id) && (!s.idPattern || new RegExp(s.idPattern).test(e.id)))) continue;
        const readable = policy.readableAttrs(e.types);
        const touched = [...c.written, ...c.deleted].filter((a) => !readable || readable.has(a));
        if (touched.length === 0) continue;
        if (b.watchedAttributes && !touched.some((a) => b.watchedAttributes!.includes(a))) continue;
        if (q && !evaluateQ(q, e.attrs, expand)) continue;
        if (geo) {
          const g = e.attrs[geo.geoproperty]?.find((i) => i.type === 'GeoProperty');
          if (!g || !matchGeo(geo, g.value as Geometry).match) continue;
        }
        const only = b.notification.attributes ? new Set(b.notification.attributes.filter((a) => !readable || readable.has(a))) : readable;
        data.push(renderEntity(ctx, e, { format: b.notification.format, sysAttrs: false, only }));
      }
      if (data.length === 0) continue;
      const payload: Record<string, unknown> = {
        id: `urn:ngsi-ld:Notification:${randomUUID()}`,
        type: 'Notification',
        subscriptionId: sub.id,
        notifiedAt: now.toISOString(),
        data,
      };
      if (b.notification.endpoint.accept === 'application/ld+json') payload['@context'] = b.context;
      const headers: Record<string, string> = Object.fromEntries((b.notification.endpoint.receiverInfo ?? []).map((r) => [r.key, r.value]));
      // JSON notifications name the subscription's @context in a Link header (§6.3.5).
      if (b.notification.endpoint.accept === 'application/json') headers.Link = linkHeader(ctx.linkUrl);
      rows.push({ tenant, subscription_id: sub.id, endpoint: b.notification.endpoint.uri, accept: b.notification.endpoint.accept, headers, payload, due_at: now, created_at: now });
      notified.push(sub.id);
    }
    await store.enqueueNotifications(trx, rows);
    await store.markNotified(trx, tenant, notified, now);
  }
}
