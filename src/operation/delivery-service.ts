import { performance } from 'node:perf_hooks';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger, LedgerBatch } from '../platform/ledger/ledger.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { isProblem, Problem, type ProblemOptions } from '../platform/errors/problem.js';
import type { ProblemCode } from '../platform/errors/problem-codes.js';
import type { OperationConfig } from './config.js';
import type { CatalogPort, DeliveryNeed } from './catalog-port.js';
import type { AccessRow } from './access-service.js';
import type { LicenceRow } from './licence-service.js';
import type { ProductRow } from './registry-service.js';
import {
  KeyInput, SandboxInput, VerificationInput,
  type BillingUnit, type CallAnswer, type Grade, type ProductSpec, type CallInput, type CallResult, type ModelSpec, type Quota, type SandboxResult, type ScoreSpec, type StatisticsRelease,
  type Use,
} from './schemas.js';
import { above, gradeText } from './grading.js';
import { periodEnd, periodKey } from './periods.js';
import { SandboxAggregator, inferenceOf, sameValue, scoreOf, sumBoundsOf, verificationMatcher } from './product-runners.js';
import { unitsOf, withinCap } from './fee-rules.js';
import { sha256 } from './versions.js';
import { CallTermsCache, readCallTerms, StaleTerms, type CallTerms } from './call-terms.js';
import * as deliveryStore from './delivery-store.js';
import * as meter from './meter-store.js';

/** What running a product gave: its answer and what it is metered by. */
/** What a call is metered against, checked before the product runs. */
interface Metering {
  actor: Actor;
  access: AccessRow;
  licence: LicenceRow;
  product: ProductRow;
  purpose: string;
  use: Use;
  price: { unit: BillingUnit; priceFen: number } | null;
  quotas: Array<{ holder: string; quota: Quota; rule: string; period: string }>;
  now: Date;
}

/** A product that reads its subject's record by key: what it looks up and how it answers from the rows found. */
interface KeyedRead {
  match: Record<string, Scalar>;
  fields: string[];
  compute(rows: Array<Record<string, unknown>>): Outcome;
}

interface Outcome {
  result: CallResult;
  records: number;
  outputUnits: number;
  /** a sandbox query's exact answer, held for review */
  held?: { query: SandboxInput; result: SandboxResult };
}

type Scalar = string | number | boolean;

/** Product types that read their subject's record by key (`keyedRead`). */
const KEYED: ReadonlySet<ProductSpec['type']> = new Set(['verification', 'score', 'model_inference']);

/**
 * In-domain delivery (域内交付): a market user's key calls a product; the call is checked against the access, the
 * licence (status, term, purpose, scope and grade as the catalog stands now, fee cap) and the quotas, each refusal
 * naming its rule; the product runs inside CityHub on rows the catalog delivers, and only its answer leaves —
 * yes/no, a score, a noisy release, or a sandbox result that waits for output review. Every call is metered
 * (calls, records, output units, compute time, fee in fen) in the database and ledgered, in one transaction.
 */
export class DeliveryService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly config: OperationConfig,
    private readonly port: CatalogPort,
    private readonly timeZone: string,
  ) {
    this.terms = new CallTermsCache(config.delivery.termsCacheEntries);
  }

  /** This node's copies of call terms (`CallTermsCache`: never the authority, checked when the call is metered). */
  private readonly terms: CallTermsCache;

  /** Calls a product; a refusal by a rule is ledgered too (`operation.product.refused`, with the rule). */
  async call(actor: Actor, productId: string, body: CallInput): Promise<CallAnswer> {
    assertCan(actor, 'operation.product.call');
    try {
      return await this.decide(actor, productId, body);
    } catch (err) {
      if (isProblem(err) && err.code.startsWith('OPERATION_')) {
        await this.ledger.append('operation.product.refused', actor, `operation_product:${productId}`, {
          code: err.code, rule: typeof err.extra?.rule === 'string' ? err.extra.rule : null,
          licence: typeof err.extra?.licence === 'string' ? err.extra.licence : null, purpose: body.purpose,
        });
      }
      throw err;
    }
  }

  /**
   * Decides a call on this node's copy of its terms when there is one, else on terms read now. Whatever the copy
   * leads to that the database might not — a refusal by a rule, or terms that changed by the time the call is
   * metered (`StaleTerms`) — is decided again on fresh terms; only the catalog's own refusals stand as they are.
   * Fresh terms that change while the call runs are read again, twice at most.
   */
  private async decide(actor: Actor, productId: string, body: CallInput): Promise<CallAnswer> {
    const keyId = actor.kind === 'api_key' ? actor.id : undefined;
    const copy = keyId ? this.terms.get(keyId, productId) : undefined;
    if (copy) {
      try {
        return await this.deliver(actor, body, copy, true);
      } catch (err) {
        this.terms.drop(keyId!, productId);
        const catalogs = isProblem(err) && String(err.extra?.rule ?? '').startsWith('catalog.');
        if (!(err instanceof StaleTerms) && !(isProblem(err) && !catalogs)) throw err;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const terms = await readCallTerms(this.db, keyId, productId);
      try {
        const answer = await this.deliver(actor, body, terms, false);
        if (keyId) this.terms.keep(keyId, productId, terms);
        return answer;
      } catch (err) {
        if (!(err instanceof StaleTerms)) throw err;
        if (attempt >= 3) {
          throw refusal('OPERATION_LICENCE_STATE', 'licence.version', 'the licence, the product or the access changed while the call ran; call again');
        }
      }
    }
  }

  /** Checks a call against its terms, runs the product and meters it; `onCopy`: the terms are this node's copy. */
  private async deliver(actor: Actor, body: CallInput, terms: CallTerms, onCopy: boolean): Promise<CallAnswer> {
    const { access, product, licence: productLicence } = terms;
    if (!access) throw refusal('OPERATION_NO_ACCESS', 'access.key', 'this key was not issued for authorized-operation products');
    if (access.status !== 'active') throw refusal('OPERATION_NO_ACCESS', 'access.status', 'this access is revoked');
    if (!product || !productLicence || !access.products.includes(product.id)) {
      throw refusal('OPERATION_NO_ACCESS', 'access.products', 'this access does not cover the product');
    }
    const licence = productLicence;
    const now = this.clock();
    // Started now, awaited in the order of the rules below (a refusal before then leaves them unread).
    // A product read by key gets the grading with its rows (the gateway reads it anyway): one read less per call.
    const byKey = KEYED.has(product.spec.type);
    const grading = byKey ? null : this.port.grading(product.dataset_id);
    const quotas = this.quotasOf(licence, access, now);
    const prechecked = Promise.all(quotas.map((q) => this.precheckQuota(q, licence.number)));
    grading?.catch(() => undefined);
    prechecked.catch(() => undefined);
    const rule = (code: ProblemCode, name: string, detail: string, options: ProblemOptions = {}) =>
      refusal(code, name, detail, { ...options, extra: { ...options.extra, licence: licence.number } });
    if (licence.id !== access.licence_id) throw rule('OPERATION_NO_ACCESS', 'access.licence', 'this access is for another licence');
    if (licence.status !== 'active') throw rule('OPERATION_LICENCE_NOT_ACTIVE', 'licence.status', `licence ${licence.number} is ${licence.status}`);
    if (now < new Date(licence.valid_from) || now > new Date(licence.valid_until)) {
      throw rule('OPERATION_LICENCE_TERM', 'licence.term',
        `licence ${licence.number} is in force from ${new Date(licence.valid_from).toISOString()} to ${new Date(licence.valid_until).toISOString()}`);
    }
    if (product.status !== 'registered') throw rule('OPERATION_PRODUCT_NOT_AVAILABLE', 'product.status', `product ${product.number ?? product.id} is ${product.status}`);

    const scenario = licence.scenarios.find((s) => s.code === product.scenario);
    if (!scenario || !scenario.purposes.includes(body.purpose)) {
      throw rule('OPERATION_PURPOSE_NOT_LICENSED', 'licence.purpose',
        `purpose "${body.purpose}" is not licensed for scenario "${product.scenario}" of licence ${licence.number} (licensed: ${scenario?.purposes.join(', ') ?? 'none'})`);
    }
    if (!access.purposes.includes(body.purpose)) {
      throw rule('OPERATION_PURPOSE_NOT_LICENSED', 'access.purpose', `purpose "${body.purpose}" is not granted to this market user (granted: ${access.purposes.join(', ')})`);
    }
    const scope = licence.scope.find((s) => s.datasetId === product.dataset_id);
    const outside = product.fields.filter((f) => !scope?.fields.includes(f));
    if (outside.length > 0) {
      throw rule('OPERATION_OUTSIDE_SCOPE', 'licence.scope', `field "${outside[0]}" is outside licence ${licence.number}'s scope`, { extra: { fields: outside } });
    }
    // The grading as the catalog holds it now: a field regraded above the licence since registration stops here
    // (for a product read by key, in the read's transaction before anything is computed or metered).
    const gradeCheck = (fields: Array<{ name: string; grade: Grade; generalLevel: string | null }>) => {
      const limit = { grade: licence.max_grade, generalLevel: licence.max_grade === 'general' ? licence.max_general_level : null };
      const regraded = fields.find((f) => product.fields.includes(f.name) && above(f, limit, this.port.generalLevels()));
      if (regraded) {
        throw rule('OPERATION_OUTSIDE_SCOPE', 'licence.grade',
          `field "${regraded.name}" is now graded ${gradeText(regraded)}; licence ${licence.number} allows ${gradeText(limit)} at most`, { extra: { field: regraded.name, grade: regraded.grade } });
      }
    };
    const dataset = grading ? await grading : null;
    if (dataset) gradeCheck(dataset.fields);
    const use: Use = body.use ?? 'commercial';
    if (use !== 'commercial' && !access.public_uses.includes(use)) {
      throw rule('OPERATION_PUBLIC_USE_NOT_APPROVED', 'access.public_use', `${use} use is not approved for this market user by the implementing body`);
    }
    let price: { unit: BillingUnit; priceFen: number } | null = null;
    if (use === 'commercial') {
      const cap = licence.fee_caps[product.id];
      if (!cap) throw rule('OPERATION_NO_FEE_CAP', 'licence.fee_cap', `licence ${licence.number} sets no fee cap for this product`);
      if (!product.price) throw rule('OPERATION_PRICE_NOT_SET', 'product.price', 'the operator has set no price for commercial use');
      if (!withinCap(product.price, cap)) {
        throw rule('OPERATION_PRICE_ABOVE_CAP', 'licence.fee_cap',
          `the price ${product.price.priceFen} fen ${product.price.unit} is above the cap of licence ${licence.number} (${cap.capFen} fen ${cap.unit})`,
          { extra: { priceFen: product.price.priceFen, capFen: cap.capFen, unit: cap.unit } });
      }
      price = product.price;
    }
    await prechecked;

    const need: DeliveryNeed = {
      productId: product.id, datasetId: product.dataset_id, aggregateOnly: product.type === 'statistics', fields: product.fields,
      sumBounds: product.spec.type === 'statistics' ? sumBoundsOf(product.spec) : {}, until: new Date(licence.valid_until),
      onCopy,
      purpose: `授权运营 ${licence.number} ${product.number ?? ''} ${product.name}（${scenario.name}）`.replace(/\s+/g, ' ').slice(0, 1000),
      legalBasis: `公共数据资源授权运营协议 ${licence.number}（发改数据规〔2025〕27号）`,
    };
    const call: Metering = { actor, access, licence, product, purpose: body.purpose, use, price, quotas, now };
    const input = body.input ?? {};
    const keyed = this.keyedRead(product, input);
    if (keyed) {
      // The rows read by key, the answer computed and the call metered in the gateway's transaction: one commit.
      return this.port.lookup(need, keyed.match, keyed.fields, async (answer, trx) => {
        gradeCheck(answer.fields.map((f) => ({ name: f.name, grade: f.grade, generalLevel: f.general_level })));
        const started = performance.now();
        const outcome = keyed.compute(answer.rows);
        return this.meter(trx, answer.ledger, call, outcome, answer.ownerOrgId, started);
      });
    }
    const started = performance.now();
    const outcome = await this.run(product, need, input, now);
    return this.db.transaction().execute(async (trx) => {
      const ledger = await this.ledger.batch(trx);
      const answer = await this.meter(trx, ledger, call, outcome, dataset!.ownerOrgId, started);
      await ledger.write();
      return answer;
    });
  }

  /**
   * Meters a call in the caller's transaction: the quota counters (refusing a call another took the last of), the
   * period charge, the ledger entry, and — when the ledger batch is written, before the commit — the metered row
   * and a held sandbox run. The answer's `callId` is set then.
   */
  private async meter(trx: Db, ledger: LedgerBatch, call: Metering, outcome: Outcome, providerOrgId: string, started: number): Promise<CallAnswer> {
    const { actor, access, licence, product, price, quotas, now, use } = call;
    const computeMs = Math.max(0, Math.round(performance.now() - started));
    for (const q of quotas) {
      const ok = await meter.countCall(trx, q.holder, q.period, outcome.records, { calls: q.quota.calls ?? null, records: q.quota.records ?? null });
      if (!ok) {
        // Another call took the last of it meanwhile, or this call's records do not fit: say which.
        const used = await meter.findCounter(trx, q.holder, q.period);
        const callsLeft = q.quota.calls == null || (used?.calls ?? 0) + 1 <= q.quota.calls;
        throw this.quotaProblem(q, licence.number, callsLeft ? 'records' : 'calls');
      }
    }
    const day = periodKey(now, 'day', this.timeZone);
    const month = day.slice(0, 7); // YYYY-MM of the local day (one reading of the zone's clock, not two)
    const firstInPeriod = price?.unit === 'per_period' ? await meter.claimPeriodCharge(trx, access.id, product.id, month) : false;
    const units = price ? unitsOf(price.unit, outcome, firstInPeriod) : 0;
    const feeFen = price ? price.priceFen * units : 0;
    const responseHash = sha256(JSON.stringify(outcome.held?.result ?? outcome.result));
    // The ledger entry first, so the metered call carries its index (one write less than updating it after).
    const { index } = ledger.add('operation.product.called', actor, `operation_product:${product.id}`, {
      product: product.number, licence: licence.number, access: access.id, marketUser: access.market_user_party_id, day,
      purpose: call.purpose, use, billable: use === 'commercial', records: outcome.records, outputUnits: outcome.outputUnits,
      unit: price?.unit ?? null, feeFen, responseHash,
    });
    const fee = { billable: use === 'commercial', unit: price?.unit ?? null, unitPriceFen: price?.priceFen ?? 0, units, feeFen };
    const answer: CallAnswer = {
      callId: 0, // the metered row's id, set below when the ledger's write has stored it (before the commit)
      product: product.number!, use, result: outcome.result, metered: { records: outcome.records, outputUnits: outcome.outputUnits, computeMs }, fee,
    };
    // The metered row rides in the ledger's write (one round trip for the entries, the head and the row).
    ledger.ride(meter.insertCallIfCurrent(trx, {
      called_at: now, day, month, licence_id: licence.id, product_id: product.id, access_id: access.id,
      operator_party_id: product.operator_party_id, market_user_party_id: access.market_user_party_id, provider_org_id: providerOrgId,
      purpose: call.purpose, use, billable: fee.billable, records: outcome.records, output_units: outcome.outputUnits, compute_ms: computeMs,
      billing_unit: fee.unit, unit_price_fen: fee.unitPriceFen, units, fee_fen: feeFen, response_hash: responseHash, ledger_index: index,
    }, { licenceId: licence.id, licenceVersion: licence.version, productId: product.id, productVersion: product.version, accessId: access.id }),
    async ([inserted]) => {
      // Something it was decided on changed (on any node) since it was read: roll back, decide again.
      if (!inserted) throw new StaleTerms();
      answer.callId = Number(inserted.id);
      if (outcome.held) {
        const run = await deliveryStore.insertSandboxRun(trx, {
          product_id: product.id, licence_id: licence.id, access_id: access.id, market_user_party_id: access.market_user_party_id, call_id: answer.callId,
          query: JSON.stringify(outcome.held.query), result: JSON.stringify(outcome.held.result), result_hash: responseHash, status: 'pending',
          submitted_at: now, reviewed_by: null, reviewed_at: null, reason: null,
        });
        answer.result = { kind: 'sandbox_query', runId: run.id, status: 'pending' };
      }
    });
    return answer;
  }

  /**
   * A product that reads its subject's record by key (verification by its matched values, score and model
   * inference by their key field): what to look up, and how its answer is computed from the rows found. The
   * input is checked here, before anything is read. Null for statistics and sandbox queries.
   */
  private keyedRead(product: ProductRow, input: Record<string, unknown>): KeyedRead | null {
    const spec = product.spec;
    switch (spec.type) {
      case 'verification': {
        const { values } = checked(VerificationInput, input);
        const missing = spec.match.filter((f) => !(f in values));
        const extra = Object.keys(values).filter((f) => !spec.match.includes(f));
        if (missing.length > 0 || extra.length > 0) {
          throw new Problem('VALIDATION_FAILED', {
            errors: [...missing.map((f) => ({ field: `input/values/${f}`, message: 'required' })), ...extra.map((f) => ({ field: `input/values/${f}`, message: 'not a field this product verifies' }))],
          });
        }
        const matches = verificationMatcher(spec, values as Record<string, Scalar>);
        return {
          match: values as Record<string, Scalar>, fields: spec.match,
          compute: (rows) => ({ result: { kind: 'verification', match: rows.some(matches) }, records: 1, outputUnits: 1 }),
        };
      }
      case 'score':
      case 'model_inference': {
        const { key } = checked(KeyInput, input);
        const found = (rows: Array<Record<string, unknown>>) => rows.find((row) => sameValue(row[spec.key], key));
        if (spec.type === 'score') {
          return {
            match: { [spec.key]: key }, fields: product.fields,
            compute: (rows) => {
              const row = found(rows);
              return { result: { kind: 'score', found: !!row, score: row ? scoreOf(spec, row) : null }, records: row ? 1 : 0, outputUnits: 1 };
            },
          };
        }
        return {
          match: { [spec.key]: key }, fields: product.fields,
          compute: (rows) => {
            const row = found(rows);
            const inferred = row ? inferenceOf(spec, row) : null;
            return {
              result: { kind: 'model_inference', found: !!row, probability: inferred?.probability ?? null, label: inferred?.label ?? null },
              records: row ? 1 : 0, outputUnits: 1,
            };
          },
        };
      }
      default:
        return null;
    }
  }

  /** The quotas that limit something (a quota without limits needs no counter: the calls are metered anyway). */
  private quotasOf(licence: LicenceRow, access: AccessRow, now: Date) {
    const of = (holder: string, quota: Quota, rule: string) => ({ holder, quota, rule, period: periodKey(now, quota.period, this.timeZone) });
    return [
      of(`licence:${licence.id}`, licence.quota, 'licence.quota'),
      ...(access.quota ? [of(`access:${access.id}`, access.quota, 'access.quota')] : []),
    ].filter((q) => q.quota.calls != null || q.quota.records != null);
  }

  /** Refuses before running when the period's calls or records are already used up. */
  private async precheckQuota(q: ReturnType<DeliveryService['quotasOf']>[number], licenceNumber: string): Promise<void> {
    const used = await meter.findCounter(this.db, q.holder, q.period);
    if (!used) return;
    if (q.quota.calls != null && used.calls >= q.quota.calls) throw this.quotaProblem(q, licenceNumber, 'calls');
    if (q.quota.records != null && used.records >= q.quota.records) throw this.quotaProblem(q, licenceNumber, 'records');
  }

  private quotaProblem(q: ReturnType<DeliveryService['quotasOf']>[number], licenceNumber: string, what: 'calls' | 'records'): Problem {
    const limit = what === 'calls' ? q.quota.calls : q.quota.records;
    const retry = Math.max(1, Math.ceil((periodEnd(q.period, this.timeZone).getTime() + 1 - this.clock().getTime()) / 1000));
    return refusal('OPERATION_QUOTA_EXCEEDED', `${q.rule}.${what}`,
      `${q.rule === 'licence.quota' ? `licence ${licenceNumber}` : 'this market user\'s access'} allows ${limit} ${what} per ${q.quota.period}; ${q.period} is used up`,
      { retryAfterSeconds: retry, extra: { licence: licenceNumber, period: q.period, limit } });
  }

  /** Runs a statistics or sandbox product on what the catalog delivers; what leaves is only its answer. */
  private async run(product: ProductRow, need: DeliveryNeed, input: Record<string, unknown>, now: Date): Promise<Outcome> {
    const spec = product.spec;
    switch (spec.type) {
      case 'statistics': {
        if (Object.keys(input).length > 0) throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'input', message: 'a statistics product takes no input' }] });
        const release = await this.release(product, need, now);
        return { result: { kind: 'statistics', release }, records: 0, outputUnits: release.groups.length };
      }
      case 'sandbox_query': {
        const query = checked(SandboxInput, input);
        const used = [...query.groupBy, ...(query.sum ?? []), ...(query.where ?? []).map((w) => w.field)];
        const errors = used.filter((f) => !spec.fields.includes(f)).map((f) => ({ field: 'input', message: `"${f}" is not a field of this sandbox` }));
        if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
        const aggregator = new SandboxAggregator(query);
        await this.port.scan(need, [...new Set(used.length > 0 ? used : [spec.fields[0]!])], (row) => { aggregator.add(row); });
        const result = aggregator.result(this.config.sandbox.minGroupSize, this.config.sandbox.maxGroups);
        return { result: { kind: 'sandbox_query', runId: '', status: 'pending' }, records: result.rows, outputUnits: result.groups.length, held: { query, result } };
      }
      default:
        throw new Error(`a ${spec.type} product reads by key (keyedRead)`);
    }
  }

  /**
   * The statistics release of the current period: made once through the catalog's disclosure control (the
   * gateway's differentially private aggregate, charged to the product's grant) and served to every call of the
   * period. Two nodes making the first one at once both pay ε; the first stored is kept for everyone.
   */
  private async release(product: ProductRow, need: DeliveryNeed, now: Date): Promise<StatisticsRelease> {
    if (product.spec.type !== 'statistics') throw new Error('not a statistics product');
    const spec = product.spec;
    const period = periodKey(now, spec.refresh, this.timeZone);
    const stored = await deliveryStore.findRelease(this.db, product.id, period);
    if (stored) return stored.release;
    const answer = await this.port.aggregate(need, spec.groupBy, (spec.sum ?? []).map((s) => s.field), spec.epsilon);
    const release: StatisticsRelease = {
      period, releasedAt: now.toISOString(), epsilon: answer.privacy.epsilon, threshold: answer.privacy.threshold, groups: answer.groups,
    };
    await deliveryStore.insertRelease(this.db, {
      product_id: product.id, period, release: JSON.stringify(release), share_grant_id: answer.grant, released_at: now,
    });
    return (await deliveryStore.findRelease(this.db, product.id, period))!.release;
  }
}

/** A refusal naming the rule (`licence.purpose`, `licence.quota.calls` …) in `rule`. */
function refusal(code: ProblemCode, rule: string, detail: string, options: ProblemOptions = {}): Problem {
  return new Problem(code, { ...options, detail, extra: { rule, ...options.extra } });
}

/** The product's input checked against its type's schema; errors name `input/…`. */
function checked<T extends TSchema>(schema: T, input: unknown): import('typebox').Static<T> {
  if (Value.Check(schema, input)) return input as import('typebox').Static<T>;
  const errors = [...Value.Errors(schema, input)].slice(0, 10).map((e) => ({
    field: `input${(e as { instancePath?: string }).instancePath ?? ''}`, message: e.message,
  }));
  throw new Problem('VALIDATION_FAILED', { errors: errors.length > 0 ? errors : [{ field: 'input', message: 'not the input this product takes' }] });
}
