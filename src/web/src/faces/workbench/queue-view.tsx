import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { shareRoles } from '../../catalog-api.js';
import { hotline, type TicketAction, type TicketQuery } from '../../hotline-api.js';
import { href, navigate, useQueryParams, useRoute } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { Countdown, StatusBadge } from '../../ui/ticket-status.js';
import { useDirectory } from './directory.js';
import { intelRoles } from './roles.js';

interface Queue {
  id: string;
  label: string;
  filter: TicketQuery;
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

/** A queue of tickets: the role's queues, search, a page of the list, bulk actions, keyboard moves. */
export function QueueView() {
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
  const filter: TicketQuery = { ...queue.filter, text: text || undefined, page, pageSize: 20, areaId };
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
  const runBulk = async (action: TicketAction) => {
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
function bulkActionsFor(roles: string[], queue: string): TicketAction[] {
  const out: TicketAction[] = [];
  const has = (r: string) => roles.includes(r) || roles.includes('admin');
  if (has('agent') && (queue === 'intake' || queue === 'returned')) out.push('dispatch');
  if (has('handler') && queue === 'to_sign') out.push('accept');
  if (has('handler') && queue === 'handling') out.push('start');
  if (has('supervisor') && ['overdue', 'unsatisfied', 'all', 'intake'].includes(queue)) out.push('supervise');
  return out;
}
