import { useActionError, useLoad } from '../../api.js';
import { operationApi, type LedgerCheck } from '../../operation-api.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { EChart } from '../../ui/echart.js';
import { useState } from 'react';
import { useText } from './text.js';

/** The end-of-March reminder: last year's disclosure, due by the end of March, until it is published. */
export function DisclosureReminderBanner() {
  const L = useText();
  const reminder = useLoad(() => operationApi.reminder(), []);
  const r = reminder.data;
  if (!r || r.published) return null;
  return (
    <p className={`op-reminder${r.overdue ? ' overdue' : ''}`} role="alert" data-testid="disclosure-reminder">
      {r.overdue
        ? L(`${r.year} 年度授权运营信息披露已逾期（应于 ${r.due} 前发布）。`, `The ${r.year} disclosure is overdue (due ${r.due}).`)
        : L(`请于 ${r.due} 前发布 ${r.year} 年度授权运营信息披露（还剩 ${r.daysLeft} 天）。`, `Publish the ${r.year} disclosure by ${r.due} (${r.daysLeft} days left).`)}
      {' '}<a href={`#/operation/print/disclosure?year=${r.year}`}>{L('查看草稿', 'See the draft')}</a>
    </p>
  );
}

/** 监管: the disclosure reminder, anomalies (a market user's spike in calls) and the ledger check. */
export function Supervision() {
  const L = useText();
  const year = new Date().getFullYear();
  const anomalies = useLoad(() => operationApi.anomalies(year), [year]);
  const [check, setCheck] = useState<LedgerCheck | null>(null);
  const [error, run] = useActionError();
  return (
    <section aria-labelledby="sup-title">
      <h1 id="sup-title">{L('授权运营监管', 'Supervision')}</h1>
      <DisclosureReminderBanner />
      <h2>{L('异常：调用量突增', 'Anomalies: spikes in calls')} · {year}</h2>
      {!anomalies.data ? (anomalies.error ? <ErrorBox error={anomalies.error} /> : <Loading />) : anomalies.data.length === 0 ? <p className="muted">{L('未发现异常', 'No anomaly found')}</p> : (
        <>
          <table className="op-table" data-testid="anomalies">
            <thead><tr><th>{L('月份', 'Month')}</th><th>{L('数据使用者', 'Market user')}</th><th>{L('产品', 'Product')}</th><th>{L('调用', 'Calls')}</th><th>{L('通常', 'Usual')}</th><th>{L('倍数', 'Ratio')}</th></tr></thead>
            <tbody>{anomalies.data.map((a) => <tr key={`${a.accessId}${a.productId}${a.month}`}><td>{a.month}</td><td>{a.marketUser.name}</td><td>{a.productName}</td><td>{a.calls}</td><td>{a.usualCalls}</td><td>×{a.ratio}</td></tr>)}</tbody>
          </table>
          <div className="panel"><EChart label={L('异常月调用与通常水平', 'Calls in anomalous months against the usual')} option={{
            tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { top: 40, left: 50, right: 10, bottom: 60 },
            xAxis: { type: 'category', data: anomalies.data.map((a) => `${a.marketUser.name ?? ''} ${a.month}`), axisLabel: { rotate: 20 } }, yAxis: { type: 'value' },
            series: [{ name: L('当月', 'That month'), type: 'bar', data: anomalies.data.map((a) => a.calls) }, { name: L('通常', 'Usual'), type: 'bar', data: anomalies.data.map((a) => a.usualCalls) }],
          }} /></div>
        </>
      )}
      <h2>{L('存证核验', 'Audit ledger check')}</h2>
      <p className="muted">{L('重新计算整个存证日志（与 cityhub ledger verify 相同）。', 'Recomputes the whole audit log (as `cityhub ledger verify`).')}</p>
      <button type="button" className="primary" onClick={() => void run(async () => setCheck(await operationApi.verifyLedger()))} data-testid="verify-ledger">{L('核验存证', 'Verify the ledger')}</button>
      {error && <ErrorBox error={error} compact />}
      {check && <p role="status" className={check.ok ? 'op-ok' : 'op-bad'} data-testid="ledger-result">
        {check.ok ? L(`完好：${check.entries} 条记录，${check.checkpoints} 个签名检查点。`, `Intact: ${check.entries} entries, ${check.checkpoints} signed checkpoints.`)
          : L(`发现问题：第 ${check.firstBadIndex} 条。`, `Broken at entry ${check.firstBadIndex}.`)} {check.message}</p>}
    </section>
  );
}
