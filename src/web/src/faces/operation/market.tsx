import { useState, type FormEvent } from 'react';
import { useActionError, useLoad } from '../../api.js';
import { operationApi, yuan, type MarketProduct } from '../../operation-api.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { EChart } from '../../ui/echart.js';
import { fmtTime } from '../../ui/format.js';
import { useI18n } from '../../i18n.js';
import { useText, useWord } from './text.js';

/** 数据产品超市: registered products with type, scenario, price, provider and licence status; apply for one. */
export function Marketplace() {
  const L = useText();
  const w = useWord();
  const list = useLoad(() => operationApi.marketProducts(), []);
  const [applying, setApplying] = useState<MarketProduct | null>(null);
  if (!list.data) return list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : <Loading />;
  return (
    <section aria-labelledby="market-title">
      <h1 id="market-title">{L('数据产品超市', 'Data product marketplace')}</h1>
      <p className="muted">{L('原始数据不出域：产品在域内计算，只交付结果。', 'Raw data never leaves the domain: products compute inside it and deliver only their answers.')}</p>
      <ul className="op-products" data-testid="market-products">
        {list.data.map((p) => (
          <li key={p.id} className="panel op-product" data-product={p.number ?? p.id}>
            <div className="op-product-head"><strong>{p.name}</strong><span className="op-tag">{w(p.type)}</span></div>
            <p>{p.description}</p>
            <dl className="op-facts">
              <dt>{L('登记编号', 'Registration')}</dt><dd>{p.number}</dd>
              <dt>{L('应用场景', 'Scenario')}</dt><dd>{p.scenario.name}</dd>
              <dt>{L('价格', 'Price')}</dt><dd>{p.price ? `${yuan(p.price.priceFen)} ${w(p.price.unit)}` : L('未定价', 'Not priced')}</dd>
              <dt>{L('提供方', 'Provider')}</dt><dd>{p.provider.name}</dd>
              <dt>{L('授权协议', 'Licence')}</dt><dd>{p.licence.number} · {w(p.licence.status)}</dd>
              <dt>{L('调用输入', 'Input')}</dt><dd>{p.inputFields.join('、') || L('无', 'none')}</dd>
            </dl>
            <p className="muted small">{p.disclosureRule}</p>
            {p.mine.access ? <span className="op-tag ok">{L('已获使用许可', 'Access held')}</span>
              : p.mine.application ? <span className="op-tag">{L('申请', 'Application')}：{w(p.mine.application.status)}</span>
                : <button type="button" className="primary" onClick={() => setApplying(p)} data-testid={`apply-${p.number}`}>{L('申请使用', 'Apply')}</button>}
          </li>
        ))}
      </ul>
      {applying && <ApplyForm product={applying} onDone={() => { setApplying(null); list.reload(); }} />}
    </section>
  );
}

function ApplyForm({ product, onDone }: { product: MarketProduct; onDone: () => void }) {
  const L = useText();
  const [purpose, setPurpose] = useState(product.scenario.purposes[0] ?? '');
  const [statement, setStatement] = useState('');
  const [calls, setCalls] = useState('1000');
  const [error, run] = useActionError();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => operationApi.apply({
      products: [product.id], purposes: [purpose], statement, quota: calls ? { period: 'month', calls: Number(calls), records: null } : null,
    })).then((ok) => ok && onDone());
  };
  return (
    <form className="panel op-form" onSubmit={submit} data-testid="apply-form" aria-label={L('申请使用', 'Apply')}>
      <h2>{L('申请使用', 'Apply for')}：{product.name}</h2>
      <label>{L('用途', 'Purpose')}
        <select value={purpose} onChange={(e) => setPurpose(e.target.value)} name="purpose">
          {product.scenario.purposes.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      <label>{L('每月调用额度', 'Calls per month')}<input type="number" min={1} value={calls} onChange={(e) => setCalls(e.target.value)} name="calls" /></label>
      <label>{L('使用说明', 'What you will use it for')}<textarea required maxLength={2000} value={statement} onChange={(e) => setStatement(e.target.value)} name="statement" /></label>
      {error && <ErrorBox error={error} compact />}
      <button type="submit" className="primary">{L('提交申请', 'Submit')}</button>
    </form>
  );
}

/** 我的申请: a market user's applications; an accepted one's key is collected here, shown once. */
export function MyApplications() {
  const L = useText();
  const w = useWord();
  const { lang } = useI18n();
  const list = useLoad(() => operationApi.applications(), []);
  const [key, setKey] = useState<string | null>(null);
  const [error, run] = useActionError();
  if (!list.data) return list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : <Loading />;
  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">{L('我的申请', 'My applications')}</h1>
      {key && <p className="panel op-key" role="status" data-testid="issued-key">{L('密钥仅显示一次，请妥善保存：', 'Shown once — keep it safe: ')}<code>{key}</code></p>}
      {error && <ErrorBox error={error} compact />}
      <table className="op-table" data-testid="my-applications">
        <thead><tr><th>{L('产品', 'Products')}</th><th>{L('运营机构', 'Operator')}</th><th>{L('用途', 'Purposes')}</th><th>{L('状态', 'Status')}</th><th>{L('申请时间', 'Applied')}</th><th /></tr></thead>
        <tbody>
          {list.data.map((a) => (
            <tr key={a.id} data-status={a.status}>
              <td>{a.products.map((p) => p.name).join('、')}</td><td>{a.operator.name}</td><td>{a.purposes.join('、')}</td>
              <td>{w(a.status)}{a.reason ? `（${a.reason}）` : ''}</td><td>{fmtTime(a.appliedAt, lang)}</td>
              <td>{a.status === 'accepted' && (
                <button type="button" className="primary" onClick={() => void run(async () => { setKey((await operationApi.collectKey(a.id)).key); list.reload(); })}>{L('领取密钥', 'Collect key')}</button>
              )}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** 用量与支出: the market user's calls and spending per month (ECharts), with its statements. */
export function MyUsage() {
  const L = useText();
  const year = new Date().getFullYear();
  const usage = useLoad(() => operationApi.usage(year), [year]);
  if (!usage.data) return usage.error ? <ErrorBox error={usage.error} onRetry={usage.reload} /> : <Loading />;
  const u = usage.data;
  const months = [...new Set(u.months.map((m) => m.month))].sort();
  const products = [...new Set(u.months.map((m) => m.productName))];
  const sum = (month: string, product: string, f: 'calls' | 'feeFen') => u.months.filter((m) => m.month === month && m.productName === product).reduce((n, m) => n + m[f], 0);
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">{L('用量与支出', 'Usage and spending')} · {year}</h1>
      <div className="rate-cards">
        <div className="rate-card"><span>{L('调用次数', 'Calls')}</span><strong>{u.totals.calls}</strong></div>
        <div className="rate-card"><span>{L('费用合计', 'Spent')}</span><strong>{yuan(u.totals.feeFen)}</strong></div>
      </div>
      <div className="op-charts">
        <div className="panel"><EChart label={L('每月调用', 'Calls per month')} option={{
          tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { top: 40, left: 50, right: 10, bottom: 30 }, xAxis: { type: 'category', data: months }, yAxis: { type: 'value' },
          series: products.map((p) => ({ name: p, type: 'bar', stack: 'calls', data: months.map((m) => sum(m, p, 'calls')) })),
        }} /></div>
        <div className="panel"><EChart label={L('每月支出（元）', 'Spending per month (yuan)')} option={{
          tooltip: { trigger: 'axis' }, grid: { top: 20, left: 60, right: 10, bottom: 30 }, xAxis: { type: 'category', data: months }, yAxis: { type: 'value' },
          series: [{ name: L('支出', 'Spent'), type: 'line', smooth: true, areaStyle: {}, data: months.map((m) => u.months.filter((x) => x.month === m).reduce((n, x) => n + x.feeFen, 0) / 100) }],
        }} /></div>
      </div>
      <p>{L('月度对账单', 'Monthly statements')}：{months.map((m) => (
        <a key={m} className="op-link" href={`#/operation/print/statement?party=${u.marketUser.id}&month=${m}`}>{m}</a>
      ))}</p>
    </section>
  );
}
