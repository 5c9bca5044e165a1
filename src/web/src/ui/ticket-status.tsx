import { useEffect, useState } from 'react';
import { useI18n } from '../i18n.js';
import type { PublicTicketEventView, TicketView } from '../hotline-api.js';
import { fmtTime } from './format.js';

/** The ticket's status, and red/amber badges when it is overdue or supervised. */
export function StatusBadge({ ticket }: { ticket: Pick<TicketView, 'status' | 'overdue' | 'signOverdue'> & Partial<Pick<TicketView, 'supervised'>> }) {
  const { t } = useI18n();
  return (
    <span className="badges">
      <span className="badge blue" data-status={ticket.status}>{t(`status_${ticket.status}`)}</span>
      {(ticket.overdue || ticket.signOverdue) && <> <span className="badge red">{t('t_overdue')}</span></>}
      {ticket.supervised && <> <span className="badge amber">{t('t_supervised')}</span></>}
    </span>
  );
}

/** Time left to the deadline that matters now (sign-for while dispatched, answer while handled); red once past. */
export function Countdown({ ticket }: { ticket: TicketView }) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const due = ticket.status === 'dispatched' ? ticket.signDueAt : ['accepted', 'in_progress'].includes(ticket.status) ? ticket.dueAt : null;
  if (!due) return <span className="muted">—</span>;
  const ms = new Date(due).getTime() - now;
  const over = ms < 0 || (ticket.status === 'dispatched' ? ticket.signOverdue : ticket.overdue);
  const span = Math.abs(ms);
  const days = Math.floor(span / 86_400_000);
  const hours = Math.floor((span % 86_400_000) / 3_600_000);
  const minutes = Math.floor((span % 3_600_000) / 60_000);
  const text = days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m`;
  return (
    <span className={`countdown${over ? ' overdue' : ticket.deadlineWarning ? ' warn' : ''}`} title={new Date(due).toLocaleString()}>
      {over ? `${t('t_over_by')} ${text}` : `${t('t_left')} ${text}`}
    </span>
  );
}

/** The ticket's timeline: who did what and when; the citizen sees the actions, staff also the notes. */
export function Timeline({ events }: { events: (PublicTicketEventView & { details?: Record<string, unknown> })[] }) {
  const { t, lang } = useI18n();
  return (
    <ol className="timeline" data-testid="timeline">
      {events.map((e) => (
        <li key={e.id}>
          <time dateTime={e.at}>{fmtTime(e.at, lang)}</time>
          <strong>{eventLabel(e, t)}</strong>
          {/* no "已受理 → 已受理": the arrow only when it says more than the step's own name */}
          {e.toStatus && e.toStatus !== e.fromStatus && eventLabel(e, t) !== t(`status_${e.toStatus}`) && <span className="muted"> → {t(`status_${e.toStatus}`)}</span>}
          {typeof e.details?.reason === 'string' && <div>{t('reason')}: {e.details.reason}</div>}
          {typeof e.details?.note === 'string' && <div>{t('note')}: {e.details.note}</div>}
        </li>
      ))}
    </ol>
  );
}

const eventLabel = (e: Pick<PublicTicketEventView, 'action'>, t: (k: string) => string): string => {
  const key = `action_${e.action}`;
  const label = t(key);
  if (label !== key) return label;
  if (e.action === 'create' || e.action === 'created') return t('status_received');
  return e.action;
};
