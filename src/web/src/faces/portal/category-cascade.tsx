import { useMemo, useState } from 'react';
import { useI18n } from '../../i18n.js';
import type { AssistResult, CategoryView } from '../../hotline-api.js';
import { categoryPath, term } from '../../ui/terms.js';
import { usePortalText } from './portal-text.js';

/**
 * The category as a searchable cascade (issue 17, instead of a flat select of 59 options): search by any word of the
 * path (Chinese or English), or go 大类 → 小类 → 细类; the classifier's top suggestions sit on top as chips.
 */
export function CategoryCascade({ id, categories, value, onChange, assist }: {
  id: string; categories: CategoryView[]; value: string; onChange(id: string): void; assist: AssistResult | null;
}) {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const [query, setQuery] = useState('');
  const [level1, setLevel1] = useState('');
  const [level2, setLevel2] = useState('');
  const chosen = categories.find((c) => c.id === value);
  // what can be chosen: leaves, and level-2 nodes without leaves
  const choosable = useMemo(() => categories.filter((c) => c.level3 || (c.level2 && !categories.some((x) => x.level2 === c.level2 && x.level1 === c.level1 && x.level3))), [categories]);
  const found = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    return choosable.filter((c) => `${c.path} ${categoryPath('en', c)}`.toLowerCase().includes(q)).slice(0, 8);
  }, [query, choosable]);
  const level1s = [...new Set(categories.map((c) => c.level1))];
  const level2s = [...new Set(categories.filter((c) => c.level1 === level1 && c.level2).map((c) => c.level2!))];
  const level3s = choosable.filter((c) => c.level1 === level1 && c.level2 === level2);
  const suggestions = (assist?.categories ?? []).filter((s) => s.categoryId && s.confidence >= 0.2 && choosable.some((c) => c.id === s.categoryId)).slice(0, 3);
  const pick = (c: CategoryView) => { onChange(c.id); setQuery(''); setLevel1(c.level1); setLevel2(c.level2 ?? ''); };

  return (
    <div className="cascade" data-testid="category-cascade">
      {suggestions.length > 0 && (
        <div className="suggest" aria-live="polite" data-testid="category-suggestions">
          <span className="muted">{t('f_suggested')}:</span>
          {suggestions.map((s) => {
            const c = categories.find((x) => x.id === s.categoryId)!;
            return (
              <button key={c.id} type="button" className="chip" aria-pressed={value === c.id} onClick={() => pick(c)}>
                {categoryPath(lang, c)}
              </button>
            );
          })}
        </div>
      )}
      {chosen ? (
        <p className="chosen" data-testid="category-chosen">
          <span className="muted">{p('category_chosen')}:</span> <strong>{categoryPath(lang, chosen)}</strong>{' '}
          <button type="button" className="link" onClick={() => onChange('')}>{p('category_change')}</button>
        </p>
      ) : (
        <>
          <input id={id} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder={p('category_search')} autoComplete="off" aria-controls={query.trim() ? `${id}-results` : undefined} />
          {query.trim() ? (
            <ul id={`${id}-results`} className="cascade-results" aria-label={t('f_category')}>
              {found.length === 0 && <li className="muted">{p('category_none_found')}</li>}
              {found.map((c) => (
                <li key={c.id}><button type="button" className="link" onClick={() => pick(c)}>{categoryPath(lang, c)}</button></li>
              ))}
            </ul>
          ) : (
            <div className="row cascade-levels">
              <select aria-label={p('category_level1')} value={level1} onChange={(e) => { setLevel1(e.target.value); setLevel2(''); }}>
                <option value="">{p('category_level1')}</option>
                {level1s.map((n) => <option key={n} value={n}>{term(lang, n)}</option>)}
              </select>
              <select aria-label={p('category_level2')} value={level2} onChange={(e) => setLevel2(e.target.value)} disabled={!level1}>
                <option value="">{p('category_level2')}</option>
                {level2s.map((n) => <option key={n} value={n}>{term(lang, n)}</option>)}
              </select>
              <select aria-label={p('category_level3')} value="" onChange={(e) => { const c = categories.find((x) => x.id === e.target.value); if (c) pick(c); }} disabled={!level2}>
                <option value="">{p('category_level3')}</option>
                {level3s.map((c) => <option key={c.id} value={c.id}>{term(lang, c.level3 ?? c.level2)}</option>)}
              </select>
            </div>
          )}
        </>
      )}
    </div>
  );
}
