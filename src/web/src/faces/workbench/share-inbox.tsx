import { useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { catalogApi, type FieldView, type RequestView } from '../../catalog-api.js';
import { href, useQueryParams, useRoute } from '../../router.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { fmtTime } from '../../ui/format.js';
import './messages.js';
import './workbench.css';


type Box = 'pending' | 'overdue' | 'all';

/**
 * 共享申请: the sharing requests of the user's organisation (made or received; the data bureau sees all). The data
 * owner grants — possibly fewer fields — or refuses with a reason; the data bureau starts on the overdue box, the
 * requests left undecided past their deadline and flagged to it.
 */
export function ShareInbox() {
  const { t } = useI18n();
  const { me, hasRole } = useAuth();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const bureau = hasRole('data_admin');
  const box = (query.get('box') as Box | null) ?? (bureau ? 'overdue' : 'pending');
  const list = useLoad(
    () => catalogApi.requests(box === 'pending' ? { status: 'pending' } : box === 'overdue' ? { overdue: true } : {}),
    [box],
  );
  const boxes: { id: Box; label: string }[] = [
    { id: 'pending', label: t('share_box_pending') },
    { id: 'overdue', label: t('share_box_overdue') },
    { id: 'all', label: t('share_box_all') },
  ];
  const items = list.data ?? [];
  return (
    <section className="share-inbox" aria-labelledby="share-title">
      <h1 id="share-title">{t('share_inbox')}</h1>
      <p className="muted">{bureau ? t('share_bureau_hint') : hasRole('dept_data_owner') ? t('share_owner_hint') : ''}</p>
      {bureau && <p><a href="#/work/intel" data-testid="intel-link">{t('intel_admin')}</a></p>}
      <nav className="tabs" aria-label={t('share_inbox')}>
        {boxes.map((b) => (
          <a key={b.id} href={href('/work/share', { box: b.id })} aria-current={b.id === box ? 'page' : undefined}
            onClick={(e) => { e.preventDefault(); setQuery({ box: b.id }); }} data-box={b.id}>{b.label}</a>
        ))}
      </nav>
      {list.loading && !list.data ? <Loading /> : list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : items.length === 0 ? (
        <p className="muted" role="status">{t('share_none')}</p>
      ) : (
        <ul className="requests" data-testid="share-requests" aria-busy={list.loading}>
          {items.map((r) => (
            <RequestCard key={r.id} request={r} canDecide={r.status === 'pending' && hasRole('dept_data_owner') && me?.org?.id === r.ownerOrgId} onDecided={list.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The dataset's graded fields (label, grade, personal or sensitive), so a request reads "身份证号 · 核心数据 ·
 * 敏感个人信息" rather than `id_number`. A reader without `catalog.read` sees the field names only.
 */
function useFieldsOf(datasetId: string): (name: string) => FieldView | undefined {
  const dataset = useLoad(() => catalogApi.dataset(datasetId).catch(() => null), [datasetId]);
  return (name) => dataset.data?.fields.find((f) => f.name === name);
}

/** One requested field: its label, grade and a flag when it is (sensitive) personal information. */
function FieldLabel({ name, field }: { name: string; field: FieldView | undefined }) {
  const { t } = useI18n();
  if (!field) return <code>{name}</code>;
  const flag = field.sensitive ? 'wb_sensitive' : field.personal ? 'wb_personal' : null;
  return (
    <span className={`field-label${field.sensitive ? ' sensitive' : ''}`} data-field={name}>
      <strong>{field.title || name}</strong> <code>{name}</code>{' '}
      <span className={`badge ${field.grade === 'core' ? 'red' : field.grade === 'important' ? 'amber' : ''}`}>{t(`wb_grade_${field.grade}`)}</span>
      {flag && <> <span className="badge red" data-testid="sensitive-flag">⚠ {t(flag)}</span></>}
    </span>
  );
}

function RequestCard({ request: r, canDecide, onDecided }: { request: RequestView; canDecide: boolean; onDecided(): void }) {
  const { t, lang } = useI18n();
  const fieldOf = useFieldsOf(r.datasetId);
  return (
    <li className={`request${r.overdue ? ' late' : ''}`} data-request={r.id} aria-labelledby={`rq-${r.id}`}>
      <h2 id={`rq-${r.id}`}>
        {r.datasetTitle}{' '}
        <span className={`badge ${r.status === 'refused' ? 'red' : r.status === 'granted' ? 'blue' : 'amber'}`}>{t(`share_status_${r.status}`)}</span>
        {r.overdue && <> <span className="badge red" data-testid="overdue-badge">{t('share_overdue')}</span></>}
        {r.overdueFlaggedAt && <> <span className="badge red">{t('share_flagged')} {fmtTime(r.overdueFlaggedAt, lang)}</span></>}
      </h2>
      <dl className="meta">
        <dt>{t('share_from_to')}</dt><dd>{r.consumerName ?? r.consumerOrgId} → {r.ownerName ?? r.ownerOrgId}</dd>
        <dt>{t('share_fields')}</dt>
        <dd>
          <ul className="field-list">{r.fields.map((f) => <li key={f}><FieldLabel name={f} field={fieldOf(f)} /></li>)}</ul>
          {r.aggregateOnly && <>{t('share_aggregate_only')}</>}
        </dd>
        <dt>{t('share_purpose')}</dt><dd>{r.purpose}</dd>
        <dt>{t('share_basis')}</dt><dd>{r.legalBasis}</dd>
        <dt>{t('share_until')}</dt><dd>{fmtTime(r.requestedUntil, lang)}</dd>
        <dt>{t('share_due')}</dt><dd className={r.overdue ? 'overdue' : ''}>{fmtTime(r.dueAt, lang)}</dd>
        {r.decidedAt && <><dt>{t('share_decided')}</dt><dd>{fmtTime(r.decidedAt, lang)}</dd></>}
        {r.reason && <><dt>{t('share_reason')}</dt><dd>{r.reason}</dd></>}
      </dl>
      {canDecide && <DecisionForm request={r} fieldOf={fieldOf} onDone={onDecided} />}
    </li>
  );
}

function DecisionForm({ request: r, fieldOf, onDone }: { request: RequestView; fieldOf(name: string): FieldView | undefined; onDone(): void }) {
  const { t } = useI18n();
  const [fields, setFields] = useState<Set<string>>(() => new Set(r.fields));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const decide = async (decision: 'grant' | 'refuse') => {
    setBusy(true);
    setError(null);
    try {
      await catalogApi.decide(r.id, decision === 'grant'
        ? { decision, fields: fields.size === r.fields.length ? undefined : r.fields.filter((f) => fields.has(f)) }
        : { decision, reason: reason.trim() });
      onDone();
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  const refuse = (e: FormEvent) => { e.preventDefault(); void decide('refuse'); };
  return (
    <div className="decision">
      <fieldset>
        <legend>{t('share_grant_fields')}</legend>
        {r.fields.map((f) => (
          <label key={f} className="check">
            <input type="checkbox" checked={fields.has(f)} onChange={(e) => setFields((s) => {
              const n = new Set(s);
              if (e.target.checked) n.add(f);
              else n.delete(f);
              return n;
            })} /> <FieldLabel name={f} field={fieldOf(f)} />
          </label>
        ))}
      </fieldset>
      <p>
        <button type="button" className="primary" disabled={busy || fields.size === 0} onClick={() => void decide('grant')}>{t('share_grant')}</button>
      </p>
      <form onSubmit={refuse} aria-label={t('share_refuse')}>
        <div className="field">
          <label htmlFor={`reason-${r.id}`}>{t('share_refuse_reason')}</label>
          <textarea id={`reason-${r.id}`} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={2000} rows={2} />
        </div>
        <p><button type="submit" disabled={busy || !reason.trim()}>{t('share_refuse')}</button></p>
      </form>
      {error && <ErrorBox error={error} compact />}
    </div>
  );
}
