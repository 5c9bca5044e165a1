import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n.js';
import type { CategoryView } from '../../hotline-api.js';
import { categoryPath } from '../../ui/terms.js';
import { citizenApi, type NearbyTicket } from './citizen-api.js';
import { usePortalText } from './portal-text.js';

/**
 * "已有人反映?" while the citizen types (FixMyStreet's nearby reports): open appeals near the pin, most alike
 * first, each with "+1 关注" (counted once; brings its notices). Appeals not filed for publication show their
 * category only.
 */
export function NearbyList({ lon, lat, text, categories, onItems }: {
  lon: number | null; lat: number | null; text: string; categories: CategoryView[];
  /** the list as it changes (the filing map draws it as a layer) */
  onItems?(items: NearbyTicket[]): void;
}) {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const [items, setItems] = useState<NearbyTicket[] | null>(null);
  useEffect(() => {
    if (lon === null || lat === null) return;
    let stale = false;
    const timer = setTimeout(() => {
      citizenApi.nearby({ lon, lat, text: text.slice(0, 2000) || undefined, limit: 5 }).then((list) => { if (!stale) { setItems(list); onItems?.(list); } }, () => { if (!stale) setItems([]); });
    }, 400);
    return () => { stale = true; clearTimeout(timer); };
  }, [lon, lat, text]);
  if (lon === null || lat === null || items === null) return null;
  const follow = async (id: string) => {
    const r = await citizenApi.follow(id);
    setItems((list) => list?.map((x) => (x.id === id ? { ...x, likes: r.likes, following: r.following } : x)) ?? null);
  };
  return (
    <section className="nearby" aria-labelledby="nearby-title" aria-live="polite" data-testid="nearby">
      <h3 id="nearby-title">{p('nearby_title')}</h3>
      {items.length === 0 ? <p className="muted">{p('nearby_none')}</p> : (
        <>
          <p className="hint">{p('nearby_hint')}</p>
          <ul>
            {items.map((x) => {
              const cat = categories.find((c) => c.id === x.categoryId);
              return (
                <li key={x.id} data-testid="nearby-item">
                  <div className="nearby-what">
                    <strong>{x.title ?? (categoryPath(lang, cat) || t(`status_${x.status}`))}</strong>
                    <span className="muted"> · {x.distanceMeters} {p('meters')}{x.similarity !== null && x.similarity >= 0.2 ? ` · ${p('alike')} ${Math.round(x.similarity * 100)}%` : ''} · {t(`status_${x.status}`)}</span>
                  </div>
                  <button type="button" className={x.following ? 'chip' : 'chip primary'} aria-pressed={x.following} disabled={x.following} onClick={() => void follow(x.id)}>
                    {x.following ? p('following') : p('follow')} <span className="conf">{x.likes} {p('people')}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}
