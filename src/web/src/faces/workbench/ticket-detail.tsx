import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import {
  hotline, isTicketAction, satisfactions, ticketResults, type AssistResult, type CategoryView, type OrgView, type Satisfaction,
  type TicketAction, type TicketDetail as Ticket, type TicketResult, type TransitionPayload,
} from '../../hotline-api.js';
import { navigate } from '../../router.js';
import { CategorySelect } from '../../ui/category-picker.js';
import { CityMap } from '../../ui/map/city-map.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { Countdown, StatusBadge, Timeline } from '../../ui/ticket-status.js';
import { useDirectory } from './directory.js';
import { nextInQueue } from './queue-nav.js';
import { DraftPanel, KnowledgeAsk } from './draft-panel.js';
import { ReplyInspection } from './reply-inspection.js';
import { supervisionLevels, type SupervisionLevel } from '../../../../hotline/ticket-enums.js';
import './messages.js';
import './workbench.css';

/** One ticket: every field, the reply, the timeline, a form per action allowed now, and the assist panel. */
export function TicketDetail({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const ticket = useLoad(() => hotline.getTicket(id), [id]);
  const timeline = useLoad(() => hotline.timeline(id), [id]);
  const dir = useDirectory();
  const { hasRole } = useAuth();
  const [flash, setFlash] = useState<string | null>(null);
  const reload = useCallback(() => { ticket.reload(); timeline.reload(); }, [ticket, timeline]);
  if (ticket.loading && !ticket.data) return <Loading />;
  if (ticket.error) return <><a href="#/work">{t('back_to_queue')}</a><ErrorBox error={ticket.error} onRetry={ticket.reload} /></>;
  const x = ticket.data!;
  return (
    <section aria-labelledby="detail-title">
      <p><a href="#/work" onClick={(e) => { e.preventDefault(); history.length > 1 ? history.back() : navigate('/work'); }}>← {t('back_to_queue')}</a></p>
      <h1 id="detail-title"><span className="ticket-number">{x.number}</span> {x.title}</h1>
      {flash && <p className="ok" role="status">{flash} <NextTicket id={id} /></p>}
      <div className="detail">
        <div className="panel">
          <p><StatusBadge ticket={x} /> <Countdown ticket={x} /></p>
          <dl>
            <dt>{t('t_category')}</dt><dd>{dir.categoryName(x.categoryId)}</dd>
            <dt>{t('t_unit')}</dt><dd data-testid="unit">{dir.orgName(x.unitId)}</dd>
            <dt>{t('t_district')}</dt><dd>{dir.areaName(x.districtId ?? x.areaId)}</dd>
            <dt>{t('t_address')}</dt><dd>{x.address ?? '—'}</dd>
            <dt>{t('t_citizen')}</dt><dd>{x.citizenName ?? '—'} {x.citizenPhone ?? ''}</dd>
            <dt>{t('t_channel')}</dt><dd>{x.channel}</dd>
            <dt>{t('t_urgency')}</dt><dd>{t(`urgency_${x.urgency}`)}</dd>
            <dt>{t('t_created')}</dt><dd>{fmtTime(x.createdAt, lang)}</dd>
            <dt>{t('t_sign_due')}</dt><dd>{fmtTime(x.signDueAt, lang)}</dd>
            <dt>{t('t_due')}</dt><dd className={x.overdue ? 'overdue' : ''}>{fmtTime(x.dueAt, lang)}</dd>
            {x.supervised && (
              <><dt>{t('wb_supervised_as')}</dt><dd data-testid="supervision">{t(`wb_level_${x.supervisionLevel ?? 'general'}`)}{x.supervisionDueAt ? ` · ${t('wb_supervise_due')} ${fmtTime(x.supervisionDueAt, lang)}` : ''}</dd></>
            )}
            {x.returnReason && <><dt>{t('reason')}</dt><dd>{x.returnReason}</dd></>}
            {x.satisfaction && <><dt>{t('t_satisfaction')}</dt><dd>{t(`sat_${x.satisfaction}`)}</dd></>}
          </dl>
          {x.lon !== null && x.lat !== null && (
            <div data-testid="ticket-pin"><CityMap label={t('t_address')} height={220} pin={{ lon: x.lon, lat: x.lat }} center={[x.lon, x.lat]} zoom={14} /></div>
          )}
          <h2>{t('t_content')}</h2>
          <p style={{ whiteSpace: 'pre-wrap' }}>{x.content}</p>
          {x.replyText && (<><h2>{t('reply')}</h2><div className="reply" data-testid="reply">{x.result && <strong>{t(`result_${x.result}`)}：</strong>}{x.replyText}</div></>)}
          <h2>{t('timeline')}</h2>
          {timeline.error ? <ErrorBox error={timeline.error} onRetry={timeline.reload} compact /> : timeline.data ? <Timeline events={timeline.data} /> : <Loading />}
        </div>
        <aside className="actions" aria-label={t('detail')}>
          <Actions ticket={x} orgs={dir.orgs} categories={dir.categories} onDone={(action) => { setFlash(`${t(`action_${action}`)} · ${t('done')}`); reload(); }} />
          {x.allowed.includes('dispatch') && <AssistPanel ticket={x} orgName={dir.orgName} categoryName={dir.categoryName} />}
          {hasRole('agent', 'handler', 'supervisor') && <div className="panel"><KnowledgeAsk asOf={x.createdAt.slice(0, 10)} /></div>}
        </aside>
      </div>
    </section>
  );
}

/** One small form per action the reader may take now (the API's `allowed` list). */
function Actions({ ticket, orgs, categories, onDone }: { ticket: Ticket; orgs: OrgView[]; categories: CategoryView[]; onDone(action: TicketAction): void }) {
  const { t } = useI18n();
  const allowed = ticket.allowed.filter(isTicketAction);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: TicketAction, payload: TransitionPayload) => {
    setBusy(true);
    setError(null);
    try {
      await hotline.act(ticket.id, action, payload);
      onDone(action);
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  if (allowed.length === 0) return <p className="muted panel" data-testid="no-actions">{t('wb_nothing_to_do')} <NextTicket id={ticket.id} /></p>;
  return (
    <div className="panel actions" data-testid="actions">
      {error && <ErrorBox error={error} compact />}
      {allowed.map((action) => (
        <ActionForm key={action} action={action} ticket={ticket} orgs={orgs} categories={categories} busy={busy} onSubmit={(p) => run(action, p)} />
      ))}
    </div>
  );
}

function ActionForm({ action, ticket, orgs, categories, busy, onSubmit }: {
  action: TicketAction; ticket: Ticket; orgs: OrgView[]; categories: CategoryView[]; busy: boolean; onSubmit(p: TransitionPayload): void;
}) {
  const { t } = useI18n();
  const [unitId, setUnitId] = useState('');
  const [text, setText] = useState('');
  const [result, setResult] = useState<TicketResult>('solved');
  const [contacted, setContacted] = useState(true);
  const [solved, setSolved] = useState(true);
  const [satisfaction, setSatisfaction] = useState<Satisfaction>('satisfied');
  const [categoryId, setCategoryId] = useState('');
  const [level, setLevel] = useState<SupervisionLevel>('general');
  const [superviseDue, setSuperviseDue] = useState('');
  const [mainId, setMainId] = useState('');
  // Dispatch starts on the routing rules' unit; the assist panel's "use suggestion" replaces it.
  const [routed, setRouted] = useState<{ unitId: string | null; source: string } | null>(null);
  useEffect(() => {
    if (action !== 'dispatch') return;
    let live = true;
    hotline.suggestUnit(ticket.categoryId, ticket.areaId).then((r) => {
      if (!live) return;
      setRouted(r);
      if (r.unitId) setUnitId((u) => u || r.unitId!);
    }, () => undefined);
    return () => { live = false; };
  }, [action, ticket.categoryId, ticket.areaId]);
  useEffect(() => {
    const onUnit = (e: Event) => setUnitId((e as CustomEvent<string>).detail);
    const onCategory = (e: Event) => setCategoryId((e as CustomEvent<string>).detail);
    window.addEventListener('cityhub:use-unit', onUnit);
    window.addEventListener('cityhub:use-category', onCategory);
    return () => {
      window.removeEventListener('cityhub:use-unit', onUnit);
      window.removeEventListener('cityhub:use-category', onCategory);
    };
  }, []);
  const idp = `act-${action}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const note = text.trim() || undefined;
    switch (action) {
      case 'dispatch': return onSubmit({ unitId: unitId || undefined, note });
      case 'return': return onSubmit({ reason: text.trim() });
      case 'answer': return onSubmit({ replyText: text.trim(), result });
      case 'visit': return onSubmit({ contacted, solved, satisfaction, note });
      case 'merge': return onSubmit({ mainTicketId: mainId });
      case 'supervise': return onSubmit({ supervisionLevel: level, supervisionDueAt: superviseDue ? new Date(`${superviseDue}T18:00:00`).toISOString() : undefined, note });
      case 'recategorize': return onSubmit({ categoryId, note });
      default: return onSubmit({ note });
    }
  };
  const units = orgs.filter((o) => ['department', 'district', 'street'].includes(o.kind));
  return (
    <form onSubmit={submit} aria-label={t(`action_${action}`)} data-action={action}>
      {action === 'dispatch' && (
        <>
          <label htmlFor={`${idp}-unit`}>{t('unit_pick')}</label>
          <select id={`${idp}-unit`} value={unitId} onChange={(e) => setUnitId(e.target.value)} required>
            <option value="">{t('unit_pick')}</option>
            {units.map((o) => <option key={o.id} value={o.id}>{o.name}{o.id === routed?.unitId ? ` ★ ${t('routing_suggested')}` : ''}</option>)}
          </select>
          {routed?.unitId && <span className="hint" data-testid="routing-suggestion">{t('routing_suggested')}: {units.find((o) => o.id === routed.unitId)?.name ?? routed.unitId} ({t(`routing_${routed.source}`)})</span>}
        </>
      )}
      {(action === 'return' || action === 'answer') && (
        <>
          <label htmlFor={`${idp}-text`}>{action === 'return' ? t('reason') : t('reply_text')}</label>
          <textarea id={`${idp}-text`} value={text} onChange={(e) => setText(e.target.value)} required minLength={2} />
        </>
      )}
      {action === 'answer' && (
        <>
          <DraftPanel ticket={ticket} text={text} setText={setText} />
          <ReplyInspection appeal={ticket.content} reply={text} />
          <label htmlFor={`${idp}-result`}>{t('t_result')}</label>
          <select id={`${idp}-result`} value={result} onChange={(e) => setResult(e.target.value as TicketResult)}>
            {ticketResults.map((r) => <option key={r} value={r}>{t(`result_${r}`)}</option>)}
          </select>
        </>
      )}
      {action === 'visit' && (
        <>
          <label><input type="checkbox" checked={contacted} onChange={(e) => setContacted(e.target.checked)} /> {t('rate_contacted')}</label>
          <label><input type="checkbox" checked={solved} onChange={(e) => setSolved(e.target.checked)} /> {t('rate_solved')}</label>
          <label htmlFor={`${idp}-sat`}>{t('rate_satisfaction')}</label>
          <select id={`${idp}-sat`} value={satisfaction} onChange={(e) => setSatisfaction(e.target.value as Satisfaction)}>
            {satisfactions.map((s) => <option key={s} value={s}>{t(`sat_${s}`)}</option>)}
          </select>
        </>
      )}
      {action === 'merge' && <MergeSearch ticket={ticket} idp={idp} value={mainId} onPick={setMainId} />}
      {action === 'supervise' && (
        <>
          <label htmlFor={`${idp}-level`}>{t('wb_level')}</label>
          <select id={`${idp}-level`} value={level} onChange={(e) => setLevel(e.target.value as SupervisionLevel)}>
            {supervisionLevels.map((l) => <option key={l} value={l}>{t(`wb_level_${l}`)}</option>)}
          </select>
          <label htmlFor={`${idp}-due`}>{t('wb_supervise_due')}</label>
          <input id={`${idp}-due`} type="date" value={superviseDue} min={new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)} onChange={(e) => setSuperviseDue(e.target.value)} />
        </>
      )}
      {action === 'recategorize' && (
        <>
          <label htmlFor={`${idp}-category`}>{t('recategorize_to')}</label>
          <CategorySelect id={`${idp}-category`} categories={categories.filter((c) => c.id !== ticket.categoryId)} value={categoryId} onChange={setCategoryId} />
        </>
      )}
      {['dispatch', 'supervise', 'visit', 'reopen', 'close', 'accept', 'start', 'recategorize'].includes(action) && (
        <>
          <label htmlFor={`${idp}-note`} className="sr-only">{t('note')}</label>
          <input id={`${idp}-note`} value={text} onChange={(e) => setText(e.target.value)} placeholder={t('note')} />
        </>
      )}
      <button type="submit" className={action === 'return' ? 'danger' : 'primary'} disabled={busy || (action === 'recategorize' && !categoryId) || (action === 'merge' && !mainId)}>{t(`action_${action}`)}</button>
    </form>
  );
}

/** The assist for the agent (issue 4): category top-3, unit, duplicates, similar cases with replies, summary. */
function AssistPanel({ ticket, orgName, categoryName }: { ticket: Ticket; orgName(id: string | null): string; categoryName(id: string | null): string }) {
  const { t } = useI18n();
  const assist = useLoad<AssistResult>(() => hotline.assist({ title: ticket.title, content: ticket.content, address: ticket.address ?? undefined, ticketId: ticket.id }), [ticket.id]);
  return (
    <section className="panel assist-panel" aria-labelledby="assist-title" data-testid="assist">
      <h2 id="assist-title">{t('assist')}</h2>
      {assist.loading ? <Loading /> : assist.error ? (
        assist.error.code === 'ROUTE_NOT_FOUND' ? <p className="notyet">{t('assist_unavailable')}</p> : <ErrorBox error={assist.error} onRetry={assist.reload} compact />
      ) : assist.data && (
        <>
          {assist.data.summary && (<><h3>{t('assist_summary')}</h3><p>{assist.data.summary.text}</p></>)}
          <h3>{t('assist_categories')}</h3>
          {assist.data.categories && assist.data.categories.length > 0 ? (
            <ol>
              {assist.data.categories.slice(0, 3).map((c, i) => (
                <li key={i}>
                  {c.categoryId ? categoryName(c.categoryId) || c.label : c.label} <span className="conf">{Math.round(c.confidence * 100)}%</span>
                  {/* 改类 to the suggestion: fills the recategorize form; the agent confirms (it becomes a training label) */}
                  {c.categoryId && c.categoryId !== ticket.categoryId && ticket.allowed.includes('recategorize') && (
                    <> <button type="button" onClick={() => window.dispatchEvent(new CustomEvent('cityhub:use-category', { detail: c.categoryId }))}>{t('assist_use')}</button></>
                  )}
                </li>
              ))}
            </ol>
          ) : <p className="muted">{assist.data.classifierReason ?? t('no_data')}</p>}
          {assist.data.unit?.unitId && (
            <>
              <h3>{t('assist_unit')}</h3>
              <p>
                <span data-testid="assist-unit">{orgName(assist.data.unit.unitId)}</span>{' '}
                <span className="conf">({t(`routing_${assist.data.unit.source}`)})</span>{' '}
                <button type="button" onClick={() => window.dispatchEvent(new CustomEvent('cityhub:use-unit', { detail: assist.data!.unit!.unitId }))}>
                  {t('assist_use')}
                </button>
              </p>
            </>
          )}
          {(assist.data.duplicates ?? []).length > 0 && (
            <>
              <h3>{t('assist_duplicates')}</h3>
              <ul>{assist.data.duplicates!.map((d) => <li key={d.ticketId}><a href={`#/work/t/${d.ticketId}`}>{d.number}</a> {d.title} <span className="conf">{Math.round(d.similarity * 100)}%</span></li>)}</ul>
            </>
          )}
          {(assist.data.similar ?? []).length > 0 && (
            <>
              <h3>{t('assist_similar')}</h3>
              <ul>{assist.data.similar!.slice(0, 3).map((s, i) => <li key={i}><strong>{s.title}</strong>{s.reply && <div className="muted">{s.reply.slice(0, 160)}</div>}</li>)}</ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

/** 下一件: the ticket after this one in the queue it was opened from. */
function NextTicket({ id }: { id: string }) {
  const { t } = useI18n();
  const next = nextInQueue(id);
  if (!next) return <span className="muted" data-testid="queue-done">{t('wb_queue_done')}</span>;
  return <a className="button" href={`#/work/t/${next.id}`} data-testid="next-ticket">{t('wb_next')} →</a>;
}

/** 合并: find the main ticket by number or title among open tickets (never this one), then pick it. */
function MergeSearch({ ticket, idp, value, onPick }: { ticket: Ticket; idp: string; value: string; onPick(id: string): void }) {
  const { t } = useI18n();
  const [text, setText] = useState(ticket.title.slice(0, 12));
  const [asked, setAsked] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setAsked(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useLoad(() => (asked ? hotline.listTickets({ text: asked, open: true, pageSize: 8 }) : Promise.resolve(null)), [asked]);
  const candidates = (found.data?.items ?? []).filter((x) => x.id !== ticket.id && x.status !== 'merged');
  return (
    <>
      <label htmlFor={`${idp}-search`}>{t('wb_merge_search')}</label>
      <input id={`${idp}-search`} type="search" value={text} onChange={(e) => setText(e.target.value)} />
      <fieldset className="merge-candidates">
        <legend>{t('wb_merge_pick')}</legend>
        {found.loading ? <Loading /> : candidates.length === 0 ? <p className="muted">{t('wb_merge_none')}</p> : candidates.map((x) => (
          <label key={x.id}>
            <input type="radio" name={`${idp}-main`} value={x.id} checked={value === x.id} onChange={() => onPick(x.id)} />
            <span className="ticket-number">{x.number}</span> {x.title}
          </label>
        ))}
      </fieldset>
    </>
  );
}
