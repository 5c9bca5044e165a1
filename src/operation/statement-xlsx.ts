import ExcelJS from 'exceljs';
import type { Statement, StatementLine } from './schemas.js';

/** The statement's columns: zh-CN first, English second (statements are filed in Chinese). */
const columns: Array<{ header: string; width: number; value: (l: StatementLine) => string | number | null; money?: boolean }> = [
  { header: '产品编号 Product', width: 22, value: (l) => l.productNumber },
  { header: '产品名称 Name', width: 24, value: (l) => l.productName },
  { header: '授权协议 Licence', width: 22, value: (l) => l.licenceNumber },
  { header: '对方 Counterparty', width: 26, value: (l) => l.counterparty.name },
  { header: '统一社会信用代码 Credit code', width: 22, value: (l) => l.counterparty.creditCode },
  { header: '用途 Use', width: 16, value: (l) => l.use },
  { header: '计费单位 Unit', width: 12, value: (l) => l.billingUnit },
  { header: '调用 Calls', width: 10, value: (l) => l.calls },
  { header: '计费调用 Billable', width: 10, value: (l) => l.billableCalls },
  { header: '公益调用 Public interest', width: 12, value: (l) => l.publicInterestCalls },
  { header: '记录 Records', width: 10, value: (l) => l.records },
  { header: '输出单位 Output units', width: 12, value: (l) => l.outputUnits },
  { header: '费用(元) Fee (yuan)', width: 14, value: (l) => l.feeFen / 100, money: true },
];

/**
 * A month's statement as an XLSX workbook: a heading with the party and month, one row per line, the total;
 * fees as numbers in yuan with two decimals (computed from integer fen, so the sheet agrees with the CSV and
 * JSON to the fen). Text cells are written as strings, never formulas.
 */
export async function statementXlsx(s: Statement): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'CityHub';
  const sheet = workbook.addWorksheet(`对账单 ${s.month}`);
  sheet.addRow([`${s.kind === 'operator' ? '运营机构销售对账单' : '数据使用者采购对账单'} Statement ${s.month}`]).font = { bold: true, size: 14 };
  sheet.addRow([`${s.party.name ?? ''}（${s.party.creditCode ?? '—'}）`]);
  sheet.addRow([`生成时间 Generated ${s.generatedAt}`]);
  sheet.addRow([]);
  const header = sheet.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  columns.forEach((c, i) => { sheet.getColumn(i + 1).width = c.width; });
  for (const line of s.lines) sheet.addRow(columns.map((c) => c.value(line)));
  const total = sheet.addRow([
    '合计 Total', '', '', '', '', '', '', s.totals.calls, s.totals.billableCalls, s.totals.publicInterestCalls, s.totals.records, s.totals.outputUnits,
    s.totals.feeFen / 100,
  ]);
  total.font = { bold: true };
  const feeColumn = columns.findIndex((c) => c.money) + 1;
  sheet.getColumn(feeColumn).numFmt = '#,##0.00';
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
