import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../api.js';
import { useI18n } from '../i18n.js';
import { useAuth } from '../auth.js';
import { categoryLabel, flattenAreas, hotline, type ActionPayload, type Assist, type Category, type Org, type Ticket, type TicketFilter } from '../hotline-api.js';
import { href, navigate, useQueryParams, useRoute } from '../router.js';
import { ErrorBox, Loading } from '../ui/status.js';
import { Countdown, fmtTime, StatusBadge, Timeline } from '../ui/ticket-bits.js';
import { CategorySelect, SuggestionChips, useAssist } from './portal.js';
import { ShareInbox } from './share-inbox.js';
import { IntelAdmin } from './intel-admin.js';
import { shareRoles } from '../catalog-api.js';


interface Queue {
  id: string;
  label: string;
  filter: TicketFilter;
}

/** The queues each role works from; filters go to the list API and into the URL. */
function queuesFor(roles: string[], t: (k: string) => string): Queue[] {
  const admin = roles.includes('admin');
  const q: Queue[] = [];
  if (admin || roles.includes('agent')) {
    q.push(
      { id: 'intake', label: t('q_intake'), filter: { status: ['received'] } },
      { id: 'returned', label: t('q_returned'), filter: { status: ['returned'] } },
      { id: 'to_visit', label: t('q_to_visit'), filter: { status: ['answered'] } },
    );
  }
  if (admin || roles.includes('handler')) {
    q.push(
      { id: 'to_sign', label: t('q_to_sign'), filter: { status: ['dispatched'] } },
      { id: 'handling', label: t('q_handling'), filter: { status: ['accepted', 'in_progress'] } },
    );
  }
  if (admin || roles.includes('supervisor')) {
    q.push(
      { id: 'supervised', label: t('q_supervised'), filter: { supervised: true } },
      { id: 'unsatisfied', label: t('q_unsatisfied'), filter: { satisfaction: ['unsatisfied'] } },
    );
    if (!q.some((x) => x.id === 'intake')) q.push({ id: 'intake', label: t('q_intake'), filter: { status: ['received'] } });
  }
  q.push({ id: 'overdue', label: t('q_overdue'), filter: { overdue: true } });
  q.push({ id: 'all', label: t('q_all'), filter: {} });
  return q;
}

/** Roles that work tickets; the data owner and the data bureau work sharing requests only. */
const ticketRoles = ['agent', 'handler', 'supervisor', 'admin'];
/** Roles that see the classifier's versions and the dictionary (hotline.intel.model.read). */
const intelRoles = ['supervisor', 'data_admin', 'admin'];

/**
 * 工作台: a queue per role, ticket detail with the timeline and the actions allowed now, bulk actions, keys; the
 * sharing-request inbox (共享申请) for data owners, the data bureau and units that asked for data.
 */
export function Workbench() {
  const route = useRoute();
  const { hasRole } = useAuth();
  const segments = route.path.split('/').filter(Boolean);
  if (segments[1] === 't' && segments[2]) return <TicketDetail id={segments[2]} />;
  if (segments[1] === 'new') return <NewCall />;
  if (segments[1] === 'intel' && hasRole(...intelRoles)) return <IntelAdmin />;
  if (segments[1] === 'share' || !hasRole(...ticketRoles)) return <ShareInbox />;
  return <QueueView />;
}

/** Names of units and areas for the tables (both lists are small). */
function useDirectory() {
  const orgs = useLoad(() => hotline.units(), []);
  const areas = useLoad(() => hotline.areas().then(flattenAreas).catch(() => []), []);
  const categories = useLoad(() => hotline.categories().catch(() => []), []);
  return useMemo(() => ({
    orgs: orgs.data ?? [],
    orgName: (id: string | null) => (id ? orgs.data?.find((o) => o.id === id)?.name ?? id.slice(0, 8) : '—'),
    areaName: (id: string | null) => (id ? areas.data?.find((a) => a.id === id)?.name ?? '' : '—'),
    categories: categories.data ?? [],
    categoryName: (id: string | null) => (id ? categoryLabel(categories.data?.find((c) => c.id === id)) : '—'),
  }), [orgs.data, areas.data, categories.data]);
}

function QueueView() {
  const { t, lang } = useI18n();
  const { me } = useAuth();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const queues = useMemo(() => queuesFor(me?.roles ?? [], t), [me, t]);
  const queue = queues.find((q) => q.id === query.get('queue')) ?? queues[0];
  const text = query.get('q') ?? '';
  const page = Number(query.get('page') ?? '1') || 1;
  const areaId = query.get('areaId') ?? undefined;
  const dir = useDirectory();
  const filter: TicketFilter = { ...queue.filter, text: text || undefined, page, pageSize: 20, areaId };
  const list = useLoad(() => hotline.listTickets(filter), [JSON.stringify(filter)]);
  const items = list.data?.items ?? [];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState(0);
  const [bulkResult, setBulkResult] = useState<{ ok: number; failed: { number: string; error: ApiError }[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const [searchText, setSearchText] = useState(text);

  useEffect(() => { setSelected(new Set()); setCursor(0); }, [queue.id, text, page, areaId]);
  useEffect(() => setSearchText(text), [text]);

  // j/k move, Enter opens, x selects, / searches: a queue can be worked without the mouse.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'j') setCursor((c) => Math.min(items.length - 1, c + 1));
      else if (e.key === 'k') setCursor((c) => Math.max(0, c - 1));
      else if (e.key === 'Enter' && items[cursor] && target.tagName !== 'A' && target.tagName !== 'BUTTON') navigate(`/work/t/${items[cursor].id}`);
      else if (e.key === 'x' && items[cursor]) toggle(items[cursor].id);
      else if (e.key === '/') { e.preventDefault(); searchRef.current?.focus(); }
      else return;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const toggle = (id: string) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });

  const bulkActions = bulkActionsFor(me?.roles ?? [], queue.id);
  const runBulk = async (action: string) => {
    setBusy(true);
    setBulkResult(null);
    const failed: { number: string; error: ApiError }[] = [];
    let ok = 0;
    for (const ticket of items.filter((x) => selected.has(x.id))) {
      try {
        await hotline.act(ticket.id, action, {});
        ok++;
      } catch (err) {
        failed.push({ number: ticket.number, error: toError(err) });
      }
    }
    setBulkResult({ ok, failed });
    setBusy(false);
    setSelected(new Set());
    list.reload();
  };

  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / 20));
  return (
    <section className="work" aria-labelledby="work-title">
      <nav aria-label={t('work_title')}>
        <h1 id="work-title">{t('work_title')}</h1>
        <ul className="queues">
          {queues.map((q) => (
            <li key={q.id}>
              <a href={href('/work', { queue: q.id })} aria-current={q.id === queue.id ? 'page' : undefined} data-queue={q.id}>{q.label}</a>
            </li>
          ))}
        </ul>
        {(me?.roles.includes('agent') || me?.roles.includes('admin')) && (
          <p><a className="button" href="#/work/new">{t('q_new_call')}</a></p>
        )}
        {me?.roles.some((r) => (shareRoles as readonly string[]).includes(r)) && (
          <p><a href="#/work/share" data-testid="share-link">{t('share_inbox')}</a></p>
        )}
        {me?.roles.some((r) => intelRoles.includes(r)) && <p><a href="#/work/intel" data-testid="intel-link">{t('intel_admin')}</a></p>}
        <p className="kbd">{t('kbd_help')}</p>
      </nav>
      <div>
        <form className="toolbar" role="search" onSubmit={(e) => { e.preventDefault(); setQuery({ q: searchText || null, page: null }); }}>
          <label htmlFor="work-search" className="sr-only">{t('filter_search')}</label>
          <input id="work-search" ref={searchRef} type="search" value={searchText} onChange={(e) => setSearchText(e.target.value)} placeholder={t('filter_search')} />
          <button type="submit">{t('track_go')}</button>
          {areaId && <button type="button" onClick={() => setQuery({ areaId: null })}>{dir.areaName(areaId)} ✕</button>}
          {bulkActions.length > 0 && (
            <span role="group" aria-label={t('bulk_apply')}>
              <span className="muted">{t('bulk_selected')} {selected.size} </span>
              {bulkActions.map((a) => (
                <button key={a} type="button" disabled={busy || selected.size === 0} onClick={() => runBulk(a)} data-bulk={a}>
                  {t('bulk_apply')}{t(`action_${a}`)}
                </button>
              ))}
            </span>
          )}
        </form>
        {bulkResult && (
          <div className={bulkResult.failed.length ? 'error' : 'ok'} role="status">
            {t('done')}: {bulkResult.ok}
            {bulkResult.failed.map((f) => (
              <div key={f.number}>{f.number}: <ErrorBox error={f.error} compact /></div>
            ))}
          </div>
        )}
        {list.loading && !list.data ? <Loading /> : list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : items.length === 0 ? (
          <p className="muted" role="status">{t('no_tickets')}</p>
        ) : (
          <table className="tickets" aria-label={queue.label} aria-busy={list.loading}>
            <thead>
              <tr>
                <th scope="col">
                  <input type="checkbox" aria-label={t('select_all')} checked={items.length > 0 && items.every((x) => selected.has(x.id))}
                    onChange={(e) => setSelected(e.target.checked ? new Set(items.map((x) => x.id)) : new Set())} />
                </th>
                <th scope="col">{t('t_number')}</th>
                <th scope="col">{t('t_title')}</th>
                <th scope="col">{t('t_status')}</th>
                <th scope="col" className="hide-sm">{t('t_unit')}</th>
                <th scope="col" className="hide-sm">{t('t_district')}</th>
                <th scope="col">{t('t_due')}</th>
                <th scope="col" className="hide-sm">{t('t_created')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((x, i) => (
                <tr key={x.id} aria-selected={selected.has(x.id)} className={i === cursor ? 'cursor' : undefined} data-number={x.number}>
                  <td><input type="checkbox" aria-label={`${t('select_row')} ${x.number}`} checked={selected.has(x.id)} onChange={() => toggle(x.id)} /></td>
                  <td className="num"><a href={`#/work/t/${x.id}`}>{x.number}</a></td>
                  <th scope="row">{x.title}</th>
                  <td><StatusBadge ticket={x} /></td>
                  <td className="hide-sm">{dir.orgName(x.unitId)}</td>
                  <td className="hide-sm">{dir.areaName(x.districtId ?? x.areaId)}</td>
                  <td><Countdown ticket={x} /></td>
                  <td className="hide-sm">{fmtTime(x.createdAt, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {pages > 1 && (
          <nav className="toolbar" aria-label="pages">
            <button type="button" disabled={page <= 1} onClick={() => setQuery({ page: String(page - 1) })}>{t('prev_page')}</button>
            <span>{page} / {pages} · {total}</span>
            <button type="button" disabled={page >= pages} onClick={() => setQuery({ page: String(page + 1) })}>{t('next_page')}</button>
          </nav>
        )}
      </div>
    </section>
  );
}

/** Actions that need no input, so they can be applied to many tickets at once. */
function bulkActionsFor(roles: string[], queue: string): string[] {
  const out: string[] = [];
  const has = (r: string) => roles.includes(r) || roles.includes('admin');
  if (has('agent') && (queue === 'intake' || queue === 'returned')) out.push('dispatch');
  if (has('handler') && queue === 'to_sign') out.push('accept');
  if (has('handler') && queue === 'handling') out.push('start');
  if (has('supervisor') && ['overdue', 'unsatisfied', 'all', 'intake'].includes(queue)) out.push('supervise');
  return out;
}

function TicketDetail({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const ticket = useLoad(() => hotline.getTicket(id), [id]);
  const timeline = useLoad(() => hotline.timeline(id), [id]);
  const dir = useDirectory();
  const [flash, setFlash] = useState<string | null>(null);
  const reload = useCallback(() => { ticket.reload(); timeline.reload(); }, [ticket, timeline]);
  if (ticket.loading && !ticket.data) return <Loading />;
  if (ticket.error) return <><a href="#/work">{t('back_to_queue')}</a><ErrorBox error={ticket.error} onRetry={ticket.reload} /></>;
  const x = ticket.data!;
  return (
    <section aria-labelledby="detail-title">
      <p><a href="#/work" onClick={(e) => { e.preventDefault(); history.length > 1 ? history.back() : navigate('/work'); }}>← {t('back_to_queue')}</a></p>
      <h1 id="detail-title"><span className="ticket-number">{x.number}</span> {x.title}</h1>
      {flash && <p className="ok" role="status">{flash}</p>}
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
            {x.returnReason && <><dt>{t('reason')}</dt><dd>{x.returnReason}</dd></>}
            {x.satisfaction && <><dt>{t('t_satisfaction')}</dt><dd>{t(`sat_${x.satisfaction}`)}</dd></>}
          </dl>
          <h2>{t('t_content')}</h2>
          <p style={{ whiteSpace: 'pre-wrap' }}>{x.content}</p>
          {x.replyText && (<><h2>{t('reply')}</h2><div className="reply" data-testid="reply">{x.result && <strong>{t(`result_${x.result}`)}：</strong>}{x.replyText}</div></>)}
          <h2>{t('timeline')}</h2>
          {timeline.error ? <ErrorBox error={timeline.error} onRetry={timeline.reload} compact /> : timeline.data ? <Timeline events={timeline.data} /> : <Loading />}
        </div>
        <aside className="actions" aria-label={t('detail')}>
          <Actions ticket={x} orgs={dir.orgs} categories={dir.categories} onDone={(action) => { setFlash(`${t(`action_${action}`)} · ${t('done')}`); reload(); }} />
          {(x.allowed ?? []).includes('dispatch') && <AssistPanel ticket={x} orgName={dir.orgName} categoryName={dir.categoryName} />}
        </aside>
      </div>
    </section>
  );
}

/** One small form per action the reader may take now (the API's `allowed` list). */
function Actions({ ticket, orgs, categories, onDone }: { ticket: Ticket; orgs: Org[]; categories: Category[]; onDone(action: string): void }) {
  const { t } = useI18n();
  const allowed = ticket.allowed ?? [];
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: string, payload: ActionPayload) => {
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
  if (allowed.length === 0) return <p className="muted">—</p>;
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
  action: string; ticket: Ticket; orgs: Org[]; categories: Category[]; busy: boolean; onSubmit(p: ActionPayload): void;
}) {
  const { t } = useI18n();
  const [unitId, setUnitId] = useState('');
  const [text, setText] = useState('');
  const [result, setResult] = useState('solved');
  const [contacted, setContacted] = useState(true);
  const [solved, setSolved] = useState(true);
  const [satisfaction, setSatisfaction] = useState('satisfied');
  const [categoryId, setCategoryId] = useState('');
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
      case 'merge': return onSubmit({ mainTicketId: text.trim() });
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
          <button type="button" onClick={() => hotline.draftReply({ title: ticket.title, content: ticket.content }).then((d) => setText(d.text), () => undefined)}>
            {t('draft_reply')}
          </button>
          <label htmlFor={`${idp}-result`}>{t('t_result')}</label>
          <select id={`${idp}-result`} value={result} onChange={(e) => setResult(e.target.value)}>
            {['solved', 'unsolved', 'explained'].map((r) => <option key={r} value={r}>{t(`result_${r}`)}</option>)}
          </select>
        </>
      )}
      {action === 'visit' && (
        <>
          <label><input type="checkbox" checked={contacted} onChange={(e) => setContacted(e.target.checked)} /> {t('rate_contacted')}</label>
          <label><input type="checkbox" checked={solved} onChange={(e) => setSolved(e.target.checked)} /> {t('rate_solved')}</label>
          <label htmlFor={`${idp}-sat`}>{t('rate_satisfaction')}</label>
          <select id={`${idp}-sat`} value={satisfaction} onChange={(e) => setSatisfaction(e.target.value)}>
            {['satisfied', 'basically_satisfied', 'unsatisfied'].map((s) => <option key={s} value={s}>{t(`sat_${s}`)}</option>)}
          </select>
        </>
      )}
      {action === 'merge' && (
        <>
          <label htmlFor={`${idp}-main`}>{t('t_number')} (main ticket id)</label>
          <input id={`${idp}-main`} value={text} onChange={(e) => setText(e.target.value)} required />
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
      <button type="submit" className={action === 'return' ? 'danger' : 'primary'} disabled={busy || (action === 'recategorize' && !categoryId)}>{t(`action_${action}`)}</button>
    </form>
  );
}

/** The assist for the agent (issue 4): category top-3, unit, duplicates, similar cases with replies, summary. */
function AssistPanel({ ticket, orgName, categoryName }: { ticket: Ticket; orgName(id: string | null): string; categoryName(id: string | null): string }) {
  const { t } = useI18n();
  const assist = useLoad<Assist>(() => hotline.assist({ title: ticket.title, content: ticket.content, address: ticket.address ?? undefined }), [ticket.id]);
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
                  {c.categoryId && c.categoryId !== ticket.categoryId && (ticket.allowed ?? []).includes('recategorize') && (
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

/** Intake by an agent: a phone call typed in, with the assist's category suggestion as the agent types. */
function NewCall() {
  const { t } = useI18n();
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [categoryId, setCategoryId] = useState('');
  const [urgency, setUrgency] = useState('normal');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const categories = useLoad(() => hotline.categories(), []);
  const suggestion = useAssist(title, content, address);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await hotline.createTicket({
        title: title.trim(), content: content.trim(), channel: 'phone', address: address.trim() || undefined,
        citizenName: name.trim() || undefined, citizenPhone: phone.trim() || undefined, categoryId: categoryId || undefined, urgency,
      });
      navigate(`/work/t/${created.id}`);
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="newcall-title">
      <p><a href="#/work">← {t('back_to_queue')}</a></p>
      <h1 id="newcall-title">{t('q_new_call')}</h1>
      <form className="form" onSubmit={submit}>
        <div className="field"><label htmlFor="nc-title">{t('f_title')}</label><input id="nc-title" value={title} onChange={(e) => setTitle(e.target.value)} required /></div>
        <div className="field"><label htmlFor="nc-content">{t('f_content')}</label><textarea id="nc-content" value={content} onChange={(e) => setContent(e.target.value)} required /></div>
        <div className="field">
          <label htmlFor="nc-category">{t('f_category')}</label>
          <CategorySelect id="nc-category" categories={categories.data ?? []} value={categoryId} onChange={setCategoryId} />
          <SuggestionChips assist={suggestion} categories={categories.data ?? []} onPick={setCategoryId} chosen={categoryId} />
        </div>
        <div className="row">
          <div className="field"><label htmlFor="nc-address">{t('f_address')}</label><input id="nc-address" value={address} onChange={(e) => setAddress(e.target.value)} /></div>
          <div className="field">
            <label htmlFor="nc-urgency">{t('f_urgency')}</label>
            <select id="nc-urgency" value={urgency} onChange={(e) => setUrgency(e.target.value)}>
              {['emergency', 'urgent', 'normal', 'complex'].map((u) => <option key={u} value={u}>{t(`urgency_${u}`)}</option>)}
            </select>
          </div>
        </div>
        <div className="row">
          <div className="field"><label htmlFor="nc-name">{t('f_name')}</label><input id="nc-name" value={name} onChange={(e) => setName(e.target.value)} /></div>
          <div className="field"><label htmlFor="nc-phone">{t('f_phone')}</label><input id="nc-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} /></div>
        </div>
        {error && <ErrorBox error={error} compact />}
        <div><button type="submit" className="primary" disabled={busy}>{busy ? t('submitting') : t('submit')}</button></div>
      </form>
    </section>
  );
}
