import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { hotline, satisfactions, type PublicTicketEventView, type PublicTicketView, type Satisfaction, type TicketView } from '../../hotline-api.js';
import { href, navigate, useRoute } from '../../router.js';
import { CategorySelect, SuggestionChips, useAssist } from '../../ui/category-picker.js';
import { EChart, DEMO_CITY_MAP, districtAt, type ChartOption } from '../../ui/echart.js';
import { fmtTime } from '../../ui/format.js';
import { Login } from '../../ui/login.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { StatusBadge, Timeline } from '../../ui/ticket-status.js';
import { DataCatalog } from './data-catalog.js';
import { MyDataUsage } from './data-usage.js';

/**
 * 市民 portal: file an appeal, track it by number and phone, read the reply, rate it; browse the open data catalog
 * and see who used my data. Works on a phone.
 */
export function Portal() {
  const { t } = useI18n();
  const route = useRoute();
  const sub = route.path.split('/')[2] ?? 'new';
  const tabs = [
    { id: 'new', label: t('portal_new') },
    { id: 'track', label: t('portal_track') },
    { id: 'mine', label: t('portal_mine') },
    { id: 'data', label: t('portal_data') },
    { id: 'usage', label: t('portal_usage') },
  ];
  return (
    <section className="portal" aria-labelledby="portal-title">
      <h1 id="portal-title">{t('portal_title')}</h1>
      <p className="muted">{t('portal_intro')}</p>
      <nav className="tabs" aria-label={t('portal_title')}>
        {tabs.map((tab) => (
          <a key={tab.id} href={`#/portal/${tab.id}`} aria-current={sub === tab.id ? 'page' : undefined}>{tab.label}</a>
        ))}
      </nav>
      {sub === 'track' ? <Track /> : sub === 'mine' ? <Mine /> : sub === 'data' ? <DataCatalog /> : sub === 'usage' ? <MyDataUsage /> : <FileAppeal />}
    </section>
  );
}

interface Draft {
  title: string;
  content: string;
  categoryId: string;
  address: string;
  district: string;
  lon: number | null;
  lat: number | null;
  name: string;
  phone: string;
  /** publish the appeal (masked) in the public Open311 feed; off unless the citizen ticks it */
  publish: boolean;
  consent: boolean;
}

const emptyDraft: Draft = {
  title: '', content: '', categoryId: '', address: '', district: '', lon: null, lat: null, name: '', phone: '', publish: false, consent: false,
};

/**
 * The phone a lookup needs, handed from "filed" or "my appeals" to the lookup screen in memory only. Never in the
 * URL: a URL ends up in the browser's history, in server and proxy logs and in links people share (issue 15,
 * finding 9). Gone on reload; the citizen then types it again.
 */
let handedPhone: { number: string; phone: string } | null = null;
const handPhone = (number: string, phone: string | null | undefined) => {
  handedPhone = phone ? { number, phone } : null;
};
const handedFor = (number: string): string | null => (handedPhone && handedPhone.number === number ? handedPhone.phone : null);

function FileAppeal() {
  const { t } = useI18n();
  const { me, checking } = useAuth();
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [filed, setFiled] = useState<TicketView | null>(null);
  // reference data needs a session: load once the citizen is logged in
  const categories = useLoad(me ? () => hotline.categories() : null, [me?.id]);
  const areas = useLoad(me ? () => hotline.areas() : null, [me?.id]);
  const suggestion = useAssist(draft.title, draft.content, draft.address);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

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
          <button type="button" onClick={() => { setFiled(null); setDraft(emptyDraft); }}>{t('portal_new')}</button>
        </p>
      </div>
    );
  }

  const districtAreas = (areas.data ?? []).filter((a) => a.level === 'district');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const area = districtAreas.find((a) => a.name === draft.district);
      const ticket = await hotline.createTicket({
        title: draft.title.trim(),
        content: draft.content.trim(),
        channel: 'web',
        categoryId: draft.categoryId || undefined,
        address: draft.address.trim() || undefined,
        areaId: area?.id,
        lon: draft.lon ?? undefined,
        lat: draft.lat ?? undefined,
        citizenName: draft.name.trim() || undefined,
        citizenPhone: draft.phone.trim() || undefined,
        public: draft.publish,
      });
      setFiled(ticket);
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={submit} aria-label={t('portal_new')} noValidate={false}>
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
      <div className="field">
        <label htmlFor="f-category">{t('f_category')}</label>
        {categories.error ? <ErrorBox error={categories.error} onRetry={categories.reload} compact /> : (
          <CategorySelect id="f-category" categories={categories.data ?? []} value={draft.categoryId} onChange={(v) => set({ categoryId: v })} />
        )}
        <SuggestionChips assist={suggestion} categories={categories.data ?? []} onPick={(id) => set({ categoryId: id })} chosen={draft.categoryId} />
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="f-district">{t('f_district')}</label>
          <select id="f-district" value={draft.district} onChange={(e) => set({ district: e.target.value })}>
            <option value="">—</option>
            {(districtAreas.length ? districtAreas.map((a) => a.name) : ['临江区', '青山区', '新湖区', '白塔区', '高新区']).map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </select>
        </div>
        <div className="field" style={{ flexGrow: 3 }}>
          <label htmlFor="f-address">{t('f_address')}</label>
          <input id="f-address" value={draft.address} onChange={(e) => set({ address: e.target.value })} maxLength={300} placeholder={t('f_address_hint')} />
        </div>
      </div>
      <MapPick lon={draft.lon} lat={draft.lat} onPick={(lon, lat) => set({ lon, lat, district: districtAt(lon, lat) ?? draft.district })} />
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
        <label>
          <input type="checkbox" checked={draft.publish} onChange={(e) => set({ publish: e.target.checked })} aria-describedby="f-public-hint" data-testid="publish" /> {t('f_public')}
        </label>
        <span id="f-public-hint" className="hint">{t('f_public_hint')}</span>
      </div>
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

function MapPick({ lon, lat, onPick }: { lon: number | null; lat: number | null; onPick(lon: number, lat: number): void }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => ({
    geo: {
      map: DEMO_CITY_MAP, roam: false, selectedMode: false, aspectScale: 0.88, top: 6, bottom: 6,
      label: { show: true, color: '#243b53' },
      itemStyle: { areaColor: '#e3edf5', borderColor: '#7a93ab' },
      emphasis: { itemStyle: { areaColor: '#cfe0ee' }, label: { color: '#102a43' } },
    },
    series: lon !== null && lat !== null
      ? [{ type: 'scatter', coordinateSystem: 'geo', data: [[lon, lat]], symbolSize: 16, itemStyle: { color: '#c62828' } }]
      : [],
  }), [lon, lat]);
  return (
    <div className="field">
      <span id="map-pick-label">{t('f_map_pick')}</span>
      <EChart label={t('f_map_pick')} option={option} height={240} onPick={([x, y]) => onPick(Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5)} />
      {lon !== null && lat !== null && (
        <span className="hint" data-testid="picked">{t('f_map_picked')}: {lon.toFixed(4)}, {lat.toFixed(4)} {districtAt(lon, lat) ?? ''}</span>
      )}
    </div>
  );
}

function Track() {
  const { t } = useI18n();
  const route = useRoute();
  const routeNumber = route.query.get('number') ?? '';
  const [number, setNumber] = useState(routeNumber);
  const [phone, setPhone] = useState('');
  // the lookup asked for: number + phone, in memory (a POST body), never in the URL
  const [asked, setAsked] = useState<{ number: string; phone: string } | null>(null);

  useEffect(() => {
    // An old link or bookmark with the phone in it: the phone is taken out of the address bar (the history entry is
    // replaced, which runs this again) and kept in memory only.
    const legacyPhone = route.query.get('phone');
    if (legacyPhone !== null) {
      handPhone(routeNumber, legacyPhone);
      navigate('/portal/track', { number: routeNumber }, true);
      return;
    }
    const phoneForIt = handedFor(routeNumber);
    setNumber(routeNumber);
    setPhone(phoneForIt ?? '');
    setAsked(routeNumber && phoneForIt ? { number: routeNumber, phone: phoneForIt } : null);
  }, [route]); // eslint-disable-line react-hooks/exhaustive-deps

  const found = useLoad(asked ? () => hotline.track(asked.number, asked.phone) : null, [asked]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = { number: number.trim(), phone: phone.trim() };
    handPhone(q.number, q.phone);
    // The number goes into the URL (a link to come back to), the phone never; a new number looks up once the route
    // has changed (the effect above), the same number at once.
    if (q.number !== routeNumber) navigate('/portal/track', { number: q.number });
    else setAsked(q);
  };
  return (
    <div>
      <form className="form" onSubmit={submit} aria-label={t('portal_track')}>
        <div className="row">
          <div className="field">
            <label htmlFor="tr-number">{t('track_number')}</label>
            <input id="tr-number" value={number} onChange={(e) => setNumber(e.target.value)} required placeholder="20261126-000001" />
          </div>
          <div className="field">
            <label htmlFor="tr-phone">{t('track_phone')}</label>
            <input id="tr-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} required />
          </div>
        </div>
        <div><button type="submit" className="primary">{t('track_go')}</button></div>
      </form>
      {asked && (found.loading ? <Loading /> : found.error ? <ErrorBox error={found.error} onRetry={found.reload} /> : found.data ? (
        <TicketCard ticket={found.data.ticket} timeline={found.data.timeline} onChanged={found.reload} />
      ) : null)}
    </div>
  );
}

function TicketCard({ ticket, timeline, onChanged }: { ticket: PublicTicketView; timeline: PublicTicketEventView[]; onChanged(): void }) {
  const { t, lang } = useI18n();
  const { me } = useAuth();
  return (
    <article className="form" aria-labelledby={`tk-${ticket.id}`} data-testid="tracked">
      <h2 id={`tk-${ticket.id}`}>
        <span className="ticket-number">{ticket.number}</span> {ticket.title}
      </h2>
      <p><StatusBadge ticket={ticket} /> <span className="muted">{t('t_created')} {fmtTime(ticket.createdAt, lang)}</span></p>
      <h3>{t('reply')}</h3>
      {ticket.replyText ? (
        <div className="reply" data-testid="reply">
          {ticket.result && <strong>{t(`result_${ticket.result}`)}：</strong>}
          {ticket.replyText}
        </div>
      ) : <p className="muted">{t('no_reply_yet')}</p>}
      {ticket.satisfaction && <p data-testid="rated">{t('t_satisfaction')}: {t(`sat_${ticket.satisfaction}`)}</p>}
      {ticket.status === 'answered' && ticket.allowed.includes('visit') && <Rate ticket={ticket} onDone={onChanged} />}
      {ticket.status === 'answered' && !ticket.allowed.includes('visit') && !me && (
        <p className="muted" data-testid="login-to-rate">
          <a href={href('/login', { next: location.hash.slice(1) })}>{t('login')}</a> · {t('track_login_to_rate')}
        </p>
      )}
      <h3>{t('timeline')}</h3>
      <Timeline events={timeline} />
    </article>
  );
}

function Rate({ ticket, onDone }: { ticket: Pick<TicketView, 'id'>; onDone(): void }) {
  const { t } = useI18n();
  const [contacted, setContacted] = useState<boolean | null>(null);
  const [solved, setSolved] = useState<boolean | null>(null);
  const [satisfaction, setSatisfaction] = useState<Satisfaction | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await hotline.act(ticket.id, 'visit', { contacted: contacted ?? false, solved: solved ?? false, satisfaction: satisfaction ?? undefined });
      onDone();
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  const yesNo = (name: string, value: boolean | null, set: (v: boolean) => void, legend: string) => (
    <fieldset>
      <legend>{legend}</legend>
      <label><input type="radio" name={name} checked={value === true} onChange={() => set(true)} required /> {t('yes')}</label>
      <label><input type="radio" name={name} checked={value === false} onChange={() => set(false)} /> {t('no')}</label>
    </fieldset>
  );
  return (
    <form onSubmit={submit} aria-label={t('rate_title')} className="rate" data-testid="rate-form">
      <h3>{t('rate_title')}</h3>
      {yesNo('contacted', contacted, setContacted, t('rate_contacted'))}
      {yesNo('solved', solved, setSolved, t('rate_solved'))}
      <fieldset>
        <legend>{t('rate_satisfaction')}</legend>
        {satisfactions.map((s) => (
          <label key={s}><input type="radio" name="satisfaction" value={s} checked={satisfaction === s} onChange={() => setSatisfaction(s)} required /> {t(`sat_${s}`)}</label>
        ))}
      </fieldset>
      {error && <ErrorBox error={error} compact />}
      <p><button type="submit" className="primary" disabled={busy || !satisfaction || contacted === null || solved === null}>{t('rate_send')}</button></p>
    </form>
  );
}

function Mine() {
  const { t, lang } = useI18n();
  const { me, checking } = useAuth();
  const list = useLoad(me ? () => hotline.listTickets({ pageSize: 50 }) : null, [me?.id]);
  if (checking) return <Loading />;
  if (!me) return <Login message={t('need_login')} />;
  if (list.loading) return <Loading />;
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  const items = list.data?.items ?? [];
  if (items.length === 0) return <p className="muted">{t('no_tickets')}</p>;
  return (
    <ul className="mine" data-testid="mine">
      {items.map((x) => (
        <li key={x.id}>
          <a href={href('/portal/track', { number: x.number })} onClick={() => handPhone(x.number, x.citizenPhone)}>{x.number}</a> {x.title} <StatusBadge ticket={x} />{' '}
          <span className="muted">{fmtTime(x.createdAt, lang)}</span>
        </li>
      ))}
    </ul>
  );
}
