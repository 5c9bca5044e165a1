import { useState } from 'react';
import { useActionError, useLoad } from '../../api.js';
import { operationApi, yuan, type SandboxRunView } from '../../operation-api.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { fmtTime } from '../../ui/format.js';
import { useI18n } from '../../i18n.js';
import { useText, useWord } from './text.js';

/** 登记: the registered public data resources (with their grading) and the products with their registration numbers. */
export function Registrations() {
  const L = useText();
  const w = useWord();
  const resources = useLoad(() => operationApi.resources(), []);
  const products = useLoad(() => operationApi.products(), []);
  if (!resources.data || !products.data) return resources.error ?? products.error ? <ErrorBox error={(resources.error ?? products.error)!} /> : <Loading />;
  return (
    <section aria-labelledby="reg-title">
      <h1 id="reg-title">{L('资源与产品登记', 'Registrations')}</h1>
      <h2>{L('公共数据资源', 'Public data resources')}</h2>
      <table className="op-table" data-testid="resources">
        <thead><tr><th>{L('登记编号', 'Number')}</th><th>{L('资源', 'Resource')}</th><th>{L('提供单位', 'Provider')}</th><th>{L('最高分级', 'Grade')}</th><th>{L('字段', 'Fields')}</th></tr></thead>
        <tbody>{resources.data.map((r) => <tr key={r.id}><td>{r.number}</td><td>{r.title}</td><td>{r.providerName}</td><td>{r.grade}{r.generalLevel ? ` ${r.generalLevel}` : ''}</td><td>{r.fields.length}</td></tr>)}</tbody>
      </table>
      <h2>{L('数据产品', 'Data products')}</h2>
      <table className="op-table" data-testid="products">
        <thead><tr><th>{L('登记编号', 'Number')}</th><th>{L('产品', 'Product')}</th><th>{L('类型', 'Type')}</th><th>{L('运营机构', 'Operator')}</th><th>{L('授权协议', 'Licence')}</th><th>{L('状态', 'Status')}</th></tr></thead>
        <tbody>{products.data.map((p) => <tr key={p.id}><td>{p.number ?? '—'}</td><td>{p.name}</td><td>{w(p.type)}</td><td>{p.operator.name}</td><td>{p.licenceNumber}</td><td>{w(p.status)}</td></tr>)}</tbody>
      </table>
    </section>
  );
}

/** 授权协议: licences with scope, mode, term and income cap; suspend one (its keys stop at once). */
export function Licences() {
  const L = useText();
  const w = useWord();
  const list = useLoad(() => operationApi.licences(), []);
  const [error, run] = useActionError();
  if (!list.data) return list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : <Loading />;
  return (
    <section aria-labelledby="lic-title">
      <h1 id="lic-title">{L('授权协议', 'Licences')}</h1>
      {error && <ErrorBox error={error} compact />}
      <table className="op-table" data-testid="licences">
        <thead><tr><th>{L('编号', 'Number')}</th><th>{L('名称', 'Title')}</th><th>{L('运营机构', 'Operator')}</th><th>{L('模式', 'Mode')}</th><th>{L('范围', 'Scope')}</th><th>{L('期限', 'Term')}</th><th>{L('最高准许收入', 'Income cap')}</th><th>{L('状态', 'Status')}</th><th /></tr></thead>
        <tbody>{list.data.map((l) => (
          <tr key={l.id}>
            <td>{l.number}</td><td>{l.title}</td><td>{l.operator.name}</td><td>{w(l.mode)}{l.domain ? `（${l.domain}）` : ''}</td>
            <td>{l.scope.map((s) => `${s.title}：${s.fields.join('、')}`).join('；')}</td><td>{l.validFrom.slice(0, 10)} – {l.validUntil.slice(0, 10)}</td>
            <td>{l.maxPermittedIncomeFen == null ? '—' : yuan(l.maxPermittedIncomeFen)}</td><td>{w(l.status)}</td>
            <td>{l.status === 'active' && <button type="button" onClick={() => {
              const reason = window.prompt(L('暂停理由', 'Reason to suspend'));
              if (reason) void run(() => operationApi.suspendLicence(l.id, reason)).then((ok) => ok && list.reload());
            }}>{L('暂停', 'Suspend')}</button>}</td>
          </tr>
        ))}</tbody>
      </table>
    </section>
  );
}

/** 审批: licences and products waiting for the implementing body. */
export function Approvals() {
  const L = useText();
  const w = useWord();
  const licences = useLoad(() => operationApi.licences(), []);
  const products = useLoad(() => operationApi.products(), []);
  const [error, run] = useActionError();
  if (!licences.data || !products.data) return <Loading />;
  const pendingLicences = licences.data.filter((l) => l.status === 'pending');
  const pendingProducts = products.data.filter((p) => p.status === 'pending');
  const reload = () => { licences.reload(); products.reload(); };
  return (
    <section aria-labelledby="appr-title">
      <h1 id="appr-title">{L('审批', 'Approvals')}</h1>
      {error && <ErrorBox error={error} compact />}
      <h2>{L('待批准的授权协议', 'Licences to approve')} ({pendingLicences.length})</h2>
      {pendingLicences.length === 0 ? <p className="muted">{L('暂无', 'None')}</p> : (
        <ul className="op-list" data-testid="pending-licences">{pendingLicences.map((l) => (
          <li key={l.id} className="panel"><strong>{l.number} {l.title}</strong> · {l.operator.name} · {w(l.mode)}
            <button type="button" className="primary" onClick={() => void run(() => operationApi.approveLicence(l.id)).then((ok) => ok && reload())}>{L('批准', 'Approve')}</button></li>
        ))}</ul>
      )}
      <h2>{L('待登记的数据产品', 'Products to register')} ({pendingProducts.length})</h2>
      {pendingProducts.length === 0 ? <p className="muted">{L('暂无', 'None')}</p> : (
        <ul className="op-list" data-testid="pending-products">{pendingProducts.map((p) => (
          <li key={p.id} className="panel" data-product={p.name}><strong>{p.name}</strong> · {w(p.type)} · {p.operator.name} · {p.licenceNumber}
            <div className="muted small">{L('读取字段', 'Reads')}：{p.fieldGrades.map((f) => `${f.field}(${f.grade}${f.generalLevel ? ` ${f.generalLevel}` : ''})`).join('、')} · {p.disclosureRule.text}</div>
            <button type="button" className="primary" onClick={() => void run(() => operationApi.registerProduct(p.id)).then((ok) => ok && reload())}>{L('予以登记', 'Register')}</button>
            <button type="button" onClick={() => {
              const reason = window.prompt(L('不予登记的理由', 'Reason to refuse'));
              if (reason) void run(() => operationApi.refuseProduct(p.id, reason)).then((ok) => ok && reload());
            }}>{L('不予登记', 'Refuse')}</button></li>
        ))}</ul>
      )}
    </section>
  );
}

/** 输出审核: sandbox results held until a reviewer lets them out or refuses them with a reason. */
export function OutputReview() {
  const L = useText();
  const { lang } = useI18n();
  const list = useLoad(() => operationApi.reviews('pending'), []);
  if (!list.data) return list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : <Loading />;
  return (
    <section aria-labelledby="review-title">
      <h1 id="review-title">{L('沙箱输出审核', 'Sandbox output review')}</h1>
      <p className="muted">{L('结果经审核放行后方可交付；小于最小分组的结果已被隐去。', 'A result leaves only once approved; groups below the minimum size are withheld.')}</p>
      {list.data.length === 0 ? <p className="muted" role="status">{L('审核队列为空', 'Nothing to review')}</p> : (
        <ul className="op-list" data-testid="review-queue">{list.data.map((r) => <ReviewCard key={r.id} run={r} lang={lang} onDone={list.reload} />)}</ul>
      )}
    </section>
  );
}

function ReviewCard({ run: r, lang, onDone }: { run: SandboxRunView; lang: 'zh' | 'en'; onDone: () => void }) {
  const L = useText();
  const [reason, setReason] = useState('');
  const [error, act] = useActionError();
  return (
    <li className="panel" data-run={r.id}>
      <strong>{r.productNumber}</strong> · {r.marketUser.name} · {fmtTime(r.submittedAt, lang)}
      <div className="muted small">{L('查询', 'Query')}：{L('分组', 'group by')} {r.query.groupBy.join('、')}{r.query.where?.length ? ` · ${r.query.where.length} ${L('个条件', 'conditions')}` : ''}</div>
      {r.result && (
        <table className="op-table compact">
          <thead><tr>{r.query.groupBy.map((g) => <th key={g}>{g}</th>)}<th>{L('数量', 'Count')}</th></tr></thead>
          <tbody>{r.result.groups.slice(0, 20).map((g, i) => <tr key={i}>{r.query.groupBy.map((f) => <td key={f}>{String(g.key[f])}</td>)}<td>{g.count}</td></tr>)}</tbody>
        </table>
      )}
      {r.result && <p className="muted small">{L('隐去的小分组', 'Withheld small groups')}：{r.result.withheldGroups} · {L('读取记录', 'Rows read')}：{r.result.rows}</p>}
      {error && <ErrorBox error={error} compact />}
      <div className="op-actions">
        <button type="button" className="primary" onClick={() => void act(() => operationApi.decideReview(r.id, { decision: 'approve' })).then((ok) => ok && onDone())}>{L('放行', 'Approve')}</button>
        <input aria-label={L('拒绝理由', 'Reason to refuse')} placeholder={L('拒绝理由', 'Reason to refuse')} value={reason} onChange={(e) => setReason(e.target.value)} />
        <button type="button" onClick={() => void act(() => operationApi.decideReview(r.id, { decision: 'refuse', reason })).then((ok) => ok && onDone())}>{L('拒绝', 'Refuse')}</button>
      </div>
    </li>
  );
}
