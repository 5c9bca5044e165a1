import ExcelJS from 'exceljs';
import type { KpiTable, KpiRow } from './schemas.js';
import { periodLabel } from './kpi-periods.js';
import { csvCell } from '../../platform/csv/csv-writer.js';

type Kind = 'rank' | 'text' | 'count' | 'rate' | 'hours';

/** The export's columns: zh-CN first, English second (the hotline centre's reports are read in Chinese). */
const columns: { header: string; kind: Kind; value: (r: KpiRow) => string | number | null }[] = [
  { header: '排名 Rank', kind: 'rank', value: (r) => r.rank },
  { header: '周期 Period', kind: 'text', value: (r) => r.periodLabel ?? '' },
  { header: '名称 Name', kind: 'text', value: (r) => r.name },
  { header: '回访量 Visited', kind: 'count', value: (r) => r.counts.visited },
  { header: '响应率 Response rate', kind: 'rate', value: (r) => r.rates.responseRate },
  { header: '解决率 Solution rate', kind: 'rate', value: (r) => r.rates.solutionRate },
  { header: '满意率 Satisfaction rate', kind: 'rate', value: (r) => r.rates.satisfactionRate },
  { header: '综合得分 Composite', kind: 'rate', value: (r) => r.rates.composite },
  { header: '按时办结率 On-time rate', kind: 'rate', value: (r) => r.rates.onTimeRate },
  { header: '平均签收时长(小时) Avg hours to sign', kind: 'hours', value: (r) => r.rates.avgSignHours },
  { header: '平均办理时长(小时) Avg hours to answer', kind: 'hours', value: (r) => r.rates.avgAnswerHours },
  { header: '退单率 Return rate', kind: 'rate', value: (r) => r.rates.returnRate },
  { header: '重办率 Re-open rate', kind: 'rate', value: (r) => r.rates.reopenRate },
  { header: '派单量 Dispatched', kind: 'count', value: (r) => r.counts.dispatched },
  { header: '反馈量 Answered', kind: 'count', value: (r) => r.counts.answered },
];

const groupTitle = { unit: '承办单位 unit', district: '区域 district', category: '类别 category' } as const;

// The platform's CSV writer: RFC 4180 quoting, and text a spreadsheet would run as a formula (= + - @ tab CR at
// the start) neutralised with a leading apostrophe.
const csvField = (value: string): string => csvCell(value);

const csvValue = (kind: Kind, v: string | number | null): string => {
  if (v === null) return '';
  if (typeof v === 'string') return csvField(v);
  if (kind === 'rate') return (v * 100).toFixed(2);
  if (kind === 'hours') return v.toFixed(2);
  return String(v);
};

/**
 * The KPI table as CSV: UTF-8 with a byte-order mark (Excel opens a BOM-less UTF-8 CSV as GBK and garbles the
 * Chinese), CRLF line ends (RFC 4180), rates as percentages with two decimals, then a total line.
 */
export function kpiCsv(table: KpiTable): string {
  const headers = columns.map((c) => (c.kind === 'rate' ? c.header.replace(/^(\S+)/, '$1(%)') : c.header));
  headers[2] = groupTitle[table.groupBy];
  const lines = [headers.map(csvField).join(',')];
  const total: KpiRow = { rank: null, key: null, name: '合计 Total', periodStart: null, periodLabel: '', ...table.total };
  for (const row of [...table.rows, total]) lines.push(columns.map((c) => csvValue(c.kind, c.value(row))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The KPI table as an XLSX workbook: rates as numbers formatted as percentages, a second sheet with the formulas. */
export async function kpiXlsx(table: KpiTable): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'CityHub';
  const sheet = workbook.addWorksheet('三率 KPI', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c, i) => ({
    header: i === 2 ? groupTitle[table.groupBy] : c.header,
    width: c.kind === 'text' ? 28 : 16,
    style: c.kind === 'rate' ? { numFmt: '0.00%' } : c.kind === 'hours' ? { numFmt: '0.00' } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  const total: KpiRow = { rank: null, key: null, name: '合计 Total', periodStart: null, periodLabel: '', ...table.total };
  for (const row of [...table.rows, total]) sheet.addRow(columns.map((c) => c.value(row)));
  sheet.getRow(sheet.rowCount).font = { bold: true };

  const about = workbook.addWorksheet('说明 About');
  const day = (d: Date) => periodLabel(d, 'day', table.timeZone);
  const w = table.formula.weights;
  const s = table.formula.satisfactionScores;
  about.columns = [{ width: 24 }, { width: 80 }];
  about.addRows([
    ['范围 Range', `${day(new Date(table.from))} – ${day(new Date(Date.parse(table.to) - 1))} (${table.timeZone})`],
    ['分组 Grouped by', groupTitle[table.groupBy]],
    ['响应率 Response rate', '已联系 contacted ÷ 有效回访 valid visits'],
    ['解决率 Solution rate', '已解决 solved ÷ 有效回访 valid visits'],
    ['满意率 Satisfaction rate', `(满意 × ${s.satisfied} + 基本满意 × ${s.basicallySatisfied} + 不满意 × ${s.unsatisfied}) ÷ 有效回访 valid visits`],
    ['综合得分 Composite', `${w.response} × 响应率 + ${w.solution} × 解决率 + ${w.satisfaction} × 满意率`],
  ]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
