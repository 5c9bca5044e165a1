import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import { csvLine } from '../platform/csv/csv-writer.js';
import type { OperationConfig } from './config.js';
import type { PartyRow, PartyService } from './party-service.js';
import type { OrgEntry } from './org-names.js';
import type { DistributionReport, IncomeReport, Statement, StatementLine, StatementQuery, YearQuery } from './schemas.js';
import { departmentShare } from './fee-rules.js';
import { periodEnd, periodStart } from './periods.js';
import type { CallSums } from './meter-store.js';
import * as meter from './meter-store.js';
import * as registry from './registry-store.js';
import * as licences from './licence-store.js';

/** `12345` fen → `123.45`. */
export const yuan = (fen: number): string => `${fen < 0 ? '-' : ''}${Math.floor(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

const zero = () => ({ calls: 0, billableCalls: 0, publicInterestCalls: 0, records: 0, outputUnits: 0, computeMs: 0, feeFen: 0 });
const addTo = (t: ReturnType<typeof zero>, s: CallSums) => {
  t.calls += s.calls;
  t.billableCalls += s.billable_calls;
  t.publicInterestCalls += s.public_calls;
  t.records += s.records;
  t.outputUnits += s.output_units;
  t.computeMs += s.compute_ms;
  t.feeFen += s.fee_fen;
};

/**
 * Metering and fees: monthly statements (对账单) of an operator's sales and a market user's purchases, income per
 * operator and product against the 最高准许收入, and the distribution to the providing departments (收益分配) —
 * all summed from the metered calls in the database, in integer fen, so every figure agrees with the calls to
 * the cent and every node gives the same answer.
 */
export class AccountingService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly config: OperationConfig,
    private readonly parties: PartyService,
    private readonly timeZone: string,
  ) {}

  /** Whether the actor reads every party's figures (the implementing body, supervisors, the administrator). */
  private readsAll(actor: Actor): boolean {
    return actor.roles.includes('admin') || can(actor, 'operation.review.read');
  }

  /** A month's statement of an operator or a market user, for the implementing body, supervisors or that party. */
  async statement(actor: Actor, q: StatementQuery): Promise<Statement> {
    assertCan(actor, 'operation.statement.read');
    const party = await this.parties.require(q.party);
    if (party.kind === 'implementing_body') throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'party', message: 'an operator or a market user' }] });
    const own = actor.orgId === party.org_id
      && ((party.kind === 'operator' && actor.roles.includes('market_operator')) || (party.kind === 'market_user' && actor.roles.includes('market_user')));
    if (!this.readsAll(actor) && !own) throw new Problem('OPERATION_PARTY_NOT_FOUND');
    const sums = await meter.sumCalls(this.db, party.kind === 'operator' ? { month: q.month, operatorPartyId: party.id } : { month: q.month, marketUserPartyId: party.id });
    const names = await this.parties.orgs.all();
    const products = new Map((await registry.listProducts(this.db, { ids: [...new Set(sums.map((s) => s.product_id))] })).map((p) => [p.id, p]));
    const licenceNumbers = new Map((await licences.listLicences(this.db)).map((l) => [l.id, l.number]));
    const partyCache = new Map<string, PartyRow>();
    const partyOf = async (id: string) => partyCache.get(id) ?? partyCache.set(id, await this.parties.require(id)).get(id)!;
    const lines = new Map<string, StatementLine>();
    const totals = zero();
    for (const s of sums) {
      const counterpartyId = party.kind === 'operator' ? s.market_user_party_id : s.operator_party_id;
      const key = JSON.stringify([s.product_id, counterpartyId, s.use, s.billing_unit]);
      let line = lines.get(key);
      if (!line) {
        const p = products.get(s.product_id)!;
        line = {
          productId: s.product_id, productNumber: p.number, productName: p.name, licenceNumber: licenceNumbers.get(s.licence_id) ?? '',
          counterparty: this.parties.ref(await partyOf(counterpartyId), names), use: s.use, billingUnit: s.billing_unit, ...zero(),
        };
        lines.set(key, line);
      }
      addTo(line, s);
      addTo(totals, s);
    }
    return {
      month: q.month, party: this.parties.ref(party, names), kind: party.kind, lines: [...lines.values()], totals, generatedAt: this.clock().toISOString(),
    };
  }

  /** The statement as CSV (UTF-8, one line per product, counterparty, use and unit, then the total). */
  statementCsv(s: Statement): string {
    const header = ['month', 'party', 'party_credit_code', 'product_number', 'product_name', 'licence', 'counterparty', 'counterparty_credit_code',
      'use', 'billing_unit', 'calls', 'billable_calls', 'public_interest_calls', 'records', 'output_units', 'compute_ms', 'fee_fen', 'fee_yuan'];
    const row = (l: Omit<StatementLine, 'counterparty'> & { counterparty: { name: string | null; creditCode: string | null } }) => csvLine([
      s.month, s.party.name, s.party.creditCode, l.productNumber, l.productName, l.licenceNumber, l.counterparty.name, l.counterparty.creditCode,
      l.use, l.billingUnit, l.calls, l.billableCalls, l.publicInterestCalls, l.records, l.outputUnits, l.computeMs, l.feeFen, yuan(l.feeFen),
    ]);
    const total = row({
      productId: '', productNumber: 'TOTAL', productName: '合计', licenceNumber: '', counterparty: { name: null, creditCode: null },
      use: '' as never, billingUnit: null, ...s.totals,
    });
    return `\uFEFF${[csvLine(header), ...s.lines.map(row), total].join('\r\n')}\r\n`;
  }

  /** The operators the actor may see figures of (one, when asked and allowed). */
  private async operatorsFor(actor: Actor, asked?: string): Promise<PartyRow[]> {
    if (this.readsAll(actor)) {
      if (asked) return [await this.parties.require(asked, 'operator')];
      return this.parties.rows('operator');
    }
    const own = await this.parties.operatorOf(actor);
    if (!own || (asked && asked !== own.id)) throw new Problem('OPERATION_PARTY_NOT_FOUND');
    return [own];
  }

  /** The licences of an operator in force at some time in the year. */
  private async licencesInYear(operatorPartyId: string, year: number) {
    const start = periodStart(String(year), this.timeZone);
    const end = periodEnd(String(year), this.timeZone);
    return (await licences.listLicences(this.db, operatorPartyId)).filter((l) =>
      l.approved_at !== null && new Date(l.approved_at) <= end && new Date(l.valid_from) <= end && new Date(l.valid_until) >= start);
  }

  /** Income per operator and product for a year, against the operator's 最高准许收入 for the year. */
  async income(actor: Actor, q: YearQuery): Promise<IncomeReport> {
    assertCan(actor, 'operation.income.read');
    const operators = await this.operatorsFor(actor, q.operator);
    const names = await this.parties.orgs.all();
    const report: IncomeReport = { year: q.year, operators: [], totals: { incomeFen: 0, billableCalls: 0, publicInterestCalls: 0 } };
    for (const operator of operators) {
      const sums = await meter.sumCalls(this.db, { year: q.year, operatorPartyId: operator.id });
      const products = new Map((await registry.listProducts(this.db, { operatorPartyId: operator.id })).map((p) => [p.id, p]));
      const byProduct = new Map<string, IncomeReport['operators'][number]['products'][number]>();
      for (const s of sums) {
        const p = products.get(s.product_id)!;
        let entry = byProduct.get(s.product_id);
        if (!entry) byProduct.set(s.product_id, (entry = { productId: p.id, productNumber: p.number, productName: p.name, incomeFen: 0, billableCalls: 0, publicInterestCalls: 0, records: 0, months: [] }));
        entry.incomeFen += s.fee_fen;
        entry.billableCalls += s.billable_calls;
        entry.publicInterestCalls += s.public_calls;
        entry.records += s.records;
        const month = entry.months.find((m) => m.month === s.month);
        if (month) month.incomeFen += s.fee_fen;
        else entry.months.push({ month: s.month, incomeFen: s.fee_fen });
      }
      const incomeFen = [...byProduct.values()].reduce((a, p) => a + p.incomeFen, 0);
      const caps = (await this.licencesInYear(operator.id, q.year)).map((l) => l.max_permitted_income_fen);
      const maxPermitted = caps.some((c) => c !== null) ? caps.reduce<number>((a, c) => a + (c ?? 0), 0) : null;
      report.operators.push({
        operator: this.parties.ref(operator, names), incomeFen, maxPermittedIncomeFen: maxPermitted,
        remainingFen: maxPermitted === null ? null : maxPermitted - incomeFen, exceeded: maxPermitted !== null && incomeFen > maxPermitted,
        products: [...byProduct.values()].map((p) => ({ ...p, months: p.months.sort((a, b) => a.month.localeCompare(b.month)) })),
      });
      report.totals.incomeFen += incomeFen;
      report.totals.billableCalls += [...byProduct.values()].reduce((a, p) => a + p.billableCalls, 0);
      report.totals.publicInterestCalls += [...byProduct.values()].reduce((a, p) => a + p.publicInterestCalls, 0);
    }
    return report;
  }

  /**
   * The providing departments' shares of a year's income by the configured rule (or a licence's own basis
   * points), computed per product and month in integer fen (rounded down; the remainder stays with the
   * operator), so departments' shares plus what operators keep equal the income exactly.
   */
  async distribution(actor: Actor, q: YearQuery): Promise<DistributionReport> {
    assertCan(actor, 'operation.income.read');
    const operators = await this.operatorsFor(actor, q.operator);
    const names = await this.parties.orgs.all();
    const rule = this.config.distribution;
    const report: DistributionReport = {
      year: q.year,
      rule: { method: rule.method, basisPoints: rule.method === 'income_share' ? rule.basisPoints : null, fenPerRecord: rule.method === 'per_record' ? rule.fenPerRecord : null },
      departments: [], operators: [], totals: { incomeFen: 0, departmentSharesFen: 0, retainedFen: 0 },
    };
    const departments = new Map<string, DistributionReport['departments'][number]>();
    const licenceRows = new Map((await licences.listLicences(this.db)).map((l) => [l.id, l]));
    for (const operator of operators) {
      const sums = await meter.sumCalls(this.db, { year: q.year, operatorPartyId: operator.id });
      const products = new Map((await registry.listProducts(this.db, { operatorPartyId: operator.id })).map((p) => [p.id, p]));
      // income and billable records per product, month and providing department
      const cells = new Map<string, { productId: string; month: string; provider: string; licenceId: string; incomeFen: number; billableRecords: number }>();
      for (const s of sums) {
        const key = JSON.stringify([s.product_id, s.month, s.provider_org_id]);
        const cell = cells.get(key) ?? { productId: s.product_id, month: s.month, provider: s.provider_org_id, licenceId: s.licence_id, incomeFen: 0, billableRecords: 0 };
        cell.incomeFen += s.fee_fen;
        cell.billableRecords += s.billable_records;
        cells.set(key, cell);
      }
      let incomeFen = 0;
      let sharesFen = 0;
      for (const cell of [...cells.values()].sort((a, b) => (a.month + a.productId).localeCompare(b.month + b.productId))) {
        const shareFen = departmentShare(rule, licenceRows.get(cell.licenceId)?.distribution_basis_points ?? null, cell.incomeFen, cell.billableRecords);
        incomeFen += cell.incomeFen;
        sharesFen += shareFen;
        let dept = departments.get(cell.provider);
        if (!dept) departments.set(cell.provider, (dept = { orgId: cell.provider, name: names.get(cell.provider)?.name ?? null, shareFen: 0, products: [] }));
        dept.shareFen += shareFen;
        dept.products.push({ productId: cell.productId, productNumber: products.get(cell.productId)?.number ?? null, month: cell.month, incomeFen: cell.incomeFen, shareFen });
      }
      report.operators.push({ operator: this.parties.ref(operator, names), incomeFen, departmentSharesFen: sharesFen, retainedFen: incomeFen - sharesFen });
      report.totals.incomeFen += incomeFen;
      report.totals.departmentSharesFen += sharesFen;
      report.totals.retainedFen += incomeFen - sharesFen;
    }
    report.departments = [...departments.values()].sort((a, b) => (a.name ?? a.orgId).localeCompare(b.name ?? b.orgId));
    return report;
  }

  /** For the disclosure: a year's sums per product of an operator. */
  async productSums(operatorPartyId: string, year: number): Promise<Map<string, { incomeFen: number; billableCalls: number; publicInterestCalls: number }>> {
    const out = new Map<string, { incomeFen: number; billableCalls: number; publicInterestCalls: number }>();
    for (const s of await meter.sumCalls(this.db, { year, operatorPartyId })) {
      const e = out.get(s.product_id) ?? { incomeFen: 0, billableCalls: 0, publicInterestCalls: 0 };
      e.incomeFen += s.fee_fen;
      e.billableCalls += s.billable_calls;
      e.publicInterestCalls += s.public_calls;
      out.set(s.product_id, e);
    }
    return out;
  }

  licencesOfYear(operatorPartyId: string, year: number) {
    return this.licencesInYear(operatorPartyId, year);
  }

  names(): Promise<Map<string, OrgEntry>> {
    return this.parties.orgs.all();
  }
}
