import { useAuth } from '../../auth.js';
import { useLoad } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { hotline } from '../../hotline-api.js';
import { href, useRoute } from '../../router.js';
import { fmtTime } from '../../ui/format.js';
import { Login } from '../../ui/login.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { StatusBadge } from '../../ui/ticket-status.js';
import { DataCatalog } from './data-catalog.js';
import { MyDataUsage } from './data-usage.js';
import { FileAppeal } from './file-appeal.js';
import { Notices } from './notices.js';
import { usePortalText } from './portal-text.js';
import { handPhone, Track } from './track.js';
import { citizenApi } from './citizen-api.js';
import './portal.css';

/**
 * 市民 portal: file an appeal map first (with photos and nearby appeals), track it by number and phone, read the
 * reply, rate it (a bad rating sends it back), see notices; browse the open data catalog and see who used my data.
 * Works on a phone.
 */
export function Portal() {
  const { t } = useI18n();
  const p = usePortalText();
  const { me } = useAuth();
  const route = useRoute();
  const sub = route.path.split('/')[2] ?? 'new';
  const unread = useLoad(me?.roles.includes('citizen') ? () => citizenApi.notices() : null, [me?.id, sub]);
  const tabs = [
    { id: 'new', label: t('portal_new') },
    { id: 'track', label: t('portal_track') },
    { id: 'mine', label: t('portal_mine') },
    { id: 'notices', label: p('notices'), count: unread.data?.unread ?? 0 },
    { id: 'data', label: t('portal_data') },
    { id: 'usage', label: t('portal_usage') },
  ];
  return (
    <section className="portal" aria-labelledby="portal-title">
      <h1 id="portal-title">{t('portal_title')}</h1>
      <p className="muted">{t('portal_intro')}</p>
      <nav className="tabs" aria-label={t('portal_title')}>
        {tabs.map((tab) => (
          <a key={tab.id} href={`#/portal/${tab.id}`} aria-current={sub === tab.id ? 'page' : undefined}>
            {tab.label}{tab.count ? <span className="count" data-testid="unread-count"> {tab.count}</span> : null}
          </a>
        ))}
      </nav>
      {sub === 'track' ? <Track /> : sub === 'mine' ? <Mine /> : sub === 'notices' ? <Notices /> : sub === 'data' ? <DataCatalog /> : sub === 'usage' ? <MyDataUsage /> : <FileAppeal />}
    </section>
  );
}

/** 我的诉求: each opens the tracking page; the phone goes along in memory, never in the link. */
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
