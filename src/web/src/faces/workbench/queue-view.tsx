import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { shareRoles } from '../../catalog-api.js';
import { categoryLabel, hotline, type TicketAction, type TicketPage, type TicketQuery, type TicketView } from '../../hotline-api.js';
import { href, navigate, useQueryParams, useRoute } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { Countdown, StatusBadge } from '../../ui/ticket-status.js';
import { useDirectory } from './directory.js';
import { rememberQueue } from './queue-nav.js';
import { intelRoles } from './roles.js';
import './messages.js';
import './workbench.css';

interface Queue {
  id: string;
  label: string;
  filter: TicketQuery;
}

const PAGE_SIZE = 20;
/** A page's total as shown: "1000+" when the server stopped counting at its limit (`modules.hotline.list.countLimit`). */
const countText = (p: TicketPage) => (p.totalExact ? String(p.total) : `${p.total}+`);
/** Action queues hold only tickets still being worked on: a closed or merged ticket has nothing left to do. */
const open = { open: true } as const;

/** The queues each role works from; filters go to the list API and into the URL. */
function queuesFor(roles: string[], t: (k: string) => string): Queue[] {
  const admin = roles.includes('admin');
  const q: Queue[] = [];
  const intake = { id: 'intake', label: t('q_intake'), filter: { status: ['received'], ...open } } satisfies Queue;
  if (admin || roles.includes('agent')) {
    q.push(
      intake,
      { id: 'returned', label: t('q_returned'), filter: { status: ['returned'], ...open } },
      { id: 'to_visit', label: t('q_to_visit'), filter: { status: ['answered'], ...open } },
    );
  }
  if (admin || roles.includes('handler')) {
    // the server lists a handler only their own unit's tickets, whatever the filter asks
    q.push(
      { id: 'to_sign', label: t('q_to_sign'), filter: { status: ['dispatched'], ...open } },
      { id: 'handling', label: t('q_handling'), filter: { status: ['accepted', 'in_progress'], ...open } },
    );
  }
  if (admin || roles.includes('supervisor')) {
    q.push(
      { id: 'supervised', label: t('q_supervised'), filter: { supervised: true, ...open } },
      // re-opening (重办) applies to visited and closed tickets: this queue keeps them
      { id: 'unsatisfied', label: t('q_unsatisfied'), filter: { satisfaction: ['unsatisfied'], status: ['visited', 'closed'] } },
    );
    if (!q.some((x) => x.id === 'intake')) q.push(intake);
  }
  q.push({ id: 'overdue', label: t('q_overdue'), filter: { overdue: true, ...open } });
  q.push({ id: 'all', label: t('q_all'), filter: {} });
  return q;
}

/** Optional columns, chosen per browser (number, title, status and deadline always show). */
const optionalColumns = ['category', 'unit', 'district', 'created'] as const;
type Column = (typeof optionalColumns)[number];
const columnLabel: Record<Column, string> = { category: 't_category', unit: 't_unit', district: 't_district', created: 't_created' };
const COLUMNS_KEY = 'cityhub.work.columns';

function useColumns(): [Set<Column>, (c: Column, on: boolean) => void] {
  const [cols, setCols] = useState<Set<Column>>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') as Column[] | null;
      if (Array.isArray(saved)) return new Set(saved.filter((c) => (optionalColumns as readonly string[]).includes(c)));
    } catch {
      // unreadable: the defaults
    }
    return new Set<Column>(['unit', 'district', 'created']);
  });
  const set = (c: Column, on: boolean) => setCols((s) => {
    const n = new Set(s);
    if (on) n.add(c);
    else n.delete(c);
    try { localStorage.setItem(COLUMNS_KEY, JSON.stringify([...n])); } catch { /* this page only */ }
    return n;
  });
  return [cols, set];
}

const sorts = ['newest', 'oldest', 'due'] as const;
type Sort = (typeof sorts)[number];
const DAY = 86_400_000;

/** The URL's filters (category, district, dates, deadline, order) as the list API's query. */
function filtersOf(query: URLSearchParams): TicketQuery {
  const day = (v: string | null, plusDays = 0) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(new Date(`${v}T00:00:00`).getTime() + plusDays * DAY).toISOString() : undefined);
  const due = query.get('due');
  const sort = query.get('sort');
  return {
    categoryId: query.get('cat') ?? undefined,
    areaId: query.get('areaId') ?? undefined,
    createdFrom: day(query.get('from')),
    createdTo: day(query.get('to'), 1),
    dueBefore: due === '24h' ? new Date(Date.now() + DAY).toISOString() : due === '3d' ? new Date(Date.now() + 3 * DAY).toISOString() : undefined,
    sort: sorts.includes(sort as Sort) ? (sort as Sort) : undefined,
  };
}

/** A queue of tickets: the role's queues with counts, filters, sorting, columns, bulk actions, keyboard moves. */
export function QueueView() {
  const { t, lang } = useI18n();
  const { me } = useAuth();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const queues = useMemo(() => queuesFor(me?.roles ?? [], t), [me, t]);
  const queue = queues.find((q) => q.id === query.get('queue')) ?? queues[0];
  const text = query.get('q') ?? '';
  const page = Number(query.get('page') ?? '1') || 1;
  const dir = useDirectory();
  const [columns, setColumn] = useColumns();
  const filters = filtersOf(query);
  const filterKey = JSON.stringify({ ...filters, dueBefore: query.get('due') });
  const filter: TicketQuery = { ...queue.filter, ...filters, text: text || undefined, page, pageSize: PAGE_SIZE };
  const list = useLoad(() => hotline.listTickets(filter), [queue.id, filterKey, text, page]);
  // One small call per queue (a page of one): the count beside each queue's name.
  const counts = useLoad(
    () => Promise.all(queues.map((q) => hotline.listTickets({ ...q.filter, pageSize: 1 }).then(countText, () => null))),
    [queues],
  );
  const items = list.data?.items ?? [];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState(0);
  const [bulkResult, setBulkResult] = useState<{ ok: number; failed: { number: string; error: ApiError }[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const [searchText, setSearchText] = useState(text);

  useEffect(() => { setSelected(new Set()); setCursor(0); }, [queue.id, text, page, filterKey]);
  useEffect(() => setSearchText(text), [text]);
  useEffect(() => {
    if (list.data) rememberQueue({ ids: list.data.items.map((x) => x.id), back: location.hash });
  }, [list.data]);

  // j/k move, Enter opens, x selects, / searches: a queue can be worked without the mouse.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'j') setCursor((c) => Math.min(items.length - 1, c + 1));
      else if (e.key === 'k') setCursor((c) => Math.max(0, c - 1));
      else if (e.key === 'Enter' && items[cursor] && target.tagName !== 'A' && target.tagName !== 'BUTTON') navigate(`/work/t/${items[cursor].id}`);
      else if (e.key === 'x' && items[cursor] && selectable(items[cursor])) toggle(items[cursor].id);
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
  // A ticket under supervision already cannot be supervised again: not offered for the bulk 督办.
  const selectable = (x: TicketView) => !(bulkActions.length === 1 && bulkActions[0] === 'supervise' && x.supervised);
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
    counts.reload();
  };

  const total = list.data?.total ?? 0;
  // Past the server's count limit the total is "at least": the pages go on beyond the last one counted.
  const more = list.data?.totalExact === false;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtered = ['cat', 'areaId', 'from', 'to', 'due'].some((k) => query.get(k));
  const show = (c: Column) => columns.has(c);
  return (
    <section className="work" aria-labelledby="work-title">
      <nav aria-label={t('work_title')} className="work-nav">
        <h1 id="work-title">{t('work_title')}</h1>
        <ul className="queues">
          {queues.map((q, i) => (
            <li key={q.id}>
              <a href={href('/work', { queue: q.id })} aria-current={q.id === queue.id ? 'page' : undefined} data-queue={q.id}>
                <span>{q.label}</span>
                {counts.data && counts.data[i] !== null && <span className="count" data-testid={`count-${q.id}`}>{counts.data[i]}</span>}
              </a>
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
      <div className="work-main">
        <form className="toolbar" role="search" onSubmit={(e) => { e.preventDefault(); setQuery({ q: searchText || null, page: null }); }}>
          <label htmlFor="work-search" className="sr-only">{t('filter_search')}</label>
          <input id="work-search" ref={searchRef} type="search" value={searchText} onChange={(e) => setSearchText(e.target.value)} placeholder={t('filter_search')} />
          <button type="submit">{t('track_go')}</button>
        </form>
        <div className="filters" role="group" aria-label={t('wb_filters')}>
          <label>
            <span>{t('wb_category')}</span>
            <select value={query.get('cat') ?? ''} onChange={(e) => setQuery({ cat: e.target.value || null, page: null })} data-testid="filter-category">
              <option value="">{t('wb_any')}</option>
              {dir.categories.map((c) => <option key={c.id} value={c.id}>{categoryLabel(c)}</option>)}
            </select>
          </label>
          <label>
            <span>{t('wb_district')}</span>
            <select value={query.get('areaId') ?? ''} onChange={(e) => setQuery({ areaId: e.target.value || null, page: null })} data-testid="filter-district">
              <option value="">{t('wb_any')}</option>
              {dir.districts.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
              {query.get('areaId') && !dir.districts.some((d) => d.id === query.get('areaId')) && (
                <option value={query.get('areaId')!}>{dir.areaName(query.get('areaId'))}</option>
              )}
            </select>
          </label>
          <label><span>{t('wb_from')}</span><input type="date" value={query.get('from') ?? ''} onChange={(e) => setQuery({ from: e.target.value || null, page: null })} /></label>
          <label><span>{t('wb_to')}</span><input type="date" value={query.get('to') ?? ''} onChange={(e) => setQuery({ to: e.target.value || null, page: null })} /></label>
          <label>
            <span>{t('wb_deadline')}</span>
            <select value={query.get('due') ?? ''} onChange={(e) => setQuery({ due: e.target.value || null, page: null })} data-testid="filter-due">
              <option value="">{t('wb_any')}</option>
              <option value="24h">{t('wb_due_24h')}</option>
              <option value="3d">{t('wb_due_3d')}</option>
            </select>
          </label>
          <label>
            <span>{t('wb_sort')}</span>
            <select value={filters.sort ?? 'newest'} onChange={(e) => setQuery({ sort: e.target.value === 'newest' ? null : e.target.value, page: null })} data-testid="sort">
              {sorts.map((s) => <option key={s} value={s}>{t(`wb_sort_${s}`)}</option>)}
            </select>
          </label>
          {filtered && <button type="button" onClick={() => setQuery({ cat: null, areaId: null, from: null, to: null, due: null, page: null })}>{t('wb_clear')}</button>}
          <details className="columns">
            <summary>{t('wb_columns')}</summary>
            {optionalColumns.map((c) => (
              <label key={c}><input type="checkbox" checked={show(c)} onChange={(e) => setColumn(c, e.target.checked)} /> {t(columnLabel[c])}</label>
            ))}
          </details>
        </div>
        {bulkActions.length > 0 && (
          <div className="toolbar" role="group" aria-label={t('bulk_apply')}>
            <span className="muted">{t('bulk_selected')} {selected.size} </span>
            {bulkActions.map((a) => (
              <button key={a} type="button" disabled={busy || selected.size === 0} onClick={() => runBulk(a)} data-bulk={a}>
                {t('bulk_apply')}{t(`action_${a}`)}
              </button>
            ))}
          </div>
        )}
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
          <div className="table-wrap">
            <table className="tickets" aria-label={queue.label} aria-busy={list.loading}>
              <thead>
                <tr>
                  <th scope="col">
                    <input type="checkbox" aria-label={t('select_all')} checked={items.length > 0 && items.filter(selectable).every((x) => selected.has(x.id))}
                      onChange={(e) => setSelected(e.target.checked ? new Set(items.filter(selectable).map((x) => x.id)) : new Set())} />
                  </th>
                  <th scope="col">{t('t_number')}</th>
                  <th scope="col" className="title-col">{t('t_title')}</th>
                  <th scope="col">{t('t_status')}</th>
                  {show('category') && <th scope="col" className="hide-sm">{t('t_category')}</th>}
                  {show('unit') && <th scope="col" className="hide-sm">{t('t_unit')}</th>}
                  {show('district') && <th scope="col" className="hide-sm">{t('t_district')}</th>}
                  <th scope="col">{t('t_due')}</th>
                  {show('created') && <th scope="col" className="hide-sm">{t('t_created')}</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((x, i) => (
                  <tr key={x.id} aria-selected={selected.has(x.id)} className={i === cursor ? 'cursor' : undefined} data-number={x.number}>
                    <td><input type="checkbox" aria-label={`${t('select_row')} ${x.number}`} checked={selected.has(x.id)} disabled={!selectable(x)} onChange={() => toggle(x.id)} /></td>
                    <td className="num"><a href={`#/work/t/${x.id}`}>{x.number}</a></td>
                    <th scope="row" className="title-col">{x.title}</th>
                    <td><StatusBadge ticket={x} /></td>
                    {show('category') && <td className="hide-sm">{dir.categoryName(x.categoryId)}</td>}
                    {show('unit') && <td className="hide-sm">{dir.orgName(x.unitId)}</td>}
                    {show('district') && <td className="hide-sm">{dir.areaName(x.districtId ?? x.areaId)}</td>}
                    <td><Countdown ticket={x} /></td>
                    {show('created') && <td className="hide-sm">{fmtTime(x.createdAt, lang)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {(pages > 1 || more) && (
          <nav className="toolbar" aria-label="pages">
            <button type="button" disabled={page <= 1} onClick={() => setQuery({ page: String(page - 1) })}>{t('prev_page')}</button>
            <span>{page} / {pages}{more ? '+' : ''} · {list.data ? countText(list.data) : 0}</span>
            <button type="button" disabled={page >= pages && !more} onClick={() => setQuery({ page: String(page + 1) })}>{t('next_page')}</button>
          </nav>
        )}
      </div>
    </section>
  );
}

/** Actions that need no input, so they can be applied to many tickets at once (never on a closed ticket's queue). */
function bulkActionsFor(roles: string[], queue: string): TicketAction[] {
  const out: TicketAction[] = [];
  const has = (r: string) => roles.includes(r) || roles.includes('admin');
  if (has('agent') && (queue === 'intake' || queue === 'returned')) out.push('dispatch');
  if (has('handler') && queue === 'to_sign') out.push('accept');
  if (has('handler') && queue === 'handling') out.push('start');
  if (has('supervisor') && (queue === 'overdue' || queue === 'intake') && !out.length) out.push('supervise');
  return out;
}
