import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { hotline, type TicketView } from '../../hotline-api.js';
import { href } from '../../router.js';
import { useAssist } from '../../ui/category-picker.js';
import { CityMap } from '../../ui/map/city-map.js';
import { Login } from '../../ui/login.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { term } from '../../ui/terms.js';
import { CategoryCascade } from './category-cascade.js';
import { citizenApi, type Located, type NearbyTicket, type PhotoView } from './citizen-api.js';
import type { MapLayer } from '../../ui/map/city-map.js';
import { NearbyList } from './nearby-list.js';
import { PhotoPicker } from './photo-picker.js';
import { usePortalText } from './portal-text.js';
import { handPhone } from './track.js';

interface Draft {
  title: string;
  content: string;
  categoryId: string;
  address: string;
  lon: number | null;
  lat: number | null;
  name: string;
  phone: string;
  /** publish the appeal (masked) in the public Open311 feed; off unless the citizen ticks it */
  publish: boolean;
  consent: boolean;
}

const emptyDraft: Draft = { title: '', content: '', categoryId: '', address: '', lon: null, lat: null, name: '', phone: '', publish: false, consent: false };

/**
 * Map-first filing (issue 17): where (locate me, tap, drag the pin; the server names district, street and address),
 * what (title and text, with open appeals nearby and "+1" while typing), the category (searchable cascade with the
 * classifier's suggestions), photos, and the contact prefilled from the citizen's last appeal.
 */
export function FileAppeal() {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const { me, checking } = useAuth();
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [located, setLocated] = useState<Located | null>(null);
  const [addressTouched, setAddressTouched] = useState(false);
  const [photos, setPhotos] = useState<PhotoView[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [filed, setFiled] = useState<TicketView | null>(null);
  const [prefilled, setPrefilled] = useState(false);
  const [nearby, setNearby] = useState<NearbyTicket[]>([]);
  const categories = useLoad(me ? () => hotline.categories() : null, [me?.id]);
  const suggestion = useAssist(draft.title, draft.content, draft.address);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  // name and phone from the citizen's last appeal (their own data), else the account's name
  useEffect(() => {
    if (!me) return;
    citizenApi.myContact().then((c) => {
      setDraft((d) => ({ ...d, name: d.name || c.name || '', phone: d.phone || c.phone || '' }));
      setPrefilled(!!c.phone);
    }, () => undefined);
  }, [me?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  // the pin → district, street, address (from the server's area tree)
  useEffect(() => {
    if (draft.lon === null || draft.lat === null) return;
    let stale = false;
    citizenApi.locate(draft.lon, draft.lat).then((l) => {
      if (stale) return;
      setLocated(l);
      if (!addressTouched) set({ address: l.address });
    }, () => undefined);
    return () => { stale = true; };
  }, [draft.lon, draft.lat]); // eslint-disable-line react-hooks/exhaustive-deps

  if (checking) return <Loading />;
  if (!me) return <Login message={t('login_to_file')} />;
  if (filed) {
    return (
      <div className="ok" role="status" data-testid="filed">
        <h2>{t('filed_title')}</h2>
        <p>{t('filed_number')}: <span className="ticket-number" data-testid="ticket-number">{filed.number}</span></p>
        <p>{t('filed_keep')}</p>
        <p>
          <a className="button primary" href={href('/portal/track', { number: filed.number })} onClick={() => handPhone(filed.number, draft.phone.trim())}>{t('portal_track')}</a>{' '}
          <button type="button" onClick={() => { setFiled(null); setDraft(emptyDraft); setPhotos([]); setLocated(null); setAddressTouched(false); }}>{t('portal_new')}</button>
        </p>
      </div>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setFiled(await hotline.createTicket({
        title: draft.title.trim(),
        content: draft.content.trim(),
        channel: 'web',
        categoryId: draft.categoryId || undefined,
        address: draft.address.trim() || undefined,
        areaId: located?.areaId ?? undefined,
        lon: draft.lon ?? undefined,
        lat: draft.lat ?? undefined,
        citizenName: draft.name.trim() || undefined,
        citizenPhone: draft.phone.trim() || undefined,
        public: draft.publish,
        photoIds: photos.length ? photos.map((x) => x.id) : undefined,
      }));
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  const pin = draft.lon !== null && draft.lat !== null ? { lon: draft.lon, lat: draft.lat } : null;
  const layers: MapLayer[] = nearby.length ? [{
    id: 'nearby', kind: 'points', label: p('nearby_title'), color: '#ef6c00',
    points: nearby.map((x) => ({ id: x.id, lon: x.lon, lat: x.lat, label: `${x.number} · ${x.distanceMeters} ${p('meters')}` })),
  }] : [];

  return (
    <form className="form file-appeal" onSubmit={submit} aria-label={t('portal_new')}>
      <fieldset className="step">
        <legend>{p('where')}</legend>
        <p className="hint">{p('where_hint')}</p>
        <CityMap label={p('where')} height={260} pin={pin} locate legend={layers.length > 0} layers={layers} onPinMove={(lon, lat) => set({ lon, lat })} />
        {pin && (
          <p className="located" data-testid="located" data-lon={pin.lon} data-lat={pin.lat} aria-live="polite">
            <span className="muted">{p('located')}:</span>{' '}
            {located ? <strong>{term(lang, located.address) || `${pin.lon.toFixed(5)}, ${pin.lat.toFixed(5)}`}</strong> : <span className="muted">{p('locating_address')}</span>}
          </p>
        )}
        <div className="field">
          <label htmlFor="f-address">{t('f_address')}</label>
          <input id="f-address" value={draft.address} onChange={(e) => { setAddressTouched(true); set({ address: e.target.value }); }} maxLength={300} placeholder={t('f_address_hint')} />
        </div>
      </fieldset>
      <fieldset className="step">
        <legend>{p('what')}</legend>
        <div className="field">
          <label htmlFor="f-title">{t('f_title')}</label>
          <input id="f-title" value={draft.title} onChange={(e) => set({ title: e.target.value })} required maxLength={200} aria-describedby="f-title-hint" />
          <span id="f-title-hint" className="hint">{t('f_title_hint')}</span>
        </div>
        <div className="field">
          <label htmlFor="f-content">{t('f_content')}</label>
          <textarea id="f-content" value={draft.content} onChange={(e) => set({ content: e.target.value })} required maxLength={5000} aria-describedby="f-content-hint" />
          <span id="f-content-hint" className="hint">{t('f_content_hint')}</span>
        </div>
        <NearbyList lon={draft.lon} lat={draft.lat} text={`${draft.title} ${draft.content}`.trim()} categories={categories.data ?? []} onItems={setNearby} />
        <div className="field">
          <label htmlFor="f-category">{t('f_category')}</label>
          {categories.error ? <ErrorBox error={categories.error} onRetry={categories.reload} compact /> : (
            <CategoryCascade id="f-category" categories={categories.data ?? []} value={draft.categoryId} onChange={(v) => set({ categoryId: v })} assist={suggestion.assist} />
          )}
        </div>
        <PhotoPicker photos={photos} onChange={setPhotos} />
      </fieldset>
      <fieldset className="step">
        <legend>{p('contact')}</legend>
        {prefilled && <p className="hint" data-testid="prefilled">{p('contact_prefilled')}</p>}
        <div className="row">
          <div className="field">
            <label htmlFor="f-name">{t('f_name')}</label>
            <input id="f-name" value={draft.name} onChange={(e) => set({ name: e.target.value })} autoComplete="name" maxLength={50} />
          </div>
          <div className="field">
            <label htmlFor="f-phone">{t('f_phone')}</label>
            <input id="f-phone" type="tel" inputMode="tel" value={draft.phone} onChange={(e) => set({ phone: e.target.value })} autoComplete="tel" required pattern="[0-9+\- ]{7,20}" aria-describedby="f-phone-hint" />
            <span id="f-phone-hint" className="hint">{t('f_phone_hint')}</span>
          </div>
        </div>
        <div className="field">
          <label className="check">
            <input type="checkbox" checked={draft.publish} onChange={(e) => set({ publish: e.target.checked })} aria-describedby="f-public-hint" data-testid="publish" /> {t('f_public')}
          </label>
          <span id="f-public-hint" className="hint">{t('f_public_hint')}</span>
        </div>
      </fieldset>
      <div className="consent" id="consent-text">
        <strong>{t('consent_title')}</strong>
        <p>{t('consent_text')}</p>
        <label>
          <input type="checkbox" checked={draft.consent} onChange={(e) => set({ consent: e.target.checked })} required aria-describedby="consent-text" /> {t('consent_agree')}
        </label>
      </div>
      {error && <ErrorBox error={error} compact />}
      <div>
        <button type="submit" className="primary" disabled={busy || !draft.consent}>{busy ? t('submitting') : t('submit')}</button>
      </div>
    </form>
  );
}
