import { useAuth } from '../../auth.js';
import { useLoad, useActionError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { href } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { Login } from '../../ui/login.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { citizenApi } from './citizen-api.js';
import { usePortalText, type PortalTextKey } from './portal-text.js';

/** 消息: what happened to my appeals and those I follow (+1), newest first; SMS / WeChat come from the city's adapter. */
export function Notices() {
  const { t, lang } = useI18n();
  const p = usePortalText();
  const { me, checking } = useAuth();
  const list = useLoad(me ? () => citizenApi.notices() : null, [me?.id]);
  const [error, run] = useActionError();
  if (checking) return <Loading />;
  if (!me) return <Login message={t('need_login')} />;
  if (list.loading && !list.data) return <Loading />;
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby="notices-title" data-testid="notices">
      <h2 id="notices-title">{p('notices')}</h2>
      {items.length === 0 ? <p className="muted">{p('notices_none')}</p> : (
        <>
          {(list.data?.unread ?? 0) > 0 && (
            <p><button type="button" onClick={() => void run(() => citizenApi.markNoticesRead()).then((ok) => ok && list.reload())}>{p('notices_read_all')}</button></p>
          )}
          <ul className="notices">
            {items.map((n) => (
              <li key={n.id} className={n.read ? '' : 'unread'}>
                {!n.read && <span className="badge blue">{p('notice_unread')}</span>}{' '}
                <a href={href('/portal/track', { number: n.number })}>{n.number}</a>{' '}
                {p(`notice_${n.kind}` as PortalTextKey)}{' '}
                <time className="muted" dateTime={n.createdAt}>{fmtTime(n.createdAt, lang)}</time>
              </li>
            ))}
          </ul>
        </>
      )}
      {error && <ErrorBox error={error} compact />}
      <p className="hint">{p('adapter_note')}</p>
    </section>
  );
}
