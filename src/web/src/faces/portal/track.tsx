import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { hotline, satisfactions, type PublicTicketEventView, type PublicTicketView, type Satisfaction } from '../../hotline-api.js';
import { href, navigate, useRoute } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { StatusBadge, Timeline } from '../../ui/ticket-status.js';
import { usePortalText, type PortalTextKey } from './portal-text.js';

/**
 * The phone a lookup needs, handed from "filed" or "my appeals" to the lookup screen in memory only. Never in the
 * URL: a URL ends up in the browser's history, in server and proxy logs and in links people share (issue 15,
 * finding 9). Gone on reload; the citizen then types it again. The lookup itself is a POST (hotline.track).
 */
let handedPhone: { number: string; phone: string } | null = null;
export const handPhone = (number: string, phone: string | null | undefined) => {
  handedPhone = phone ? { number, phone } : null;
};
const handedFor = (number: string): string | null => (handedPhone && handedPhone.number === number ? handedPhone.phone : null);

/** 查询进度: number + phone in a POST body; the number alone may stay in the URL as a link to come back to. */
export function Track() {
  const { t } = useI18n();
  const p = usePortalText();
  const route = useRoute();
  const routeNumber = route.query.get('number') ?? '';
  const [number, setNumber] = useState(routeNumber);
  const [phone, setPhone] = useState('');
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
            <input id="tr-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} required aria-describedby="tr-phone-hint" />
            <span id="tr-phone-hint" className="hint">{p('track_phone_hint')}</span>
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

const steps = ['received', 'dispatched', 'accepted', 'in_progress', 'answered', 'visited', 'closed'] as const;
/** Where each status sits on the stepper (a returned ticket waits at 受理 for a new dispatch). */
const stepOf: Record<string, number> = { received: 0, returned: 0, dispatched: 1, accepted: 2, in_progress: 3, answered: 4, visited: 5, closed: 6, merged: 1 };

/** The progress stepper of 12345 apps: each stage, when it happened, the unit and the deadline of the current one. */
function Stepper({ ticket }: { ticket: PublicTicketView }) {
  const { lang } = useI18n();
  const p = usePortalText();
  const current = stepOf[ticket.status] ?? 0;
  const when: Record<string, string | null | undefined> = {
    received: ticket.createdAt, dispatched: ticket.dispatchedAt, accepted: ticket.acceptedAt, answered: ticket.answeredAt, visited: ticket.visitedAt, closed: ticket.closedAt,
  };
  return (
    <ol className="stepper" aria-label={p('progress')} data-testid="stepper">
      {steps.map((s, i) => {
        const state = i < current ? 'done' : i === current ? 'current' : 'todo';
        // the deadline that matters now: to sign for while dispatched, to answer while being handled
        const due = s === 'accepted' && ticket.status === 'dispatched' ? ticket.signDueAt
          : s === 'answered' && (ticket.status === 'accepted' || ticket.status === 'in_progress') ? ticket.dueAt : null;
        return (
          <li key={s} className={`step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
            <span className="dot" aria-hidden="true">{state === 'done' ? '✓' : i + 1}</span>
            <span className="step-name">{p(`step_${s}` as PortalTextKey)}</span>
            {state !== 'todo' && when[s] && <time dateTime={when[s]!}>{fmtTime(when[s]!, lang)}</time>}
            {state === 'todo' && due && <span className="due">{s === 'accepted' ? p('sign_due') : p('answer_due')} {fmtTime(due, lang)}</span>}
          </li>
        );
      })}
    </ol>
  );
}

function TicketCard({ ticket, timeline, onChanged }: { ticket: PublicTicketView; timeline: PublicTicketEventView[]; onChanged(): void }) {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const { me } = useAuth();
  const finished = ['answered', 'visited', 'closed'].includes(ticket.status);
  return (
    <article className="form" aria-labelledby={`tk-${ticket.id}`} data-testid="tracked">
      <h2 id={`tk-${ticket.id}`}>
        <span className="ticket-number">{ticket.number}</span> {ticket.title}
      </h2>
      <p>
        <StatusBadge ticket={ticket} /> {(ticket.reopenCount ?? 0) > 0 && <span className="badge amber">{p('redo_badge')}</span>}{' '}
        <span className="muted">{t('t_created')} {fmtTime(ticket.createdAt, lang)}</span>
      </p>
      <Stepper ticket={ticket} />
      {ticket.unitName && <p data-testid="unit-name"><span className="muted">{p('unit')}:</span> {ticket.unitName}</p>}
      {!finished && (ticket.reopenCount ?? 0) > 0 && ticket.satisfaction === 'unsatisfied' && <p className="notice" data-testid="redo-note">{p('redo_note')}</p>}
      <h3>{finished || !ticket.replyText ? t('reply') : p('previous_reply')}</h3>
      {ticket.replyText ? (
        <div className={finished ? 'reply' : 'reply previous'} data-testid="reply">
          {/* the result ("已解决") only on the current answer, never on one sent back for redo */}
          {finished && ticket.result && <strong>{t(`result_${ticket.result}`)}：</strong>}
          {ticket.replyText}
        </div>
      ) : <p className="muted">{t('no_reply_yet')}</p>}
      {ticket.satisfaction && finished && <p data-testid="rated">{t('t_satisfaction')}: {t(`sat_${ticket.satisfaction}`)}</p>}
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

/** The citizen's rating: reached? solved? how satisfied, and a comment; 否/不满意 sends it back for redo. */
function Rate({ ticket, onDone }: { ticket: Pick<PublicTicketView, 'id'>; onDone(): void }) {
  const { t } = useI18n();
  const p = usePortalText();
  const [contacted, setContacted] = useState<boolean | null>(null);
  const [solved, setSolved] = useState<boolean | null>(null);
  const [satisfaction, setSatisfaction] = useState<Satisfaction | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await hotline.act(ticket.id, 'visit', {
        contacted: contacted ?? false, solved: solved ?? false, satisfaction: satisfaction ?? undefined, note: comment.trim() || undefined,
      });
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
      <p className="hint">{p('rate_redo_hint')}</p>
      {yesNo('contacted', contacted, setContacted, t('rate_contacted'))}
      {yesNo('solved', solved, setSolved, t('rate_solved'))}
      <fieldset>
        <legend>{t('rate_satisfaction')}</legend>
        {satisfactions.map((s) => (
          <label key={s}><input type="radio" name="satisfaction" value={s} checked={satisfaction === s} onChange={() => setSatisfaction(s)} required /> {t(`sat_${s}`)}</label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="rate-comment">{p('rate_comment')}</label>
        <textarea id="rate-comment" value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} rows={3} />
      </div>
      {error && <ErrorBox error={error} compact />}
      <p><button type="submit" className="primary" disabled={busy || !satisfaction || contacted === null || solved === null}>{t('rate_send')}</button></p>
    </form>
  );
}
