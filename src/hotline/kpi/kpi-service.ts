import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Actor } from '../../platform/auth/roles.js';
import { assertCan, can } from '../../platform/auth/permissions.js';
import { Problem, invalidField } from '../../platform/errors/problem.js';
import { openStatuses } from '../ticket-workflow.js';
import type { KpiConfig } from './config.js';
import { countTicketsByDistrict, kpiCounts, ticketPlaces, type KpiCountRow } from './kpi-store.js';
import { refreshRollup, setUpRollup } from './kpi-rollup-store.js';
import { addCounts, computeRates, rankByComposite, zeroCounts } from './three-rates.js';
import { nextPeriodStart, parseWhen, periodLabel, periodStart, periodStarts, type Period } from './kpi-periods.js';
import { kpiCsv, kpiXlsx } from './kpi-export.js';
import type {
  DistrictCounts, DistrictCountsQuery, GroupBy, KpiCounts, KpiFormula, KpiRow, KpiTable, KpiTableQuery, KpiTrend, KpiTrendQuery, TicketPoints,
} from './schemas.js';

/** The part of the auth service the KPI needs: unit names. */
export interface OrgDirectory {
  listOrgs(actor: Actor): Promise<{ id: string; name: string }[]>;
}

const unnamed: Record<GroupBy, string> = {
  unit: '(未派单 not dispatched)',
  district: '(无区域 no district)',
  category: '(未分类 no category)',
};

const DAY_MS = 86_400_000;

/**
 * The three rates (三率) and their companions, per unit, district, category and period, with rankings; and the
 * cockpit's tickets per district. Counting is one SQL query (kpi-store.ts); the formulas are three-rates.ts,
 * applied here to the counts. Leaders, supervisors and agents see the whole city; a handler sees its own unit only.
 * Periods and bare dates are in the city's time zone (`city.timeZone`).
 */
export class KpiService {
  private readonly formula: KpiFormula;
  private rollupReady: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: KpiConfig,
    /** the city's IANA time zone */
    private readonly timeZone: string,
    private readonly clock: Clock,
    private readonly orgs: OrgDirectory,
    /** Where the counts are read (a replica may lag a moment; the roll-up is kept on the primary `db`). */
    private readonly reader: Db = db,
  ) {
    this.formula = { weights: config.weights, satisfactionScores: config.satisfactionScores };
  }

  /** Rates per group (and per period when `period` is set), ranked by composite. */
  async table(actor: Actor, request: KpiTableQuery): Promise<KpiTable> {
    const scopeUnitId = this.scope(actor, request.unitId);
    const groupBy = request.groupBy ?? 'unit';
    const { from, to } = this.range(request, request.period ?? 'month', 1);
    const tz = this.timeZone;
    await this.ensureRollup();
    const counted = await kpiCounts(this.reader, {
      groupBy, from, to, period: request.period, timeZone: tz,
      unitId: scopeUnitId ?? request.unitId, districtId: request.districtId, level1: request.level1,
    });
    const names = groupBy === 'unit' ? await this.unitNames(actor) : new Map<string, string>();
    const rows = counted.map((r): Omit<KpiRow, 'periodStart'> & { periodStart: Date | null } => ({
      rank: null,
      key: r.key,
      name: (groupBy === 'unit' ? (r.key ? names.get(r.key) : undefined) : r.name) ?? (r.key ?? unnamed[groupBy]),
      periodStart: r.periodStart,
      periodLabel: r.periodStart && request.period ? periodLabel(r.periodStart, request.period, tz) : null,
      counts: countsOf(r),
      rates: computeRates(r, this.formula),
    }));
    // Rank within each period (the whole range is one period when none is asked for).
    const byPeriod = new Map<number, typeof rows>();
    for (const row of rows) {
      const k = row.periodStart?.getTime() ?? 0;
      byPeriod.set(k, [...(byPeriod.get(k) ?? []), row]);
    }
    for (const group of byPeriod.values()) {
      const ranks = rankByComposite(group.map((g) => ({ composite: g.rates.composite, visited: g.counts.visited })), this.config.rankMinVisited);
      group.forEach((row, i) => (row.rank = ranks[i]));
    }
    rows.sort(
      (a, b) =>
        (a.periodStart?.getTime() ?? 0) - (b.periodStart?.getTime() ?? 0) ||
        (a.rank ?? Infinity) - (b.rank ?? Infinity) ||
        b.counts.visited - a.counts.visited ||
        a.name.localeCompare(b.name, 'zh-CN'),
    );
    const totalCounts = counted.reduce<KpiCounts>((acc, r) => addCounts(acc, countsOf(r)), zeroCounts());
    return {
      groupBy, period: request.period ?? null, from: from.toISOString(), to: to.toISOString(), timeZone: tz,
      formula: this.formula, scopeUnitId,
      rows: rows.map((r): KpiRow => ({ ...r, periodStart: r.periodStart?.toISOString() ?? null })),
      total: { counts: totalCounts, rates: computeRates(totalCounts, this.formula) },
    };
  }

  /** One point per period (month by default, the last 12), every period present even when empty: the cockpit's line. */
  async trend(actor: Actor, request: KpiTrendQuery): Promise<KpiTrend> {
    const scopeUnitId = this.scope(actor, request.unitId);
    const period = request.period ?? 'month';
    const { from, to } = this.range(request, period, 12);
    const tz = this.timeZone;
    const unitId = scopeUnitId ?? request.unitId;
    await this.ensureRollup();
    const counted = await kpiCounts(this.reader, {
      groupBy: 'city', from, to, period, timeZone: tz, unitId, districtId: request.districtId, level1: request.level1,
    });
    const byStart = new Map(counted.map((r) => [r.periodStart!.getTime(), countsOf(r)]));
    const series = periodStarts(from, to, period, tz).map((start) => {
      const counts = byStart.get(start.getTime()) ?? zeroCounts();
      return { periodStart: start.toISOString(), periodLabel: periodLabel(start, period, tz), counts, rates: computeRates(counts, this.formula) };
    });
    return {
      period, from: from.toISOString(), to: to.toISOString(), timeZone: tz,
      filter: { unitId: unitId ?? null, districtId: request.districtId ?? null, level1: request.level1 ?? null },
      series,
    };
  }

  /**
   * Folds every changed day before today (in the city's zone) into the daily roll-up; returns the number of
   * days rolled. The background job calls it every `rollupJobIntervalSeconds`; the rates are exact whether it
   * ran or not (docs/kpi.md), it only makes them cheaper to count.
   *
   * @example await kpi.refreshRollup() // → 1 (yesterday) on a normal day, every past day after a time zone change
   */
  async refreshRollup(): Promise<number> {
    await this.ensureRollup();
    const tz = this.timeZone;
    return refreshRollup(this.db, tz, periodLabel(periodStart(this.clock(), 'day', tz), 'day', tz));
  }

  /** The table as CSV (UTF-8 with BOM, so Excel shows the Chinese) and its file name. */
  async exportCsv(actor: Actor, request: KpiTableQuery): Promise<{ filename: string; body: string }> {
    const table = await this.table(actor, request);
    return { filename: `${exportName(table)}.csv`, body: kpiCsv(table) };
  }

  /** The table as an XLSX workbook and its file name. */
  async exportXlsx(actor: Actor, request: KpiTableQuery): Promise<{ filename: string; body: Buffer }> {
    const table = await this.table(actor, request);
    return { filename: `${exportName(table)}.xlsx`, body: await kpiXlsx(table) };
  }

  /**
   * Tickets, open, overdue and sign-overdue tickets per district, filed in [from, to) (default: the last 365
   * days): the cockpit's map. The whole city only (`hotline.kpi.read.all`).
   *
   * @example await kpi.districtCounts(leader) // { from, to, districts: [{ areaId, name: '临江区', tickets: 12, open: 3, … }] }
   */
  async districtCounts(actor: Actor, range: DistrictCountsQuery = {}): Promise<DistrictCounts> {
    assertCan(actor, 'hotline.kpi.read.all');
    const { from, to } = this.mapRange(range);
    const rows = await countTicketsByDistrict(this.reader, from, to, openStatuses);
    return {
      from: from.toISOString(), to: to.toISOString(),
      districts: rows.map((r) => ({
        areaId: r.id, name: r.name, tickets: Number(r.tickets), open: Number(r.open), overdue: Number(r.overdue), signOverdue: Number(r.sign_overdue),
      })),
    };
  }

  /**
   * The places of the tickets filed in the range (default: the last 365 days), for the cockpit's heat and overdue
   * layers: rounded to 3 decimals (about 100 m), newest first, at most `mapPointLimit`.
   */
  async ticketPoints(actor: Actor, range: DistrictCountsQuery = {}): Promise<TicketPoints> {
    assertCan(actor, 'hotline.kpi.read.all');
    const { from, to } = this.mapRange(range);
    const limit = this.config.mapPointLimit;
    const rows = await ticketPlaces(this.reader, from, to, limit + 1);
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      from: from.toISOString(), to: to.toISOString(), truncated: rows.length > limit,
      points: rows.slice(0, limit).map((r) => ({
        lon: round(Number(r.lon)), lat: round(Number(r.lat)), open: (openStatuses as readonly string[]).includes(r.status), overdue: r.overdue,
      })),
    };
  }

  /** The maps' range: [from, to) from the request, by default the 365 days up to now (a ticket filed this instant included). */
  private mapRange(range: DistrictCountsQuery): { from: Date; to: Date } {
    const to = range.to ? new Date(range.to) : new Date(this.clock().getTime() + 1);
    const from = range.from ? new Date(range.from) : new Date(to.getTime() - 365 * DAY_MS);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) throw invalidField('from', 'from must be a date before to');
    return { from, to };
  }

  /**
   * Who sees what: `hotline.kpi.read` to see any rate; `hotline.kpi.read.all` for the whole city. Anyone else
   * (a handler) is held to its own unit. Returns the unit the query must be limited to, or null.
   */
  private scope(actor: Actor, unitId: string | undefined): string | null {
    assertCan(actor, 'hotline.kpi.read');
    if (can(actor, 'hotline.kpi.read.all')) return null;
    if (!actor.orgId) throw new Problem('FORBIDDEN', { detail: 'a handling unit sees its own rates; this account belongs to no unit / 账号未归属承办单位' });
    if (unitId !== undefined && unitId !== actor.orgId) {
      throw new Problem('FORBIDDEN', { detail: 'a handling unit sees its own rates only / 承办单位只能查看本单位数据' });
    }
    return actor.orgId;
  }

  /**
   * [from, to) from the request: bare dates are local days; without `from`, the `count` periods ending with the
   * current one; without `to`, the `count` periods starting with the one holding `from`.
   */
  private range(request: { from?: string; to?: string }, period: Period, count: number): { from: Date; to: Date } {
    const tz = this.timeZone;
    const parse = (field: 'from' | 'to') => {
      const text = request[field];
      if (text === undefined) return undefined;
      const when = parseWhen(text, tz);
      if (!when) throw invalidField(field, 'a date (2026-11-01), a local date-time (2026-11-01T08:00) or an ISO 8601 instant / 日期格式不正确');
      return when;
    };
    let from = parse('from');
    let to = parse('to');
    const step = (start: Date, n: number) => {
      let s = start;
      for (let i = 0; i < n; i++) s = nextPeriodStart(s, period, tz);
      return s;
    };
    if (!from) {
      const end = to ?? nextPeriodStart(periodStart(this.clock(), period, tz), period, tz);
      from = periodStart(new Date(end.getTime() - 1), period, tz);
      for (let i = 1; i < count; i++) from = periodStart(new Date(from.getTime() - 1), period, tz);
    }
    to ??= step(periodStart(from, period, tz), count);
    if (to <= from) throw invalidField('to', 'must be after from / 结束时间须晚于开始时间');
    if (to.getTime() - from.getTime() > this.config.maxRangeDays * DAY_MS) {
      throw invalidField('to', `the range may span at most ${this.config.maxRangeDays} days / 时间跨度过大`);
    }
    return { from, to };
  }

  /** Sets the roll-up up for the city's zone once per process (a no-op when it already is). */
  private async ensureRollup(): Promise<void> {
    this.rollupReady ??= setUpRollup(this.db, this.timeZone).catch((err: unknown) => {
      this.rollupReady = undefined; // try again next time
      throw err;
    });
    await this.rollupReady;
  }

  private async unitNames(actor: Actor): Promise<Map<string, string>> {
    return new Map((await this.orgs.listOrgs(actor)).map((o) => [o.id, o.name]));
  }
}

const countsOf = (r: KpiCountRow): KpiCounts => {
  const { key: _k, name: _n, periodStart: _p, ...counts } = r;
  return counts;
};

/** `kpi-unit-month-2026-11-01_2026-11-30`: local first and last day of the range. */
const exportName = (t: KpiTable): string => {
  const day = (d: Date) => periodLabel(d, 'day', t.timeZone);
  return `kpi-${t.groupBy}${t.period ? `-${t.period}` : ''}-${day(new Date(t.from))}_${day(new Date(Date.parse(t.to) - 1))}`;
};
