import { useState, type FormEvent } from 'react';
import { api, useActionError } from '../../api.js';
import { useAuth } from '../../auth.js';
import { useI18n } from '../../i18n.js';
import { catalogApi, type PublicDataset } from '../../catalog-api.js';
import { href } from '../../router.js';
import { ErrorBox } from '../../ui/status.js';
import { usePortalText } from './portal-text.js';
import type { RequestOutcome, ShareRequestInput } from '../../../../catalog/schemas.js';

/** Roles that may ask for a dataset (`share.request.create`, src/catalog/permissions.ts). */
const requesterRoles = ['handler', 'dept_data_owner', 'data_admin'];

/**
 * A catalogue entry opened (issue 17): how to reach the data (the gateway's rows API, the DCAT record) and, for
 * 有条件开放 data, the application — an organisation's sharing request for all its fields, decided by the owner.
 */
export function DatasetDetail({ dataset: d, onClose }: { dataset: PublicDataset; onClose(): void }) {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const { me, hasRole } = useAuth();
  const rowsUrl = `/api/share/${encodeURIComponent(d.identifier)}/rows`;
  return (
    <section className="catalog-detail" aria-labelledby={`dsd-${d.id}`} data-testid="dataset-detail">
      <h4 id={`dsd-${d.id}`}>{p('dataset_detail')} · {d.identifier}</h4>
      <dl className="meta">
        <dt>{p('api_link')}</dt>
        <dd><code>GET {rowsUrl}</code></dd>
        <dt>DCAT</dt>
        <dd><a href="/api/catalog/dcat">/api/catalog/dcat</a></dd>
      </dl>
      <p className="hint">
        {d.openAttr === 'open'
          ? (lang === 'zh' ? '无条件开放：登录后即可通过上述接口调用，调用记入审计。' : 'Open: call the API above once logged in; every call is audited.')
          : (lang === 'zh' ? '有条件开放：需由单位提出申请，经数据提供单位审核同意后方可通过上述接口调用。' : 'Conditionally open: an organisation applies; once the owner grants it, the API above answers.')}
      </p>
      {d.openAttr === 'conditional_open' && (
        me && hasRole(...requesterRoles) ? <ApplyForm dataset={d} /> : (
          <p data-testid="apply-login">
            <a className="button primary" href={href('/login', { next: location.hash.slice(1) })}>{p('apply')}</a>{' '}
            <span className="muted">{lang === 'zh' ? '请使用单位账号登录后申请。' : 'Log in with an organisation account to apply.'}</span>
          </p>
        )
      )}
      <p><button type="button" onClick={onClose}>{p('close')}</button> <span className="sr-only">{t('app_name')}</span></p>
    </section>
  );
}

function ApplyForm({ dataset: d }: { dataset: PublicDataset }) {
  const { lang } = useI18n();
  const p = usePortalText();
  const [purpose, setPurpose] = useState('');
  const [basis, setBasis] = useState('');
  const [until, setUntil] = useState(() => new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10));
  const [done, setDone] = useState<RequestOutcome | null>(null);
  const [error, run] = useActionError();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const full = await catalogApi.dataset(d.identifier);
      const body: ShareRequestInput = { dataset: d.identifier, fields: full.fields.map((f) => f.name), purpose: purpose.trim(), legalBasis: basis.trim(), until };
      setDone(await api<RequestOutcome>('POST', '/api/share/requests', body));
    });
  };
  if (done) {
    return <p className="ok" role="status" data-testid="applied">{lang === 'zh' ? '申请已提交，等待数据提供单位审核。' : 'Applied; the owner will decide.'} ({done.request.status})</p>;
  }
  return (
    <form className="form" onSubmit={submit} aria-label={p('apply')} data-testid="apply-form">
      <div className="field">
        <label htmlFor={`ap-purpose-${d.id}`}>{lang === 'zh' ? '用途' : 'Purpose'}</label>
        <textarea id={`ap-purpose-${d.id}`} value={purpose} onChange={(e) => setPurpose(e.target.value)} required maxLength={1000} rows={2} />
      </div>
      <div className="field">
        <label htmlFor={`ap-basis-${d.id}`}>{lang === 'zh' ? '依据' : 'Legal basis'}</label>
        <textarea id={`ap-basis-${d.id}`} value={basis} onChange={(e) => setBasis(e.target.value)} required maxLength={1000} rows={2} />
      </div>
      <div className="field">
        <label htmlFor={`ap-until-${d.id}`}>{lang === 'zh' ? '使用期限' : 'Until'}</label>
        <input id={`ap-until-${d.id}`} type="date" value={until} onChange={(e) => setUntil(e.target.value)} required />
      </div>
      {error && <ErrorBox error={error} compact />}
      <p><button type="submit" className="primary" disabled={!purpose.trim() || !basis.trim()}>{p('apply')}</button></p>
    </form>
  );
}
