import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger, LedgerBatch } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { invalidField, Problem } from '../platform/errors/problem.js';
import type { CatalogConfig } from './config.js';
import type { CatalogService, DatasetRow, FieldRow } from './catalog-service.js';
import { compileMask, type Masker } from './masking.js';
import type { ShareGrantTable } from './tables.js';
import type { AggregateAnswer, AggregateRequest, RowFilter, RowsPage, RowsRequest } from './schemas.js';
import { subjectTag } from './secrets.js';
import { endOfLocalDay, localDate } from '../platform/clock/local-time.js';
import { GrantCallLimiter } from './grant-call-limiter.js';
import { renderRows } from './row-output.js';
import * as shareStore from './sharing-store.js';
import * as rowStore from './row-store.js';
import { insertAccess } from './usage-store.js';
import type { DisclosureControl } from './disclosure-control.js';
import { SharingService } from './sharing-service.js';

type GrantRow = Selectable<ShareGrantTable>;

/** A page of rows as sent: the text (hashed into the ledger as it is) and what the route needs to send it. */
export interface RowsAnswer {
  body: string;
  contentType: string;
  rows: number;
  next: number | null;
  grantId: string;
  responseHash: string;
}

/** A keyed read inside the domain (`GatewayService.lookup`): rows whose fields equal the given values. */
export interface LookupRequest {
  grant: string;
  /** field → the value looked up; every field granted unmasked (a lookup by a masked field would read what the mask hides) */
  match: Record<string, string | number | boolean>;
  /** the fields returned, masked as the grant says */
  fields: string[];
  /** at most this many rows (default 10) */
  limit?: number;
}

/** What a keyed read found, with the dataset's owner and grading as they stand at this read. */
export interface LookupAnswer {
  rows: Array<Record<string, unknown>>;
  grantId: string;
  ownerOrgId: string;
  fields: FieldRow[];
  ledgerIndex: number;
  /** The read's ledger batch: entries the caller adds are written with the read's own, under one head lock. */
  ledger: LedgerBatch;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The sharing gateway: deny by default, only granted fields, the grant's row filters, masking per field and
 * consumer, differentially private aggregates within a budget per grant, quotas and rate limits per grant; every
 * call ledgered and logged per subject.
 */
export class GatewayService {
  private readonly limiter: GrantCallLimiter;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly config: CatalogConfig,
    private readonly clock: Clock,
    private readonly catalog: CatalogService,
    /** The city's IANA time zone: the quota day turns at local midnight. */
    private readonly timeZone: string,
    /** Disclosure control of aggregate answers (privacy budgets per grant). */
    private readonly disclosure: DisclosureControl,
  ) {
    this.limiter = new GrantCallLimiter(db);
  }

  /** The consumer's live grant for this dataset, or a refusal: no grant, expired, revoked all deny. */
  private async grantFor(actor: Actor, dataset: DatasetRow, grantId: string | undefined, wantRows: boolean): Promise<GrantRow> {
    if (!actor.orgId) throw new Problem('SHARE_NO_GRANT', { detail: 'no grant: gateway access is per organisation' });
    const now = this.clock();
    if (grantId) {
      const grant = await shareStore.findGrant(this.db, grantId);
      if (!grant || grant.consumer_org_id !== actor.orgId || grant.dataset_id !== dataset.id) throw new Problem('SHARE_NO_GRANT');
      if (grant.revoked_at) throw new Problem('SHARE_GRANT_REVOKED');
      if (new Date(grant.expires_at) <= now) throw new Problem('SHARE_GRANT_EXPIRED');
      if (wantRows && grant.aggregate_only) throw new Problem('SHARE_AGGREGATE_ONLY');
      return grant;
    }
    const live = await shareStore.findLiveGrants(this.db, actor.orgId, dataset.id, now);
    if (live.length === 0) throw new Problem('SHARE_NO_GRANT', { detail: 'your organisation holds no live grant for this dataset' });
    const grant = wantRows ? live.find((g) => !g.aggregate_only) : live[0];
    if (!grant) throw new Problem('SHARE_AGGREGATE_ONLY');
    return grant;
  }

  /** Counts a call against the grant's per-minute limit; returns the time it was counted at. */
  private async rateLimit(grant: GrantRow): Promise<Date> {
    const at = this.clock();
    await this.limiter.admit(grant.id, grant.max_calls_per_minute, at);
    return at;
  }

  /** The quota day: the city's local date, so it turns at local midnight. */
  private day(): string {
    return localDate(this.clock(), this.timeZone);
  }

  /** Rows left of the grant's quota today, or SHARE_QUOTA_EXCEEDED with the seconds until local midnight. */
  private async remainingRows(grant: GrantRow): Promise<number> {
    const day = this.day();
    const usage = await shareStore.findUsage(this.db, grant.id, day);
    const left = grant.max_rows_per_day - (usage?.rows ?? 0);
    if (left <= 0) {
      const untilMidnight = endOfLocalDay(day, this.timeZone).getTime() + 1 - this.clock().getTime();
      throw new Problem('SHARE_QUOTA_EXCEEDED', {
        retryAfterSeconds: Math.max(1, Math.ceil(untilMidnight / 1000)), extra: { maxRowsPerDay: grant.max_rows_per_day },
      });
    }
    return left;
  }

  private outputFields(schema: FieldRow[], grant: GrantRow, asked: string[] | undefined): FieldRow[] {
    if (asked && asked.some((f) => !grant.fields.includes(f))) {
      // The message names no field: a field not granted never appears in answers, errors included.
      throw new Problem('SHARE_FIELD_NOT_GRANTED', { detail: 'a requested field is not in your grant' });
    }
    const wanted = asked ?? grant.fields;
    return schema.filter((f) => grant.fields.includes(f.name) && wanted.includes(f.name));
  }

  private async maskers(grant: GrantRow, fields: FieldRow[]): Promise<Masker[]> {
    const ctx = { consumerKey: await this.catalog.secrets.consumerKey(grant.consumer_org_id), ageBands: this.config.ageBands };
    return fields.map((f) => compileMask(grant.masks[f.name] ?? f.default_mask, ctx));
  }

  /** A page of masked rows, as JSON or CSV text; ledgered with a hash of exactly the bytes returned. */
  async rows(actor: Actor, ref: string, q: RowsRequest): Promise<RowsAnswer> {
    assertCan(actor, 'share.gateway.use');
    const dataset = await this.catalog.requireDataset(ref);
    const grant = await this.grantFor(actor, dataset, q.grant, true);
    const schema = await this.catalog.fields(dataset.id);
    const fields = this.outputFields(schema, grant, q.fields);
    await this.rateLimit(grant);
    const remaining = await this.remainingRows(grant);
    const limit = Math.min(q.limit ?? 1000, this.config.maxPageSize, remaining);
    const maskers = await this.maskers(grant, fields);
    const names = fields.map((f) => f.name);
    const hasSubjects = schema.some((f) => f.subject_id);
    const format = q.format ?? 'json';

    return this.db.transaction().execute(async (trx) => {
      const page = await rowStore.pageRows(trx, dataset.id, q.after ?? 0, limit, grant.row_filters);
      const next = page.length === limit ? Number(page[page.length - 1]!.id) : null;
      const { body, subjects } = renderRows(page, maskers, format, { dataset: dataset.identifier, grant: grant.id, fields: names, next });
      const responseHash = sha256(body);
      await shareStore.addUsage(trx, grant.id, this.day(), page.length);
      const { index } = await this.ledger.append('share.gateway.rows', actor, `share_grant:${grant.id}`, {
        dataset: dataset.id, consumerOrg: grant.consumer_org_id, request: grant.request_id, purposeHash: sha256(grant.purpose),
        fields: names, rows: page.length, responseHash, format, address: actor.address ?? null,
      }, { trx });
      if (hasSubjects) {
        await insertAccess(trx, {
          grant_id: grant.id, dataset_id: dataset.id, consumer_org_id: grant.consumer_org_id, actor: actorRef(actor),
          purpose: grant.purpose, kind: 'rows', row_count: page.length, response_hash: responseHash,
          subject_tags: [...subjects].map(subjectTag), ledger_index: index, accessed_at: this.clock(),
        });
      }
      return {
        body, contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        rows: page.length, next, grantId: grant.id, responseHash,
      };
    });
  }

  /**
   * A keyed read by value for products computed inside the domain (a verification, a score): the rows whose
   * looked-up fields equal the given values — the subject field through its keyed hash (trimmed, case-folded, as
   * stored), other fields as the given value, trimmed, upper- or lower-cased, or the number it spells — with the
   * same grant check, masking, quota, rate limit, ledger entry and access log as a page of rows, but only the rows
   * found are read and logged ("who used my data" lists only them). `within` runs in the same transaction as the
   * read's ledger entry, so a caller's own record of the use (metering) commits with it, once.
   *
   * @example await gateway.lookup(actor, 'population', { grant, match: { id_number: id }, fields: ['name'] }, async (a) => a.rows.length > 0);
   */
  async lookup<T>(actor: Actor, ref: string, q: LookupRequest, within: (answer: LookupAnswer, trx: Db) => Promise<T>): Promise<T> {
    assertCan(actor, 'share.gateway.use');
    const dataset = await this.catalog.requireDataset(ref);
    const grant = await this.grantFor(actor, dataset, q.grant, true);
    const schema = await this.catalog.fields(dataset.id);
    const fields = this.outputFields(schema, grant, q.fields);
    const matched = Object.keys(q.match);
    this.outputFields(schema, grant, matched);
    if (matched.length === 0) throw invalidField('match', 'look up at least one field');
    const subjectField = schema.find((f) => f.subject_id);
    const filters: RowFilter[] = [...grant.row_filters];
    let subjectKey: string | null = null;
    for (const name of matched) {
      const f = schema.find((x) => x.name === name)!;
      if ((grant.masks[name] ?? f.default_mask).fn !== 'none') throw invalidField(`match/${name}`, 'lookups may use only fields granted unmasked');
      const value = q.match[name]!;
      if (f === subjectField && typeof value === 'string') subjectKey = await this.catalog.secrets.subjectKey(value);
      else filters.push(typeof value === 'boolean' ? { field: name, op: 'eq', value } : { field: name, op: 'in', value: spellings(value) });
    }
    const counted = await this.rateLimit(grant);
    const remaining = await this.remainingRows(grant);
    const limit = Math.min(q.limit ?? 10, this.config.maxPageSize, remaining);
    const maskers = await this.maskers(grant, fields);
    const hasSubjects = !!subjectField;
    const found = await rowStore.lookupRows(this.db, dataset.id, subjectKey, filters, limit);
    const names = fields.map((f) => f.name);
    const { body, subjects } = renderRows(found, maskers, 'json', { dataset: dataset.identifier, grant: grant.id, fields: names, next: null });
    const responseHash = sha256(body);
    const rows = (JSON.parse(body) as RowsPage).rows;
    // A read that rolls back (the caller's `within` threw) delivered nothing and leaves no usage or ledger entry:
    // its count against the minute is taken back too, so a call decided again (a product call on stale terms)
    // counts once.
    return this.db.transaction().execute(async (trx) => {
      await shareStore.addUsage(trx, grant.id, this.day(), found.length);
      const ledger = await this.ledger.batch(trx);
      const { index } = ledger.add('share.gateway.lookup', actor, `share_grant:${grant.id}`, {
        dataset: dataset.id, consumerOrg: grant.consumer_org_id, request: grant.request_id, purposeHash: sha256(grant.purpose),
        fields: names, matched, rows: found.length, responseHash, address: actor.address ?? null,
      });
      if (hasSubjects && subjects.size > 0) {
        await insertAccess(trx, {
          grant_id: grant.id, dataset_id: dataset.id, consumer_org_id: grant.consumer_org_id, actor: actorRef(actor),
          purpose: grant.purpose, kind: 'rows', row_count: found.length, response_hash: responseHash,
          subject_tags: [...subjects].map(subjectTag), ledger_index: index, accessed_at: this.clock(),
        });
      }
      const result = await within({ rows, grantId: grant.id, ownerOrgId: dataset.owner_org_id, fields: schema, ledgerIndex: index, ledger }, trx);
      await ledger.write();
      return result;
    }).catch(async (err: unknown) => {
      await this.limiter.withdraw(grant.id, counted);
      throw err;
    });
  }

  /**
   * Counts (and sums of unmasked numeric fields) per group of masked group-by values, over the rows the grant's
   * filters and the consumer's `where` leave, under disclosure control (`DisclosureControl`): each answer is
   * differentially private and spends `epsilon` of the grant's budget — charged before any row is read, refused
   * once spent — so that subtracting answers, narrowing filters to one person or repeating a question tells no
   * more about any one person than the guarantee allows (docs/catalog.md).
   */
  async aggregate(actor: Actor, ref: string, q: AggregateRequest): Promise<AggregateAnswer> {
    assertCan(actor, 'share.gateway.use');
    const dataset = await this.catalog.requireDataset(ref);
    const grant = await this.grantFor(actor, dataset, q.grant, false);
    const schema = await this.catalog.fields(dataset.id);
    const sum = q.sum ?? [];
    const where = q.where ?? [];
    const groupFields = this.outputFields(schema, grant, q.groupBy);
    const sumFields = this.outputFields(schema, grant, sum);
    const maskOf = (f: FieldRow) => grant.masks[f.name] ?? f.default_mask;
    for (const f of sumFields) {
      if (!['integer', 'number'].includes(f.type) || maskOf(f).fn !== 'none') {
        throw new Problem('SHARE_AGGREGATE_NOT_SUMMABLE', { detail: 'sums are allowed on unmasked numeric fields only' });
      }
      if (!grant.sum_bounds[f.name]) {
        throw new Problem('SHARE_AGGREGATE_NOT_SUMMABLE', { detail: 'the grant sets no bounds (sumBounds) for summing this field' });
      }
    }
    // Filters only on granted fields, and only on those granted unmasked: a filter on the raw value of a masked
    // field would read what the mask hides.
    this.outputFields(schema, grant, where.map((w) => w.field));
    where.forEach((w, i) => {
      const f = schema.find((x) => x.name === w.field)!;
      if (maskOf(f).fn !== 'none') throw invalidField(`where/${i}/field`, 'filters may use only fields granted unmasked');
    });
    const { disclosure: dc } = this.config;
    const epsilon = q.epsilon ?? Math.min(dc.epsilonPerQuery, dc.maxEpsilonPerQuery);
    if (epsilon > dc.maxEpsilonPerQuery) throw invalidField('epsilon', `at most ${dc.maxEpsilonPerQuery} per answer`);
    await this.rateLimit(grant);
    await this.remainingRows(grant);
    const maskers = await this.maskers(grant, groupFields);
    const keys = new Map<string, Record<string, unknown>>();
    const release = await this.disclosure.release({
      holder: SharingService.budgetHolder(grant.id),
      budget: { epsilon: grant.epsilon ?? dc.epsilonPerGrant, delta: dc.deltaPerGrant },
      epsilon, minCount: grant.k, sums: sumFields.map((f) => grant.sum_bounds[f.name]!),
    }, async () => {
      const rows = await rowStore.selectForAggregate(this.db, dataset.id, [...grant.row_filters, ...where],
        [...groupFields, ...sumFields].map((f) => f.name));
      return rows.map((row) => {
        const key: Record<string, unknown> = {};
        groupFields.forEach((f, i) => { key[f.name] = maskers[i]!(row.data[f.name]); });
        const group = JSON.stringify(groupFields.map((f) => key[f.name]));
        if (!keys.has(group)) keys.set(group, key);
        return { unit: row.subject_key ?? `row:${row.id}`, group, values: sumFields.map((f) => row.data[f.name]) };
      });
    });
    const answer: AggregateAnswer = {
      dataset: dataset.identifier, grant: grant.id, k: grant.k, groupBy: groupFields.map((f) => f.name), where,
      groups: release.groups.map((g) => ({
        key: keys.get(g.group)!, count: g.count, sums: Object.fromEntries(sumFields.map((f, i) => [f.name, g.sums[i]!])),
      })),
      privacy: {
        mechanism: 'discrete_laplace', epsilon: release.epsilon, delta: release.delta, threshold: release.threshold,
        countScale: release.countScale, sumScales: Object.fromEntries(sumFields.map((f, i) => [f.name, release.sumScales[i]!])),
        sumBounds: Object.fromEntries(sumFields.map((f) => [f.name, grant.sum_bounds[f.name]!])),
        maxRowsPerSubject: release.maxRowsPerUnit, budget: release.budget,
      },
    };
    const responseHash = sha256(JSON.stringify(answer));
    await this.db.transaction().execute(async (trx) => {
      await shareStore.addUsage(trx, grant.id, this.day(), 0);
      // No exact count of the rows read: staff and consumers may read ledger entries (ledger.read), and the true
      // count of a filtered question is exactly what disclosure control withholds.
      await this.ledger.append('share.gateway.aggregate', actor, `share_grant:${grant.id}`, {
        dataset: dataset.id, consumerOrg: grant.consumer_org_id, request: grant.request_id, purposeHash: sha256(grant.purpose),
        fields: [...answer.groupBy, ...sumFields.map((f) => f.name)], filters: where.length, groups: answer.groups.length,
        epsilon: release.epsilon, budgetSpent: release.budget.spent, responseHash,
      }, { trx });
    });
    return answer;
  }
}

/** The stored spellings a looked-up value may have: as given, trimmed, upper- or lower-cased, or as number and text. */
function spellings(value: string | number): Array<string | number> {
  if (typeof value === 'number') return [value, String(value)];
  const t = value.trim();
  const out = new Set<string | number>([value, t, t.toUpperCase(), t.toLowerCase()]);
  if (t !== '' && Number.isFinite(Number(t))) out.add(Number(t));
  return [...out];
}
