import { useEffect, useState } from 'react';
import { useLoad } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { catalogApi, type Facet, type PublicDataset } from '../../catalog-api.js';
import { useQueryParams, useRoute } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { DatasetDetail } from './dataset-detail.js';
import { usePortalText } from './portal-text.js';

/** A label for a code that has a dictionary entry (`theme_SOCI`), else the code itself. */
const labelOr = (t: (k: string) => string, key: string, fallback: string) => {
  const label = t(key);
  return label === key ? fallback : label;
};

/**
 * 数据目录: the public part of the catalogue (open and conditionally open datasets) for anyone, searched by text
 * with facets for publisher, theme and openness; every filter is in the URL.
 */
export function DataCatalog() {
  const { t } = useI18n();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const q = query.get('q') ?? '';
  const owner = query.get('owner') ?? '';
  const theme = query.get('theme') ?? '';
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const found = useLoad(() => catalogApi.searchPublic({ q: q || undefined, owner: owner || undefined, theme: theme || undefined, limit: 50 }), [q, owner, theme]);
  const facets = found.data?.facets;

  const facetGroup = (name: 'owner' | 'theme', title: string, list: Facet[], chosen: string, label: (f: Facet) => string) => (
    <fieldset className="facet" data-facet={name}>
      <legend>{title}</legend>
      <ul>
        {list.map((f) => (
          <li key={f.value}>
            <label>
              <input type="radio" name={`facet-${name}`} checked={chosen === f.value} onChange={() => setQuery({ [name]: f.value })} />{' '}
              {label(f)} <span className="muted">({f.count})</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );

  return (
    <div className="data-catalog">
      <p className="muted">{t('data_intro')}</p>
      <form className="toolbar" role="search" onSubmit={(e) => { e.preventDefault(); setQuery({ q: text.trim() || null }); }}>
        <label htmlFor="data-q" className="sr-only">{t('data_search')}</label>
        <input id="data-q" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={t('data_search_hint')} />
        <button type="submit" className="primary">{t('track_go')}</button>
        {(q || owner || theme) && <button type="button" onClick={() => setQuery({ q: null, owner: null, theme: null })}>{t('facet_clear')}</button>}
      </form>
      {found.loading && !found.data ? <Loading /> : found.error ? <ErrorBox error={found.error} onRetry={found.reload} /> : (
        <div className="catalog-layout">
          <aside aria-label={t('facet_clear')}>
            {facets && facetGroup('owner', t('facet_owner'), facets.owner, owner, (f) => f.label ?? f.value)}
            {facets && facetGroup('theme', t('facet_theme'), facets.theme, theme, (f) => labelOr(t, `theme_${f.value}`, f.value))}
            {facets && (
              <fieldset className="facet" data-facet="open">
                <legend>{t('facet_open')}</legend>
                <ul>{facets.open.map((f) => <li key={f.value}>{t(`open_${f.value}`)} <span className="muted">({f.count})</span></li>)}</ul>
              </fieldset>
            )}
          </aside>
          <div aria-live="polite" aria-busy={found.loading}>
            <p role="status" data-testid="data-total">{t('data_found')}: <strong>{found.data?.total ?? 0}</strong></p>
            {found.data && found.data.items.length === 0 ? <p className="muted">{t('data_none')}</p> : (
              <ul className="datasets" data-testid="datasets">
                {found.data?.items.map((d) => <DatasetCard key={d.id} dataset={d} />)}
              </ul>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function DatasetCard({ dataset: d }: { dataset: PublicDataset }) {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const [open, setOpen] = useState(false);
  return (
    <li className="dataset" data-identifier={d.identifier}>
      <h3 id={`ds-${d.id}`}>
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>{d.title}</button>
      </h3>
      <p className="muted">
        {d.ownerName ?? d.ownerOrgId} · <span className="badge blue">{t(`open_${d.openAttr}`)}</span> · {t('ds_update_cycle')} {t(`cycle_${d.updateCycle}`)} · {fmtTime(d.updatedAt, lang)}
      </p>
      <p>{d.description}</p>
      <dl className="meta">
        {d.themes.length > 0 && <><dt>{t('facet_theme')}</dt><dd>{d.themes.map((x) => labelOr(t, `theme_${x}`, x)).join('、')}</dd></>}
        {d.keywords.length > 0 && <><dt>{t('ds_keywords')}</dt><dd>{d.keywords.join('、')}</dd></>}
        {d.distributions.length > 0 && <><dt>{t('ds_formats')}</dt><dd>{[...new Set(d.distributions.map((x) => x.format))].join(', ')}</dd></>}
        {d.licence && <><dt>{t('ds_licence')}</dt><dd className="wrap">{d.licence}</dd></>}
        {d.contactName && <><dt>{t('ds_contact')}</dt><dd>{d.contactName}</dd></>}
      </dl>
      {open ? <DatasetDetail dataset={d} onClose={() => setOpen(false)} /> : (
        <p><button type="button" onClick={() => setOpen(true)} aria-describedby={`ds-${d.id}`}>{p('dataset_detail')}{d.openAttr === 'conditional_open' ? ` · ${p('apply')}` : ''}</button></p>
      )}
    </li>
  );
}
