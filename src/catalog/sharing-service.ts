import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, systemActor, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem, type FieldError } from '../platform/errors/problem.js';
import type { CatalogConfig } from './config.js';
import type { CatalogService, DatasetRow, FieldRow } from './catalog-service.js';
import type { OrgDirectory } from './org-directory.js';
import type { ShareGrantTable, ShareRequestTable } from './tables.js';
import type {
  GrantDecision, GrantView, MaskSpec, RequestListQuery, RequestOutcome, RequestView, ShareRequestInput,
} from './schemas.js';
import { endOfLocalDay } from '../platform/clock/local-time.js';
import type { DisclosureControl } from './disclosure-control.js';
import * as store from './sharing-store.js';
import { grantContent, iso } from './grant-content.js';

type RequestRow = Selectable<ShareRequestTable> & { owner_org_id: string; identifier: string; title: string };
type GrantRow = Selectable<ShareGrantTable>;

const isStaffAdmin = (actor: Actor) => actor.roles.includes('admin') || actor.roles.includes('data_admin');
/** Who flags overdue requests when the background job does (ledgered as `system:catalog-overdue`). */
const overdueJobActor = systemActor('catalog-overdue', ['data_admin']);

/** Sharing requests (共享申请), the owner's decision within the deadline, and grants that expire or are revoked. */
export class SharingService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly config: CatalogConfig,
    private readonly clock: Clock,
    private readonly catalog: CatalogService,
    private readonly orgs: OrgDirectory,
    /** The city's IANA time zone: a term given as a date lasts to the end of that local day. */
    private readonly timeZone: string,
    /** Privacy budgets: each grant's account is opened with the grant. */
    private readonly disclosure: DisclosureControl,
  ) {}

  /** The account a grant's aggregates are charged to. */
  static budgetHolder(grantId: string): string {
    return `share_grant:${grantId}`;
  }

  /** A term's end (`field` names it in the caller's input): in the future and within `maxGrantDays`. */
  private parseUntil(value: string, field: string): Date {
    const until = /^\d{4}-\d{2}-\d{2}$/.test(value) ? endOfLocalDay(value, this.timeZone) : new Date(value);
    const now = this.clock();
    const errors: FieldError[] = [];
    if (Number.isNaN(until.getTime())) errors.push({ field, message: 'not a date' });
    else if (until <= now) errors.push({ field, message: 'must be in the future' });
    else if (until.getTime() - now.getTime() > this.config.maxGrantDays * 86_400_000) {
      errors.push({ field, message: `at most ${this.config.maxGrantDays} days / 期限不得超过 ${this.config.maxGrantDays} 天` });
    }
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
    return until;
  }

  /** Field names must be in the schema; the message never echoes values. */
  private checkFieldNames(names: string[], fields: FieldRow[], field: string): void {
    const known = new Set(fields.map((f) => f.name));
    const errors = names.flatMap((n, i) => (known.has(n) ? [] : [{ field: `${field}/${i}`, message: 'not a field of the dataset' }]));
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
  }

  /**
   * A consumer unit asks for fields of a dataset. Unconditional datasets are granted at once (default masks, the
   * configured quota); conditional ones wait for the owner; not-shared ones cannot be requested.
   */
  async request(actor: Actor, input: ShareRequestInput): Promise<RequestOutcome> {
    assertCan(actor, 'share.request.create');
    if (!actor.orgId) throw new Problem('SHARE_NO_ORGANISATION', { detail: 'sharing requests are made on behalf of an organisation' });
    const dataset = await this.catalog.requireDataset(input.dataset);
    if (dataset.share_attr === 'not_shared') {
      throw new Problem('SHARE_NOT_SHARED', { detail: 'this dataset is not shared (不予共享)', extra: { basis: dataset.share_basis } });
    }
    const fields = await this.catalog.fields(dataset.id);
    this.checkFieldNames(input.fields, fields, 'fields');
    const until = this.parseUntil(input.until, 'until');
    const now = this.clock();
    const unconditional = dataset.share_attr === 'unconditional';
    const requestedFields = fields.filter((f) => input.fields.includes(f.name)).map((f) => f.name);
    // Read before the transaction: PGlite has one connection, so nothing may use the pool inside it.
    const names = await this.orgs.names();
    return this.db.transaction().execute(async (trx) => {
      const request = await store.insertRequest(trx, {
        dataset_id: dataset.id, consumer_org_id: actor.orgId!, requested_by: actorRef(actor), fields: requestedFields,
        purpose: input.purpose, legal_basis: input.legalBasis, aggregate_only: input.aggregateOnly ?? false,
        requested_until: until, status: unconditional ? 'granted' : 'pending',
        due_at: new Date(now.getTime() + this.config.decisionDeadlineHours * 3_600_000),
        decided_by: unconditional ? 'system:unconditional' : null, decided_at: unconditional ? now : null,
        reason: null, overdue_flagged_at: null, created_at: now,
      });
      await this.ledger.append('share.request.created', actor, `share_request:${request.id}`, {
        dataset: dataset.id, consumerOrg: request.consumer_org_id, fields: requestedFields, aggregateOnly: request.aggregate_only,
        until: until.toISOString(), shareAttr: dataset.share_attr,
      }, { trx });
      let grant: GrantRow | undefined;
      if (unconditional) {
        grant = await this.insertGrant(trx, actor, request, dataset, fields, { decision: 'grant' }, until);
      }
      return { request: this.requestView({ ...request, owner_org_id: dataset.owner_org_id, identifier: dataset.identifier, title: dataset.title }, names), grant: grant ? this.grantView(grant, dataset.identifier, now) : null };
    });
  }

  private async insertGrant(trx: Db, actor: Actor, request: Selectable<ShareRequestTable>, dataset: DatasetRow, fields: FieldRow[], d: GrantDecision, until: Date) {
    const granted = d.fields ?? request.fields;
    const masks: Record<string, MaskSpec> = {};
    for (const f of fields) if (granted.includes(f.name)) masks[f.name] = d.masks?.[f.name] ?? f.default_mask;
    const grant = await store.insertGrant(trx, {
      request_id: request.id, dataset_id: dataset.id, consumer_org_id: request.consumer_org_id,
      fields: fields.filter((f) => granted.includes(f.name)).map((f) => f.name),
      masks: JSON.stringify(masks), row_filters: JSON.stringify(d.rowFilters ?? []),
      aggregate_only: d.aggregateOnly ?? request.aggregate_only, k: d.k ?? this.config.k,
      purpose: request.purpose, legal_basis: request.legal_basis,
      max_rows_per_day: d.maxRowsPerDay ?? this.config.defaultMaxRowsPerDay,
      max_calls_per_minute: d.maxCallsPerMinute ?? this.config.defaultMaxCallsPerMinute,
      granted_by: actorRef(actor), granted_at: this.clock(), expires_at: until,
      revoked_at: null, revoked_by: null, revoke_reason: null,
      epsilon: d.epsilon ?? null, sum_bounds: JSON.stringify(d.sumBounds ?? {}),
    });
    const epsilon = d.epsilon ?? this.config.disclosure.epsilonPerGrant;
    await this.disclosure.open(trx, SharingService.budgetHolder(grant.id), { epsilon, delta: this.config.disclosure.deltaPerGrant });
    await this.ledger.append('share.grant.created', actor, `share_grant:${grant.id}`, {
      request: request.id, dataset: dataset.id, consumerOrg: grant.consumer_org_id, fields: grant.fields,
      masks: Object.entries(masks).map(([f, m]) => `${f}:${m.fn}`), rowFilters: (d.rowFilters ?? []).length,
      aggregateOnly: grant.aggregate_only, k: grant.k, expiresAt: until.toISOString(),
      epsilon, summable: Object.keys(d.sumBounds ?? {}),
    }, { trx, content: grantContent(grant) });
    return grant;
  }

  /** The owner grants (possibly narrower: fewer fields, shorter term, stricter masks, row filters) or refuses with a reason. */
  async decide(actor: Actor, requestId: string, d: GrantDecision): Promise<RequestOutcome> {
    assertCan(actor, 'share.request.decide');
    const request = await store.findRequest(this.db, requestId);
    if (!request) throw new Problem('SHARE_REQUEST_NOT_FOUND');
    const dataset = await this.catalog.requireDataset(request.dataset_id);
    if (!actor.roles.includes('admin') && actor.orgId !== dataset.owner_org_id) {
      throw new Problem('CATALOG_NOT_OWNER', { detail: 'only the owning organisation decides its sharing requests' });
    }
    if (request.status !== 'pending') throw new Problem('SHARE_REQUEST_DECIDED', { extra: { status: request.status } });
    const fields = await this.catalog.fields(dataset.id);
    const now = this.clock();
    let until = new Date(request.requested_until);
    if (d.decision === 'refuse') {
      if (!d.reason?.trim()) throw new Problem('SHARE_REASON_REQUIRED', { errors: [{ field: 'reason', message: 'a refusal needs a reason / 拒绝须说明理由' }] });
    } else {
      const errors: FieldError[] = [];
      if (d.fields) {
        d.fields.forEach((f, i) => { if (!request.fields.includes(f)) errors.push({ field: `fields/${i}`, message: 'not among the requested fields (a grant may only be narrower)' }); });
      }
      if (d.until) {
        until = this.parseUntil(d.until, 'until');
        if (until > new Date(request.requested_until)) errors.push({ field: 'until', message: 'later than the term requested' });
      }
      if (request.aggregate_only && d.aggregateOnly === false) errors.push({ field: 'aggregateOnly', message: 'the request was for aggregates only' });
      if (d.k !== undefined && d.k < this.config.k) errors.push({ field: 'k', message: `at least ${this.config.k}` });
      const granted = d.fields ?? request.fields;
      for (const name of Object.keys(d.masks ?? {})) if (!granted.includes(name)) errors.push({ field: `masks/${name}`, message: 'not a granted field' });
      (d.rowFilters ?? []).forEach((f, i) => { if (!fields.some((x) => x.name === f.field)) errors.push({ field: `rowFilters/${i}/field`, message: 'not a field of the dataset' }); });
      const maxEpsilon = this.config.disclosure.epsilonPerGrant;
      if (d.epsilon !== undefined && d.epsilon > maxEpsilon) errors.push({ field: 'epsilon', message: `at most ${maxEpsilon} (a grant may only be narrower)` });
      for (const [name, b] of Object.entries(d.sumBounds ?? {})) {
        const f = fields.find((x) => x.name === name);
        if (!f || !granted.includes(name)) errors.push({ field: `sumBounds/${name}`, message: 'not a granted field' });
        else if (f.type !== 'integer' && f.type !== 'number') errors.push({ field: `sumBounds/${name}`, message: 'not a numeric field' });
        else if (!(b.min <= b.max)) errors.push({ field: `sumBounds/${name}/max`, message: 'must not be below min' });
      }
      if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
    }
    const names = await this.orgs.names();
    return this.db.transaction().execute(async (trx) => {
      const decided = await store.decideRequest(trx, request.id, {
        status: d.decision === 'grant' ? 'granted' : 'refused', decided_by: actorRef(actor), decided_at: now,
        reason: d.reason?.trim() || null,
      });
      if (!decided) throw new Problem('SHARE_REQUEST_DECIDED');
      await this.ledger.append(`share.request.${d.decision === 'grant' ? 'granted' : 'refused'}`, actor, `share_request:${request.id}`, {
        dataset: dataset.id, consumerOrg: request.consumer_org_id, overdue: now > new Date(request.due_at),
      }, { trx });
      const grant = d.decision === 'grant' ? await this.insertGrant(trx, actor, decided, dataset, fields, d, until) : undefined;
      return {
        request: this.requestView({ ...decided, owner_org_id: dataset.owner_org_id, identifier: dataset.identifier, title: dataset.title }, names),
        grant: grant ? this.grantView(grant, dataset.identifier, now) : null,
      };
    });
  }

  /** Revokes a grant at once: the owner or the data bureau, with a reason. */
  async revoke(actor: Actor, grantId: string, reason: string): Promise<GrantView> {
    assertCan(actor, 'share.grant.revoke');
    const grant = await store.findGrant(this.db, grantId);
    if (!grant) throw new Problem('SHARE_GRANT_NOT_FOUND');
    const dataset = await this.catalog.requireDataset(grant.dataset_id);
    if (!isStaffAdmin(actor) && actor.orgId !== dataset.owner_org_id) {
      throw new Problem('CATALOG_NOT_OWNER', { detail: 'only the owning organisation or the data bureau revokes a grant' });
    }
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const revoked = await store.revokeGrant(trx, grant.id, now, actorRef(actor), reason);
      if (!revoked) throw new Problem('SHARE_GRANT_REVOKED');
      await this.ledger.append('share.grant.revoked', actor, `share_grant:${grant.id}`, { dataset: dataset.id, consumerOrg: grant.consumer_org_id }, { trx, content: grantContent(revoked) });
      return this.grantView(revoked, dataset.identifier, now);
    });
  }

  /**
   * The requests the actor's organisation made or received; the data bureau sees all. `overdue`: only pending
   * requests past their decision deadline (true) or only the others (false).
   */
  async listRequests(actor: Actor, filter: RequestListQuery = {}): Promise<RequestView[]> {
    assertCan(actor, 'share.request.read');
    const orgId = isStaffAdmin(actor) ? undefined : actor.orgId ?? '00000000-0000-0000-0000-000000000000';
    const rows = await store.listRequests(this.db, { orgId, status: filter.status, overdue: filter.overdue, now: this.clock() });
    const names = await this.orgs.names();
    return rows.map((r) => this.requestView(r, names));
  }

  async getRequest(actor: Actor, id: string): Promise<RequestView> {
    assertCan(actor, 'share.request.read');
    const request = await store.findRequest(this.db, id);
    if (!request) throw new Problem('SHARE_REQUEST_NOT_FOUND');
    const dataset = await this.catalog.requireDataset(request.dataset_id);
    if (!isStaffAdmin(actor) && actor.orgId !== request.consumer_org_id && actor.orgId !== dataset.owner_org_id) {
      throw new Problem('SHARE_REQUEST_NOT_FOUND');
    }
    return this.requestView({ ...request, owner_org_id: dataset.owner_org_id, identifier: dataset.identifier, title: dataset.title }, await this.orgs.names());
  }

  async listGrants(actor: Actor): Promise<GrantView[]> {
    assertCan(actor, 'share.request.read');
    const orgId = isStaffAdmin(actor) ? undefined : actor.orgId ?? '00000000-0000-0000-0000-000000000000';
    const now = this.clock();
    return (await store.listGrants(this.db, orgId)).map((g) => this.grantView(g, g.identifier, now));
  }

  /**
   * Flags pending requests past their deadline to the data bureau (督办): each newly overdue one gets
   * `overdue_flagged_at` once and a ledger entry, so the flag time is provable. Run by the module's background job
   * (the job `flag-overdue-requests`) and whenever the bureau reads its overdue list; idempotent, so nodes racing flag each request once.
   * Returns the number newly flagged.
   */
  async flagOverdue(by: Actor = overdueJobActor, now: Date = this.clock()): Promise<number> {
    const rows = await store.listOverdueRequests(this.db, now, { unflaggedOnly: true });
    if (rows.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      const flagged = await store.markOverdueFlagged(trx, rows.map((r) => r.id), now);
      for (const { id } of flagged) {
        const r = rows.find((x) => x.id === id)!;
        await this.ledger.append('share.request.overdue', by, `share_request:${id}`, { dataset: r.dataset_id, ownerOrg: r.owner_org_id, dueAt: iso(r.due_at)! }, { trx });
      }
      return flagged.length;
    });
  }

  /** Pending requests past their deadline, for the data bureau; any not yet flagged are flagged first. */
  async overdue(actor: Actor): Promise<RequestView[]> {
    assertCan(actor, 'share.overdue.read');
    const now = this.clock();
    await this.flagOverdue(actor, now);
    const rows = await store.listOverdueRequests(this.db, now);
    const names = await this.orgs.names();
    return rows.map((r) => this.requestView(r, names));
  }

  requestView(r: RequestRow, names: Map<string, string>): RequestView {
    const now = this.clock();
    return {
      id: r.id, datasetId: r.dataset_id, datasetIdentifier: r.identifier, datasetTitle: r.title,
      ownerOrgId: r.owner_org_id, ownerName: names.get(r.owner_org_id) ?? null,
      consumerOrgId: r.consumer_org_id, consumerName: names.get(r.consumer_org_id) ?? null,
      fields: r.fields, purpose: r.purpose, legalBasis: r.legal_basis, aggregateOnly: r.aggregate_only,
      requestedUntil: iso(r.requested_until)!, status: r.status, dueAt: iso(r.due_at)!,
      overdue: r.status === 'pending' && new Date(r.due_at) < now, overdueFlaggedAt: iso(r.overdue_flagged_at),
      decidedAt: iso(r.decided_at), decidedBy: r.decided_by, reason: r.reason, createdAt: iso(r.created_at)!,
    };
  }

  grantView(g: GrantRow, identifier: string, now: Date): GrantView {
    return {
      id: g.id, requestId: g.request_id, datasetId: g.dataset_id, datasetIdentifier: identifier, consumerOrgId: g.consumer_org_id,
      fields: g.fields, masks: g.masks, rowFilters: g.row_filters, aggregateOnly: g.aggregate_only, k: g.k,
      purpose: g.purpose, legalBasis: g.legal_basis, maxRowsPerDay: g.max_rows_per_day, maxCallsPerMinute: g.max_calls_per_minute,
      grantedAt: iso(g.granted_at)!, expiresAt: iso(g.expires_at)!, revokedAt: iso(g.revoked_at), revokeReason: g.revoke_reason,
      state: g.revoked_at ? 'revoked' : new Date(g.expires_at) <= now ? 'expired' : 'active',
      epsilon: g.epsilon ?? this.config.disclosure.epsilonPerGrant, sumBounds: g.sum_bounds ?? {},
    };
  }
}
