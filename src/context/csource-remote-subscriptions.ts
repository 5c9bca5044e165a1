import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm, linkHeader, type ContextResolver } from './jsonld-context.js';
import { SourceFailure } from './csource-forwarder.js';
import type { Federation } from './csource-federation.js';
import { SubscriptionService } from './subscription-service.js';
import { activeSubscriptions, enqueueNotifications, findSubscription, markNotified } from './subscription-store.js';
import { expandOperations, matchingInfos, type StoredRegistration } from './csource-model.js';
import * as store from './csource-store.js';
import type { RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The members of a local subscription read here (the subscription service owns the full shape). */
interface LocalSubscription {
  entities?: { type: string; id?: string; idPattern?: string }[];
  watchedAttributes?: string[];
  q?: string;
  scopeQ?: string;
  geoQ?: Record<string, unknown>;
  notification: { format?: string; attributes?: string[]; endpoint: { uri: string; accept: string; receiverInfo?: { key: string; value: string }[] } };
  context: unknown;
  owner?: { ref: string; kind: Actor['kind']; orgId: string | null; roles: Actor['roles'] };
}

/**
 * Subscriptions on a broker that also watch its context sources (§4.3.6.2, `createSubscription` in a
 * registration's operations): for each matching registration, the broker subscribes at the source on behalf of
 * the local subscription, with itself (`csources.selfUrl`) as the endpoint and a random token in the path; what
 * the source sends there is filtered by the local owner's access rules and queued for the local subscriber like
 * a local change. Deleting the local subscription deletes those at the sources.
 */
export class RemoteSubscriptions {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly federation: Federation,
    private readonly contexts: ContextResolver,
    private readonly selfUrl: string,
    private readonly log: Logger,
  ) {}

  /** Subscribes at every matching source; failures are warnings (the local subscription stands). */
  async subscribe(scope: RequestScope, localId: string, body: JsonObjectBody): Promise<void> {
    if (!this.selfUrl) return;
    const entities = Array.isArray(body.entities) ? body.entities.filter(isObject) : undefined;
    const types = entities?.map((e) => expandTerm(scope.ctx, String(e.type)));
    const watched = Array.isArray(body.watchedAttributes) ? body.watchedAttributes.map((a) => expandTerm(scope.ctx, String(a))) : undefined;
    const regs = (await this.federation.matching(scope, 'createSubscription', { types, attrs: watched })).filter((r) => r.registration.mode !== 'auxiliary');
    await Promise.all(regs.map(({ registration }) => this.subscribeAt(scope, registration, localId, body)));
  }

  /**
   * A new registration that takes subscriptions: the tenant's active subscriptions it matches subscribe there too
   * (best effort, like `subscribe`).
   */
  async subscribeExisting(scope: RequestScope, reg: StoredRegistration): Promise<void> {
    if (!this.selfUrl || reg.mode === 'auxiliary' || !expandOperations(reg.operations).has('createSubscription') || !this.federation.forwarder.mayForward()) return;
    for (const row of await activeSubscriptions(this.db, scope.tenant, this.clock())) {
      const b = row.body as unknown as LocalSubscription;
      if (!b.owner) continue;
      if (matchingInfos(reg, { types: b.entities?.map((e) => e.type), attrs: b.watchedAttributes }).length === 0) continue;
      const ctx = await this.contexts.resolve(b.context).catch(() => this.contexts.core);
      // The stored subscription in the compact form its creator used, as `subscribe` receives it.
      const body: JsonObjectBody = {
        ...(b.entities ? { entities: b.entities.map((e) => ({ ...e, type: compactIri(ctx, e.type) })) } : {}),
        ...(b.watchedAttributes ? { watchedAttributes: b.watchedAttributes.map((a) => compactIri(ctx, a)) } : {}),
        ...(b.q ? { q: b.q } : {}),
        ...(b.scopeQ ? { scopeQ: b.scopeQ } : {}),
        ...(b.geoQ ? { geoQ: b.geoQ } : {}),
        notification: { format: b.notification.format, ...(b.notification.attributes ? { attributes: b.notification.attributes.map((a) => compactIri(ctx, a)) } : {}) },
      };
      await this.subscribeAt({ ...scope, ctx }, reg, row.id, body);
    }
  }

  /** Subscribes at one source on behalf of a local subscription; a failure is a warning. */
  private async subscribeAt(scope: RequestScope, reg: StoredRegistration, localId: string, body: JsonObjectBody): Promise<void> {
    const entities = Array.isArray(body.entities) ? body.entities.filter(isObject) : undefined;
    const n = isObject(body.notification) ? body.notification : {};
    const token = randomBytes(24).toString('base64url');
    const remote = {
      type: 'Subscription',
      ...(entities ? { entities } : {}),
      ...(body.watchedAttributes ? { watchedAttributes: body.watchedAttributes } : {}),
      ...(body.q ? { q: body.q } : {}),
      ...(body.scopeQ ? { scopeQ: body.scopeQ } : {}),
      ...(body.geoQ ? { geoQ: body.geoQ } : {}),
      notification: {
        ...(n.attributes ? { attributes: n.attributes } : {}),
        ...(n.format ? { format: n.format } : {}),
        endpoint: { uri: `${this.selfUrl.replace(/\/+$/, '')}/ngsi-ld/v1/cityhub/csourceNotifications/${token}`, accept: 'application/json' },
      },
    };
    try {
      const answer = await this.federation.forwarder.call(reg, 'POST', '/subscriptions', { ctx: scope.ctx, body: remote });
      const location = answer.headers.location;
      if (answer.status !== 201 || typeof location !== 'string') throw new SourceFailure(reg.endpoint, `answered ${answer.status} to a subscription`);
      await store.insertRemoteSubscription(this.db, {
        token_hash: sha256(token), tenant: scope.tenant, subscription_id: localId, registration_id: reg.id,
        remote_url: location.replace(/^.*\/ngsi-ld\/v1/, ''), created_at: this.clock(),
      });
    } catch (err) {
      this.federation.forwarder.warn(err);
    }
  }

  /** Deletes the subscriptions made at sources for a local one (best effort: a source that is gone is skipped). */
  async unsubscribe(scope: RequestScope, localId: string): Promise<void> {
    for (const row of await store.takeRemoteSubscriptions(this.db, scope.tenant, localId)) {
      const reg = (await store.findRegistration(this.db, row.tenant, row.registration_id))?.body;
      if (!reg) continue;
      await this.federation.forwarder.call(reg as never, 'DELETE', row.remote_url, { ctx: scope.ctx }).catch((err) => this.log.warn({ err }, 'subscription at a context source not deleted'));
    }
  }

  /**
   * A notification from a source (POST /cityhub/csourceNotifications/{token}): queued for the local subscriber,
   * as the local owner may read it. An unknown token answers 404 (nothing says whether it ever existed).
   */
  async receive(token: string, body: JsonObjectBody): Promise<void> {
    const row = await store.findRemoteSubscription(this.db, sha256(token));
    const sub = row && (await findSubscription(this.db, row.tenant, row.subscription_id));
    if (!row || !sub) throw ngsiProblem('ResourceNotFound', 'no such subscription');
    if (!Array.isArray(body.data) || body.data.length > 1000) throw ngsiProblem('BadRequestData', 'data: must be a list of at most 1000 entities', { errors: [{ field: 'data', message: 'must be a list of entities' }] });
    const now = this.clock();
    if (!sub.active || (sub.expires_at && new Date(sub.expires_at) <= now)) return;
    const b = sub.body as unknown as LocalSubscription;
    const ctx = await this.contexts.resolve(b.context).catch(() => this.contexts.core);
    // The local owner's rules decide what reaches the subscriber (a subscription stored without owner: nothing).
    const owner: Actor = b.owner ? { kind: b.owner.kind, orgId: b.owner.orgId, roles: b.owner.roles } : { kind: 'user', orgId: null, roles: [] };
    const entities = body.data.filter((e) => isObject(e) && typeof e.id === 'string');
    const data = await this.federation.readable({ actor: owner, tenant: row.tenant, ctx }, entities as Record<string, unknown>[]);
    if (data.length === 0) return;
    const ep = b.notification.endpoint;
    const payload: Record<string, unknown> = { id: `urn:ngsi-ld:Notification:${randomUUID()}`, type: 'Notification', subscriptionId: sub.id, notifiedAt: now.toISOString(), data };
    if (ep.accept === 'application/ld+json') payload['@context'] = b.context;
    const headers: Record<string, string> = Object.fromEntries((ep.receiverInfo ?? []).map((r) => [r.key, r.value]));
    if (ep.accept === 'application/json') headers.Link = linkHeader(ctx.linkUrl);
    await this.db.transaction().execute(async (trx) => {
      await enqueueNotifications(trx, [{ tenant: row.tenant, subscription_id: sub.id, endpoint: ep.uri, accept: ep.accept, headers, payload, due_at: now, created_at: now }]);
      await markNotified(trx, row.tenant, [sub.id], now);
    });
  }
}

/** Entity subscriptions that also subscribe at the matching context sources (RemoteSubscriptions). */
export class FederatedSubscriptionService extends SubscriptionService {
  private remote?: RemoteSubscriptions;

  federate(remote: RemoteSubscriptions): void {
    this.remote = remote;
  }

  override async create(scope: RequestScope, body: JsonObjectBody): Promise<string> {
    const id = await super.create(scope, body);
    await this.remote?.subscribe(scope, id, body);
    return id;
  }

  /** A change is passed on by making the subscriptions at the sources again from the changed one. */
  override async update(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    await super.update(scope, id, body);
    if (!this.remote) return;
    const changed = await super.get(scope, id);
    await this.remote.unsubscribe(scope, id);
    await this.remote.subscribe(scope, id, changed);
  }

  override async delete(scope: RequestScope, id: string): Promise<void> {
    await super.delete(scope, id);
    await this.remote?.unsubscribe(scope, id);
  }
}
