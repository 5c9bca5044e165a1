import type { ReactNode } from 'react';
import { useAuth } from '../../auth.js';
import { useI18n } from '../../i18n.js';
import { href, useRoute } from '../../router.js';
import { Forbidden } from '../../ui/status.js';
import { AlertsScreen } from './alerts-screen.js';
import { PolicyScreen } from './policy-screen.js';
import { TrailScreen } from './trail-screen.js';
import './messages.js';
import './security.css';

interface Screen { id: string; label: string; roles: string[]; page: () => ReactNode }

/** Which administrator sees which screen (三员分立; the API checks the same permissions on every call). */
const screens: Screen[] = [
  { id: 'alerts', label: 'sec_tab_alerts', roles: ['security_admin'], page: () => <AlertsScreen /> },
  { id: 'policy', label: 'sec_tab_policy', roles: ['security_admin'], page: () => <PolicyScreen /> },
  { id: 'trail', label: 'sec_tab_trail', roles: ['audit_admin'], page: () => <TrailScreen /> },
];

/**
 * `#/security/<screen>`: the security administrator's alerts and policy, the audit administrator's trail. A screen
 * of the other administrator is a plain refusal naming the role it needs, not an empty page.
 */
export function SecurityDesk() {
  const { t } = useI18n();
  const { hasRole } = useAuth();
  const route = useRoute();
  const asked = route.path.split('/').filter(Boolean)[1];
  const mine = screens.filter((s) => hasRole(...s.roles));
  const wanted = screens.find((s) => s.id === asked);
  const current = wanted ?? mine[0];
  return (
    <section className="security-desk" aria-labelledby="security-face">
      <h1 id="security-face">{t('sec_title')}</h1>
      <nav className="tabs" aria-label={t('sec_title')}>
        {mine.map((s) => <a key={s.id} href={href(`/security/${s.id}`)} aria-current={s.id === current?.id ? 'page' : undefined}>{t(s.label)}</a>)}
      </nav>
      {current && (hasRole(...current.roles) ? current.page() : <Forbidden roles={current.roles} />)}
    </section>
  );
}
