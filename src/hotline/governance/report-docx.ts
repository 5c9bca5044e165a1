import { writeZip } from '../../platform/csv/zip-writer.js';
import type { MonthlyReport } from './schemas.js';

/** XML text: the five predefined entities, and characters XML 1.0 forbids dropped. */
const esc = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const run = (text: string, opts: { bold?: boolean; size?: number } = {}) =>
  `<w:r><w:rPr><w:rFonts w:ascii="SimSun" w:eastAsia="SimSun" w:hAnsi="SimSun"/>${opts.bold ? '<w:b/>' : ''}<w:sz w:val="${opts.size ?? 24}"/></w:rPr><w:t xml:space="preserve">${esc(text)}</w:t></w:r>`;
const para = (text: string, opts: { bold?: boolean; size?: number; center?: boolean } = {}) =>
  `<w:p>${opts.center ? '<w:pPr><w:jc w:val="center"/></w:pPr>' : ''}${run(text, opts)}</w:p>`;
const heading = (text: string) => para(text, { bold: true, size: 28 });
const table = (head: string[], rows: string[][]) => {
  const cell = (t: string, bold = false) => `<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr>${para(t, { bold, size: 21 })}</w:tc>`;
  const border = ['top', 'left', 'bottom', 'right', 'insideH', 'insideV'].map((b) => `<w:${b} w:val="single" w:sz="4" w:space="0" w:color="808080"/>`).join('');
  return `<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>${border}</w:tblBorders></w:tblPr>`
    + `<w:tr>${head.map((h) => cell(h, true)).join('')}</w:tr>${rows.map((r) => `<w:tr>${r.map((c) => cell(c)).join('')}</w:tr>`).join('')}</w:tbl>`;
};
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
/** A bar of up to 20 blocks: the chart a word processor shows without a chart part. */
const bar = (x: number | null, max: number) => (x === null || max <= 0 ? '' : '█'.repeat(Math.max(1, Math.round((20 * x) / max))));

/**
 * The monthly report as a Word document (OOXML WordprocessingML, ECMA-376): title, narrative, the three rates,
 * rankings, trend, hot issues, 每月一题, quality inspection and notable cases, each a heading and a table; bars of
 * block characters stand for the charts. Three parts only (content types, relationships, document).
 */
export function reportDocx(r: MonthlyReport): Buffer {
  const [year, month] = r.month.split('-').map(Number);
  const rateRow = (x: MonthlyReport['best'][number]) => [x.name, String(x.visited), pct(x.responseRate), pct(x.solutionRate), pct(x.satisfactionRate), pct(x.composite)];
  const rateHead = ['单位', '回访量', '响应率', '解决率', '满意率', '综合得分'];
  const maxVisited = Math.max(0, ...r.trend.map((t) => t.visited));
  const maxHot = Math.max(0, ...r.hotIssues.map((h) => h.count));
  const body = [
    para(`12345热线${year}年${month}月接诉即办工作通报`, { bold: true, size: 36, center: true }),
    para(`生成时间 ${r.generatedAt.slice(0, 10)}（${r.method === 'llm' ? '综述由模型依据数据撰写' : '综述由规则生成'}）`, { size: 20, center: true }),
    heading('一、总体情况'),
    para(r.narrative),
    table(rateHead, [rateRow({ ...r.total, name: '全市' })]),
    heading('二、三率趋势'),
    table(['月份', '回访量', '综合得分', ''], r.trend.map((t) => [t.month, String(t.visited), pct(t.composite), bar(t.visited, maxVisited)])),
    heading('三、单位排名'),
    para('综合得分靠前', { bold: true }),
    table(rateHead, r.best.map(rateRow)),
    para('综合得分靠后', { bold: true }),
    table(rateHead, r.worst.map(rateRow)),
    heading('四、热点问题'),
    table(['区域', '类别', '工单量', ''], r.hotIssues.map((h) => [h.district, h.category, String(h.count), bar(h.count, maxHot)])),
    heading('五、每月一题'),
    r.topics.length
      ? table(['题目', '任务数', '进展', '此前月均', '此后月均'], r.topics.map((t) => [t.title, String(t.tasks), `${t.progress}%`, t.beforeMean === null ? '—' : String(t.beforeMean), t.afterMean === null ? '—' : String(t.afterMean)]))
      : para('本月未设题。'),
    heading('六、答复质检'),
    para(r.inspection.replies ? `质检答复${r.inspection.replies}件，平均${r.inspection.score}分，未达标${r.inspection.failed}件。` : '本月答复尚未质检。'),
    table(['单位', '质检量', '平均分', '未达标'], r.inspection.units.map((u) => [u.name, String(u.replies), String(u.score), String(u.failed)])),
    heading('七、典型案例'),
    r.notableCases.length
      ? table(['工单编号', '承办单位', '得分', '问题'], r.notableCases.map((c) => [c.number, c.unitName, String(c.score), c.findings.map((f) => f.message).join('；')]))
      : para('无。'),
  ].join('');
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}`
    + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>';
  const types = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    + '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
  const rels = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
  return writeZip([
    { name: '[Content_Types].xml', data: Buffer.from(types) },
    { name: '_rels/.rels', data: Buffer.from(rels) },
    { name: 'word/document.xml', data: Buffer.from(document) },
  ]);
}
