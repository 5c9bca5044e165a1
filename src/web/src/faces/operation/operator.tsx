import { useActionError, useLoad } from '../../api.js';
import { operationApi, yuan } from '../../operation-api.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { EChart } from '../../ui/echart.js';
import { fmtTime } from '../../ui/format.js';
import { useI18n } from '../../i18n.js';
import { useText, useWord } from './text.js';

/** 产品与价格: an operator's products with price and the licence's cap; a price is changed within the cap. */
export function OperatorProducts() {
  const L = useText();
  const w = useWord();
  const products = useLoad(() => operationApi.products(), []);
  const licences = useLoad(() => operationApi.licences(), []);
  const [error, run] = useActionError();
  if (!products.data || !licences.data) return <Loading />;
  const capOf = (licenceId: string, productId: string) => licences.data!.find((l) => l.id === licenceId)?.feeCaps.find((c) => c.productId === productId);
  return (
    <section aria-labelledby="op-products-title">
      <h1 id="op-products-title">{L('产品与价格', 'Products and prices')}</h1>
      {error && <ErrorBox error={error} compact />}
      <table className="op-table" data-testid="operator-products">
        <thead><tr><th>{L('登记编号', 'Number')}</th><th>{L('产品', 'Product')}</th><th>{L('类型', 'Type')}</th><th>{L('场景', 'Scenario')}</th><th>{L('价格', 'Price')}</th><th>{L('收费上限', 'Cap')}</th><th>{L('状态', 'Status')}</th><th /></tr></thead>
        <tbody>{products.data.map((p) => {
          const cap = capOf(p.licenceId, p.id);
          return (
            <tr key={p.id}>
              <td>{p.number ?? '—'}</td><td>{p.name}</td><td>{w(p.type)}</td><td>{p.scenario}</td>
              <td>{p.price ? `${yuan(p.price.priceFen)} ${w(p.price.unit)}` : '—'}</td><td>{cap ? `${yuan(cap.capFen)} ${w(cap.unit)}` : '—'}</td><td>{w(p.status)}</td>
              <td>{cap && <button type="button" onClick={() => {
                const value = window.prompt(L('新价格（元）', 'New price (yuan)'), p.price ? String(p.price.priceFen / 100) : '');
                if (value) void run(() => operationApi.setPrice(p.id, { unit: cap.unit, priceFen: Math.round(Number(value) * 100) })).then((ok) => ok && products.reload());
              }}>{L('调价', 'Reprice')}</button>}</td>
            </tr>
          );
        })}</tbody>
      </table>
    </section>
  );
}

/** 使用申请: applications from market users to the operator's licences; accept (the market user collects its key) or refuse. */
export function ApplicationQueue() {
  const L = useText();
  const w = useWord();
  const { lang } = useI18n();
  const list = useLoad(() => operationApi.applications(), []);
  const [error, run] = useActionError();
  if (!list.data) return list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : <Loading />;
  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">{L('使用申请', 'Applications')}</h1>
      {error && <ErrorBox error={error} compact />}
      <ul className="op-list" data-testid="application-queue">{list.data.map((a) => (
        <li key={a.id} className="panel" data-status={a.status}>
          <strong>{a.marketUser.name}</strong>（{a.marketUser.creditCode}）· {a.products.map((p) => p.name).join('、')} · {a.purposes.join('、')} · {w(a.status)}
          <div className="muted small">{a.statement} · {fmtTime(a.appliedAt, lang)}{a.quota?.calls ? ` · ${L('每月', 'per month')} ${a.quota.calls} ${L('次', 'calls')}` : ''}</div>
          {a.status === 'pending' && (
            <div className="op-actions">
              <button type="button" className="primary" onClick={() => void run(() => operationApi.decideApplication(a.id, { decision: 'accept' })).then((ok) => ok && list.reload())}>{L('同意并发放密钥', 'Accept')}</button>
              <button type="button" onClick={() => {
                const reason = window.prompt(L('拒绝理由', 'Reason to refuse'));
                if (reason) void run(() => operationApi.decideApplication(a.id, { decision: 'refuse', reason })).then((ok) => ok && list.reload());
              }}>{L('拒绝', 'Refuse')}</button>
            </div>
          )}
        </li>
      ))}</ul>
    </section>
  );
}

/** 密钥: market users' accesses and keys (prefix only); revoke one at once. */
export function Keys() {
  const L = useText();
  const w = useWord();
  const { lang } = useI18n();
  const list = useLoad(() => operationApi.accesses(), []);
  const [error, run] = useActionError();
  if (!list.data) return list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : <Loading />;
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">{L('使用许可与密钥', 'Accesses and keys')}</h1>
      {error && <ErrorBox error={error} compact />}
      <table className="op-table" data-testid="keys">
        <thead><tr><th>{L('数据使用者', 'Market user')}</th><th>{L('授权协议', 'Licence')}</th><th>{L('密钥前缀', 'Key prefix')}</th><th>{L('用途', 'Purposes')}</th><th>{L('公益认定', 'Public use')}</th><th>{L('发放时间', 'Issued')}</th><th>{L('状态', 'Status')}</th><th /></tr></thead>
        <tbody>{list.data.map((a) => (
          <tr key={a.id}>
            <td>{a.marketUser.name}</td><td>{a.licenceNumber}</td><td><code>{a.keyPrefix}…</code></td><td>{a.purposes.join('、')}</td>
            <td>{a.publicUses.map(w).join('、') || '—'}</td><td>{fmtTime(a.createdAt, lang)}</td><td>{w(a.status)}</td>
            <td>{a.status === 'active' && <button type="button" onClick={() => {
              const reason = window.prompt(L('吊销理由', 'Reason to revoke'));
              if (reason) void run(() => operationApi.revokeAccess(a.id, reason)).then((ok) => ok && list.reload());
            }}>{L('吊销', 'Revoke')}</button>}</td>
          </tr>
        ))}</tbody>
      </table>
    </section>
  );
}

/** 用量与收入: income per month and product against the 最高准许收入 (ECharts). */
export function Income() {
  const L = useText();
  const year = new Date().getFullYear();
  const income = useLoad(() => operationApi.income(year), [year]);
  if (!income.data) return income.error ? <ErrorBox error={income.error} onRetry={income.reload} /> : <Loading />;
  const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);
  return (
    <section aria-labelledby="income-title">
      <h1 id="income-title">{L('用量与收入', 'Usage and income')} · {year}</h1>
      {income.data.operators.map((o) => (
        <div key={o.operator.id} className="panel op-income" data-testid="income">
          <h2>{o.operator.name}</h2>
          <div className="rate-cards">
            <div className="rate-card"><span>{L('收入', 'Income')}</span><strong>{yuan(o.incomeFen)}</strong></div>
            <div className="rate-card"><span>{L('最高准许收入', 'Permitted income')}</span><strong>{o.maxPermittedIncomeFen == null ? '—' : yuan(o.maxPermittedIncomeFen)}</strong></div>
            <div className="rate-card"><span>{L('计费调用', 'Billable calls')}</span><strong>{o.products.reduce((n, p) => n + p.billableCalls, 0)}</strong></div>
            <div className="rate-card"><span>{L('公益调用（不计费）', 'Public-interest calls (free)')}</span><strong>{o.products.reduce((n, p) => n + p.publicInterestCalls, 0)}</strong></div>
          </div>
          <EChart label={L('每月收入（元）', 'Income per month (yuan)')} option={{
            tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { top: 40, left: 60, right: 10, bottom: 30 }, xAxis: { type: 'category', data: months.map((m) => m.slice(5)) },
            yAxis: { type: 'value' },
            series: o.products.map((p) => ({ name: p.productName, type: 'bar', stack: 'income', data: months.map((m) => (p.months.find((x) => x.month === m)?.incomeFen ?? 0) / 100) })),
          }} />
        </div>
      ))}
    </section>
  );
}
