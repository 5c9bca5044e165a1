import { useState } from 'react';
import { useLoad } from '../../api.js';
import { operationApi, yuan } from '../../operation-api.js';
import { useRoute } from '../../router.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { useText, useWord } from './text.js';

const lastMonth = (): string => {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
};

/** 对账单: pick a party and a month; open the printable statement or download it as CSV or XLSX. */
export function Statements() {
  const L = useText();
  const parties = useLoad(() => operationApi.parties(), []);
  const [party, setParty] = useState('');
  const [month, setMonth] = useState(lastMonth());
  if (!parties.data) return parties.error ? <ErrorBox error={parties.error} /> : <Loading />;
  const billable = parties.data.filter((p) => p.kind !== 'implementing_body');
  const chosen = party || billable[0]?.id || '';
  return (
    <section aria-labelledby="stm-title">
      <h1 id="stm-title">{L('月度对账单', 'Monthly statements')}</h1>
      <div className="op-form inline">
        <label>{L('参与方', 'Party')}<select value={chosen} onChange={(e) => setParty(e.target.value)} name="party">
          {billable.map((p) => <option key={p.id} value={p.id}>{p.name}（{p.kind === 'operator' ? L('运营机构', 'operator') : L('数据使用者', 'market user')}）</option>)}
        </select></label>
        <label>{L('月份', 'Month')}<input type="month" value={month} onChange={(e) => setMonth(e.target.value)} name="month" /></label>
      </div>
      {chosen && <p className="op-actions">
        <a className="button primary" href={`#/operation/print/statement?party=${chosen}&month=${month}`} data-testid="print-statement">{L('打印版', 'Printable')}</a>
        <a className="button" href={operationApi.statementFile(chosen, month, 'xlsx')} download>XLSX</a>
        <a className="button" href={operationApi.statementFile(chosen, month, 'csv')} download>CSV</a>
      </p>}
    </section>
  );
}

/** The printable statement (PDF-quality with the print stylesheet): the party, the lines and the total, to the fen. */
export function PrintStatement() {
  const L = useText();
  const w = useWord();
  const { query } = useRoute();
  const party = query.get('party') ?? '';
  const month = query.get('month') ?? lastMonth();
  const s = useLoad(() => operationApi.statement(party, month), [party, month]);
  if (!s.data) return s.error ? <ErrorBox error={s.error} /> : <Loading />;
  const d = s.data;
  return (
    <article className="op-print" data-testid="statement">
      <PrintBar />
      <h1>{d.kind === 'operator' ? L('公共数据产品销售对账单', 'Statement of sales') : L('公共数据产品使用对账单', 'Statement of purchases')}</h1>
      <p className="op-print-meta">{d.party.name}　{L('统一社会信用代码', 'Credit code')}：{d.party.creditCode ?? '—'}　{L('账期', 'Period')}：{d.month}</p>
      <table className="op-table">
        <thead><tr><th>{L('产品编号', 'Product')}</th><th>{L('产品名称', 'Name')}</th><th>{L('对方', 'Counterparty')}</th><th>{L('用途', 'Use')}</th><th>{L('计费单位', 'Unit')}</th><th>{L('调用', 'Calls')}</th><th>{L('计费', 'Billable')}</th><th>{L('公益', 'Public')}</th><th>{L('费用', 'Fee')}</th></tr></thead>
        <tbody>{d.lines.map((l, i) => (
          <tr key={i}><td>{l.productNumber}</td><td>{l.productName}</td><td>{l.counterparty.name}</td><td>{w(l.use)}</td><td>{w(l.billingUnit)}</td><td>{l.calls}</td><td>{l.billableCalls}</td><td>{l.publicInterestCalls}</td><td className="num">{yuan(l.feeFen)}</td></tr>
        ))}</tbody>
        <tfoot><tr><th colSpan={5}>{L('合计', 'Total')}</th><th>{d.totals.calls}</th><th>{d.totals.billableCalls}</th><th>{d.totals.publicInterestCalls}</th><th className="num" data-testid="statement-total">{yuan(d.totals.feeFen)}</th></tr></tfoot>
      </table>
      <p className="op-print-foot">{L('公益事业与公共治理用途计量但不收费（发改价格〔2025〕65号）。生成时间', 'Public-interest use is metered, never billed (发改价格〔2025〕65号). Generated')} {d.generatedAt}</p>
    </article>
  );
}

/** 信息披露: a year's disclosure as a printable page (and CSV). */
export function PrintDisclosure() {
  const L = useText();
  const w = useWord();
  const { query } = useRoute();
  const year = Number(query.get('year') ?? new Date().getFullYear() - 1);
  const doc = useLoad(() => operationApi.disclosure(year), [year]);
  if (!doc.data) return doc.error ? <ErrorBox error={doc.error} /> : <Loading />;
  const d = doc.data;
  return (
    <article className="op-print" data-testid="disclosure">
      <PrintBar extra={<a className="button" href={operationApi.disclosureCsv(year)} download>CSV</a>} />
      <h1>{L(`${d.year} 年度公共数据资源授权运营信息披露`, `Authorized operation of public data: disclosure for ${d.year}`)}</h1>
      <p className="op-print-meta">{L('披露截止', 'Due by')} {d.dueBy} · {d.publishedAt ? `${L('已发布', 'Published')} ${d.publishedAt}` : L('草稿', 'Draft')}{d.documentSha256 ? ` · SHA-256 ${d.documentSha256}` : ''}</p>
      <h2>{L('一、实施机构', '1. The implementing body')}</h2>
      <p>{d.implementingBody?.name}（{d.implementingBody?.creditCode ?? '—'}）{d.implementingBody?.contact ?? ''}</p>
      <h2>{L('二、授权情况', '2. Authorisations')}</h2>
      <table className="op-table"><thead><tr><th>{L('编号', 'Number')}</th><th>{L('名称', 'Title')}</th><th>{L('运营机构', 'Operator')}</th><th>{L('模式', 'Mode')}</th><th>{L('资源', 'Resources')}</th><th>{L('期限', 'Term')}</th><th>{L('状态', 'Status')}</th></tr></thead>
        <tbody>{d.licences.map((l) => <tr key={l.number}><td>{l.number}</td><td>{l.title}</td><td>{l.operator}</td><td>{w(l.mode)}</td><td>{l.resources.join('、')}</td><td>{l.validFrom.slice(0, 10)} – {l.validUntil.slice(0, 10)}</td><td>{w(l.status)}</td></tr>)}</tbody></table>
      <h2>{L('三、收费标准上限', '3. Fee caps')}</h2>
      <table className="op-table"><thead><tr><th>{L('授权协议', 'Licence')}</th><th>{L('产品', 'Product')}</th><th>{L('上限', 'Cap')}</th></tr></thead>
        <tbody>{d.feeCaps.map((c, i) => <tr key={i}><td>{c.licenceNumber}</td><td>{c.productNumber} {c.productName}</td><td>{yuan(c.capFen)} {w(c.unit)}</td></tr>)}</tbody></table>
      <h2>{L('四、运营机构', '4. Operators')}</h2>
      {d.operators.map((o) => (
        <section key={o.name ?? ''} className="op-print-section">
          <h3>{o.name}（{o.creditCode}）</h3>
          <p>{L('授权资源', 'Resources')}：{o.resources.map((r) => `${r.number} ${r.title}`).join('；')}</p>
          <table className="op-table"><thead><tr><th>{L('产品', 'Product')}</th><th>{L('类型', 'Type')}</th><th>{L('实际收费', 'Price')}</th><th>{L('上限', 'Cap')}</th><th>{L('计费调用', 'Billable')}</th><th>{L('公益调用', 'Public')}</th><th>{L('收入', 'Income')}</th></tr></thead>
            <tbody>{o.products.map((p, i) => <tr key={i}><td>{p.number} {p.name}</td><td>{w(p.type)}</td><td>{p.priceFen == null ? '—' : `${yuan(p.priceFen)} ${w(p.unit)}`}</td><td>{p.capFen == null ? '—' : yuan(p.capFen)}</td><td>{p.billableCalls}</td><td>{p.publicInterestCalls}</td><td className="num">{yuan(p.incomeFen)}</td></tr>)}</tbody></table>
          <p>{L('年度收入', 'Income')} {yuan(o.incomeFen)} · {L('最高准许收入', 'Permitted')} {o.maxPermittedIncomeFen == null ? '—' : yuan(o.maxPermittedIncomeFen)}</p>
        </section>
      ))}
    </article>
  );
}

function PrintBar({ extra }: { extra?: React.ReactNode }) {
  const L = useText();
  return (
    <p className="op-print-bar">
      <button type="button" className="primary" onClick={() => window.print()}>{L('打印 / 存为 PDF', 'Print / save as PDF')}</button>
      <a className="button" href="#/operation">{L('返回', 'Back')}</a>
      {extra}
    </p>
  );
}
