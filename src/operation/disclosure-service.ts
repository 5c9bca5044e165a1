import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { LedgerService } from '../platform/ledger/ledger-service.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import { canonicalJson } from '../platform/ledger/entry-body.js';
import { csvLine } from '../platform/csv/csv-writer.js';
import type { OperationConfig } from './config.js';
import type { PartyService } from './party-service.js';
import type { AccountingService } from './accounting-service.js';
import type { Disclosure, DisclosureReminder, LedgerCheck } from './schemas.js';
import { localDate } from '../platform/clock/local-time.js';
import { periodEnd } from './periods.js';
import { iso, sha256 } from './versions.js';
import * as registry from './registry-store.js';
import * as store from './disclosure-store.js';

/**
 * The annual disclosure (信息披露, 国家数据局综合司《关于做好公共数据资源授权运营信息披露工作的通知》, 2026):
 * by the end of March, the implementing body publishes its information, the authorisations and the fee caps;
 * each operator its information, the resources it is authorised for, its product list and its actual fees —
 * generated from the registrations, licences and metered calls of the year, as JSON and CSV. Publishing
 * freezes the document with its SHA-256 in the ledger; the published one is public.
 */
export class DisclosureService {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    private readonly config: OperationConfig,
    private readonly parties: PartyService,
    private readonly accounting: AccountingService,
    private readonly timeZone: string,
  ) {}

  /** The disclosure of a year as it stands now (a draft until published). */
  async draft(actor: Actor, year: number): Promise<Disclosure> {
    assertCan(actor, 'operation.disclosure.read');
    return this.generate(year);
  }

  private async generate(year: number): Promise<Disclosure> {
    const names = await this.parties.orgs.all();
    const body = await this.parties.implementingBody();
    const doc: Disclosure = {
      year, dueBy: `${year + 1}-${this.config.disclosureDue}`, generatedAt: this.clock().toISOString(), publishedAt: null, documentSha256: null,
      implementingBody: body ? { name: names.get(body.org_id)?.name ?? null, creditCode: body.credit_code, contact: body.contact } : null,
      licences: [], feeCaps: [], operators: [],
    };
    for (const operator of await this.parties.rows('operator')) {
      const inYear = await this.accounting.licencesOfYear(operator.id, year);
      if (inYear.length === 0) continue;
      const sums = await this.accounting.productSums(operator.id, year);
      const resources = new Map<string, Disclosure['operators'][number]['resources'][number]>();
      const products: Disclosure['operators'][number]['products'] = [];
      let maxPermitted: number | null = null;
      for (const l of inYear) {
        const scoped = await Promise.all(l.scope.map((s) => registry.findResourceByDataset(this.db, s.datasetId)));
        for (const r of scoped) if (r) resources.set(r.number, { number: r.number, title: r.title, provider: names.get(r.provider_org_id)?.name ?? null, grade: r.grade });
        doc.licences.push({
          number: l.number, title: l.title, operator: names.get(operator.org_id)?.name ?? '', operatorCreditCode: operator.credit_code, mode: l.mode, domain: l.domain,
          resources: scoped.flatMap((r) => (r ? [r.number] : [])), scenarios: l.scenarios.map((s) => s.name),
          validFrom: iso(l.valid_from)!, validUntil: iso(l.valid_until)!, status: l.status, approvedAt: iso(l.approved_at),
        });
        if (l.max_permitted_income_fen !== null) maxPermitted = (maxPermitted ?? 0) + l.max_permitted_income_fen;
        for (const p of await registry.listProducts(this.db, { licenceId: l.id })) {
          if (p.number === null) continue; // never registered: not a product on the market
          const cap = l.fee_caps[p.id] ?? null;
          if (cap) doc.feeCaps.push({ licenceNumber: l.number, productNumber: p.number, productName: p.name, unit: cap.unit, capFen: cap.capFen });
          const used = sums.get(p.id) ?? { incomeFen: 0, billableCalls: 0, publicInterestCalls: 0 };
          products.push({
            number: p.number, name: p.name, type: p.type, scenario: p.scenario, status: p.status, unit: p.price?.unit ?? cap?.unit ?? null,
            priceFen: p.price?.priceFen ?? null, capFen: cap?.capFen ?? null, ...used,
          });
        }
      }
      doc.operators.push({
        name: names.get(operator.org_id)?.name ?? null, creditCode: operator.credit_code, contact: operator.contact,
        resources: [...resources.values()], products, incomeFen: products.reduce((a, p) => a + p.incomeFen, 0), maxPermittedIncomeFen: maxPermitted,
      });
    }
    return doc;
  }

  /**
   * Publishes a finished year's disclosure: frozen as generated now, with its SHA-256 in the ledger; once.
   */
  async publish(actor: Actor, year: number): Promise<Disclosure> {
    assertCan(actor, 'operation.disclosure.publish');
    await this.parties.assertImplementingBody(actor);
    if (this.clock() <= periodEnd(String(year), this.timeZone)) {
      throw new Problem('OPERATION_DISCLOSURE_YEAR_OPEN', { detail: `${year} has not ended yet` });
    }
    if (await store.findDisclosure(this.db, year)) throw new Problem('OPERATION_DISCLOSURE_PUBLISHED');
    const now = this.clock();
    const generated = { ...(await this.generate(year)), publishedAt: now.toISOString() };
    const hash = sha256(canonicalJson({ ...generated, documentSha256: null }));
    const doc = { ...generated, documentSha256: hash };
    await this.db.transaction().execute(async (trx) => {
      const row = await store.insertDisclosure(trx, { year, document: JSON.stringify(doc), document_hash: hash, published_by: actorRef(actor), published_at: now });
      if (!row) throw new Problem('OPERATION_DISCLOSURE_PUBLISHED');
      await this.ledger.append('operation.disclosure.published', actor, `operation_disclosure:${year}`, {
        year, documentSha256: hash, licences: doc.licences.length, operators: doc.operators.length,
      }, { trx });
    });
    return doc;
  }

  /**
   * The reminder on the supervisor's screen: last year's disclosure, due by `disclosureDue` (end of March) of this
   * year; whether it is published, the days left, overdue.
   */
  async reminder(actor: Actor): Promise<DisclosureReminder> {
    assertCan(actor, 'operation.disclosure.read');
    const now = this.clock();
    const thisYear = Number(localDate(now, this.timeZone).slice(0, 4));
    const year = thisYear - 1;
    const due = `${thisYear}-${this.config.disclosureDue}`;
    const published = await store.findDisclosure(this.db, year);
    const daysLeft = Math.ceil((periodEnd(due, this.timeZone).getTime() - now.getTime()) / 86_400_000);
    return { year, due, published: !!published, publishedAt: iso(published?.published_at ?? null), daysLeft, overdue: !published && daysLeft < 0 };
  }

  /** The published disclosure of a year, for anyone. */
  async published(year: number): Promise<Disclosure> {
    const row = await store.findDisclosure(this.db, year);
    if (!row) throw new Problem('OPERATION_DISCLOSURE_NOT_PUBLISHED');
    return row.document as Disclosure;
  }

  /** The disclosure as CSV: one line per item, its section first. */
  csv(d: Disclosure): string {
    const header = ['section', 'year', 'operator', 'operator_credit_code', 'number', 'name', 'type_or_mode', 'scenario', 'status', 'unit', 'cap_fen',
      'price_fen', 'billable_calls', 'public_interest_calls', 'income_fen', 'max_permitted_income_fen', 'valid_from', 'valid_until'];
    const lines = [csvLine(header)];
    const line = (values: Record<string, unknown>) => lines.push(csvLine(header.map((h) => values[h] ?? null)));
    if (d.implementingBody) line({ section: 'implementing_body', year: d.year, operator: d.implementingBody.name, operator_credit_code: d.implementingBody.creditCode });
    for (const l of d.licences) {
      line({
        section: 'licence', year: d.year, operator: l.operator, operator_credit_code: l.operatorCreditCode, number: l.number, name: l.title,
        type_or_mode: l.mode, scenario: l.scenarios.join(' / '), status: l.status, valid_from: l.validFrom, valid_until: l.validUntil,
      });
    }
    for (const c of d.feeCaps) line({ section: 'fee_cap', year: d.year, number: c.productNumber, name: c.productName, scenario: c.licenceNumber, unit: c.unit, cap_fen: c.capFen });
    for (const o of d.operators) {
      for (const r of o.resources) line({ section: 'resource', year: d.year, operator: o.name, operator_credit_code: o.creditCode, number: r.number, name: r.title, type_or_mode: r.grade });
      for (const p of o.products) {
        line({
          section: 'product', year: d.year, operator: o.name, operator_credit_code: o.creditCode, number: p.number, name: p.name, type_or_mode: p.type,
          scenario: p.scenario, status: p.status, unit: p.unit, cap_fen: p.capFen, price_fen: p.priceFen, billable_calls: p.billableCalls,
          public_interest_calls: p.publicInterestCalls, income_fen: p.incomeFen,
        });
      }
      line({ section: 'operator_total', year: d.year, operator: o.name, operator_credit_code: o.creditCode, income_fen: o.incomeFen, max_permitted_income_fen: o.maxPermittedIncomeFen });
    }
    return `\uFEFF${lines.join('\r\n')}\r\n`;
  }

  /** The supervisor's check of the whole audit ledger (what `cityhub ledger verify` does), against this node's key. */
  async verifyLedger(actor: Actor): Promise<LedgerCheck> {
    assertCan(actor, 'operation.ledger.verify');
    const v = await this.ledger.verify();
    return { ok: v.ok, entries: v.entries, checkpoints: v.checkpoints, firstBadIndex: v.fault?.index ?? null, message: v.fault?.message ?? null };
  }
}
