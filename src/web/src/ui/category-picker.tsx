import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api.js';
import { useI18n } from '../i18n.js';
import { categoryLabel, hotline, type AssistResult, type CategoryView } from '../hotline-api.js';

/** The category picker, grouped by level-1 category. */
export function CategorySelect({ id, categories, value, onChange }: { id: string; categories: CategoryView[]; value: string; onChange(v: string): void }) {
  const { t } = useI18n();
  const groups = useMemo(() => {
    const m = new Map<string, CategoryView[]>();
    for (const c of categories) m.set(c.level1, [...(m.get(c.level1) ?? []), c]);
    return [...m.entries()];
  }, [categories]);
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{t('f_category_pick')}</option>
      {groups.map(([level1, list]) => (
        <optgroup key={level1} label={level1}>
          {list.map((c) => <option key={c.id} value={c.id}>{categoryLabel(c)}</option>)}
        </optgroup>
      ))}
    </select>
  );
}

/**
 * The classifier's suggestion as the citizen types: `POST /api/hotline/assist`, debounced; silent when the
 * API is missing (the picker still works), shown as chips the citizen can take.
 */
export function useAssist(title: string, content: string, address: string): { assist: AssistResult | null; state: 'idle' | 'wait' | 'ok' | 'off' } {
  const [assist, setAssist] = useState<AssistResult | null>(null);
  const [state, setState] = useState<'idle' | 'wait' | 'ok' | 'off'>('idle');
  const seq = useRef(0);
  useEffect(() => {
    const text = `${title}${content}`.trim();
    if (text.length < 4 || state === 'off') return;
    const mine = ++seq.current;
    setState('wait');
    const timer = setTimeout(() => {
      hotline.assist({ title, content, address: address || undefined }).then(
        (a) => { if (mine === seq.current) { setAssist(a); setState('ok'); } },
        (err: unknown) => { if (mine === seq.current) setState(err instanceof ApiError && (err.status === 404 || err.status === 403) ? 'off' : 'idle'); },
      );
    }, 450);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [title, content, address]);
  return { assist, state };
}

/** The classifier's top three categories (those the picker offers) as chips; nothing when the assist is off. */
export function SuggestionChips({ assist, categories, onPick, chosen }: {
  assist: { assist: AssistResult | null; state: string }; categories: CategoryView[]; onPick(id: string): void; chosen: string;
}) {
  const { t } = useI18n();
  if (assist.state === 'off') return null;
  const top = (assist.assist?.categories ?? []).filter((c) => c.categoryId && categories.some((x) => x.id === c.categoryId)).slice(0, 3);
  return (
    <div className="suggest" aria-live="polite" data-testid="category-suggestions">
      <span className="muted">{t('f_suggested')}:</span>
      {top.length === 0 ? (
        <span className="muted">{assist.state === 'ok' ? t('f_suggest_none') : t('f_suggest_wait')}</span>
      ) : top.map((c) => {
        const cat = categories.find((x) => x.id === c.categoryId);
        return (
          <button key={c.categoryId} type="button" className="chip" aria-pressed={chosen === c.categoryId} onClick={() => onPick(c.categoryId!)}>
            {cat ? categoryLabel(cat) : c.label} <span className="conf">{Math.round(c.confidence * 100)}%</span>
          </button>
        );
      })}
    </div>
  );
}
