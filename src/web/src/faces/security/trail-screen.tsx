import { useEffect, useState, type FormEvent } from 'react';
import { useLoad } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useQueryParams, useRoute } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { securityApi, type TrailFilter, type TrailRecord } from '../../security-api.js';
import { fromLocalInput, toLocalInput } from './local-time.js';

const PAGE = 50;
/** Kinds offered as suggestions in the filter (any prefix works). */
const kindPrefixes = ['audit.access', 'audit.personal_data', 'audit.config', 'audit.trail', 'auth.login', 'auth.', 'security.policy', 'hotline.', 'share.', 'operation.', 'context.subscription'];
const filterKeys = ['kind', 'about', 'from', 'to'] as const;

/**
 * 审计记录 (audit administrator): the trail newest first, filtered by kind, actor or subject and period — every
 * filter in the URL, so a search can be bookmarked and handed on — paged backwards, with its export over the
 * period chosen and the retention.
 */
export function TrailScreen() {
  const { t } = useI18n();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const filter: TrailFilter = Object.fromEntries(filterKeys.map((k) => [k, query.get(k) ?? undefined]).filter(([, v]) => v)) as TrailFilter;
  const before = query.get('before');
  const key = JSON.stringify({ ...filter, before });
  const trail = useLoad(() => securityApi.trail({ ...filter, ...(before ? { before: Number(before) } : {}) }, PAGE), [key]);
  const retention = useLoad(() => securityApi.retention(), []);
  return (
    <section aria-labelledby="sec-trail">
      <h2 id="sec-trail">{t('sec_trail')}</h2>
      <Filters filter={filter} onApply={(next) => setQuery({ ...Object.fromEntries(filterKeys.map((k) => [k, next[k] ?? null])), before: null })} />
      <p>
        {t('sec_export')}: <a href={securityApi.exportHref('csv', filter)} download data-testid="export-csv">CSV</a>
        {' · '}<a href={securityApi.exportHref('json', filter)} download data-testid="export-json">JSON</a>
        <span className="muted"> — {t('sec_export_hint')}</span>
      </p>
      {retention.data && (
        <p className="muted" data-testid="retention">
          {t('sec_retention')}: {retention.data.retentionDays} · {t('sec_oldest')}: {retention.data.oldest ? <Time iso={retention.data.oldest} /> : '—'}
        </p>
      )}
      {trail.error && <ErrorBox error={trail.error} onRetry={trail.reload} />}
      {trail.loading && <Loading />}
      {trail.data && trail.data.length === 0 && <p data-testid="trail-none">{t('sec_trail_none')}</p>}
      {trail.data && trail.data.length > 0 && <TrailTable records={trail.data} />}
      <div className="toolbar">
        {before && <button type="button" onClick={() => setQuery({ before: null })}>{t('sec_trail_newest')}</button>}
        {trail.data && trail.data.length === PAGE && (
          <button type="button" onClick={() => setQuery({ before: String(trail.data!.at(-1)!.index) })}>{t('sec_trail_older')}</button>
        )}
      </div>
    </section>
  );
}

function Time({ iso }: { iso: string }) {
  const { lang } = useI18n();
  return <time dateTime={iso} title={iso}>{fmtTime(iso, lang)}</time>;
}

/** The filter form: kept in its own state while typing, put into the URL on 查询. */
function Filters({ filter, onApply }: { filter: TrailFilter; onApply(next: TrailFilter): void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState({ kind: '', about: '', from: '', to: '' });
  useEffect(() => {
    setDraft({ kind: filter.kind ?? '', about: filter.about ?? '', from: toLocalInput(filter.from ?? null), to: toLocalInput(filter.to ?? null) });
  }, [filter.kind, filter.about, filter.from, filter.to]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ kind: draft.kind.trim() || undefined, about: draft.about.trim() || undefined, from: fromLocalInput(draft.from), to: fromLocalInput(draft.to) });
  };
  const text = (name: 'kind' | 'about', list?: string) => (
    <div className="field">
      <label htmlFor={`trail-${name}`}>{t(`sec_filter_${name}`)}</label>
      <input id={`trail-${name}`} value={draft[name]} list={list} aria-describedby={`trail-${name}-hint`} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
      <span className="hint" id={`trail-${name}-hint`}>{t(`sec_filter_${name}_hint`)}</span>
    </div>
  );
  const moment = (name: 'from' | 'to') => (
    <div className="field">
      <label htmlFor={`trail-${name}`}>{t(`sec_filter_${name}`)}</label>
      <input id={`trail-${name}`} type="datetime-local" value={draft[name]} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
    </div>
  );
  return (
    <form className="form trail-filters" onSubmit={submit} aria-label={t('sec_trail_filters')}>
      <div className="row">
        {text('kind', 'trail-kinds')}
        {text('about')}
        {moment('from')}
        {moment('to')}
      </div>
      <datalist id="trail-kinds">{kindPrefixes.map((k) => <option key={k} value={k} />)}</datalist>
      <div className="toolbar">
        <button type="submit" className="primary">{t('sec_filter_apply')}</button>
        <button type="button" onClick={() => onApply({})}>{t('sec_filter_clear')}</button>
      </div>
    </form>
  );
}

function TrailTable({ records }: { records: TrailRecord[] }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="compact-table" data-testid="trail-table">
        <thead><tr><th>#</th><th>{t('sec_time')}</th><th>{t('sec_kind')}</th><th>{t('sec_actor')}</th><th>{t('sec_subject')}</th><th>{t('sec_address')}</th><th>{t('sec_facts')}</th></tr></thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.index} data-kind={r.kind}>
              <td>{r.index}</td>
              <td><Time iso={r.time} /></td>
              <td><code>{r.kind}</code></td>
              <td className="wrap"><code>{r.actor}</code></td>
              <td className="wrap"><code>{r.subject}</code></td>
              <td>{typeof r.facts.address === 'string' ? r.facts.address : '—'}</td>
              <td>
                <details>
                  <summary>{t('sec_facts')}</summary>
                  <pre className="facts">{JSON.stringify(r.facts, null, 1)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
