import { lazy, Suspense, type ReactNode } from 'react';
import { I18nProvider, useI18n } from './i18n.js';
import { AuthProvider, useAuth } from './auth.js';
import { href, navigate, useRoute } from './router.js';
import { ErrorBoundary, Forbidden, Loading } from './ui/status.js';
import { Login } from './ui/login.js';
import { term } from './ui/terms.js';

// Each face is its own chunk: a citizen on a phone never downloads the cockpit's charts.
const Portal = lazy(() => import('./faces/portal/portal.js').then((m) => ({ default: m.Portal })));
const Workbench = lazy(() => import('./faces/workbench/workbench.js').then((m) => ({ default: m.Workbench })));
const Cockpit = lazy(() => import('./faces/cockpit/cockpit.js').then((m) => ({ default: m.Cockpit })));
const Governance = lazy(() => import('./faces/cockpit/governance.js').then((m) => ({ default: m.Governance })));
const MonthlyReportPage = lazy(() => import('./faces/cockpit/monthly-report.js').then((m) => ({ default: m.MonthlyReportPage })));
const OperationDesk = lazy(() => import('./faces/operation/operation-desk.js').then((m) => ({ default: m.OperationDesk })));
const SecurityDesk = lazy(() => import('./faces/security/security-desk.js').then((m) => ({ default: m.SecurityDesk })));

/** Who may open which face (the API checks again on every call). */
export const faceRoles = {
  work: ['agent', 'handler', 'supervisor', 'dept_data_owner', 'data_admin'],
  cockpit: ['leader', 'supervisor'],
  security: ['security_admin', 'audit_admin'],
  operation: ['operation_admin', 'operation_supervisor', 'market_operator', 'market_user'],
} as const;

/** The unified entry (统一入口): one app, three faces (市民服务 · 工作台 · 驾驶舱). */
export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <Shell />
      </AuthProvider>
    </I18nProvider>
  );
}

function Shell() {
  const { t, lang } = useI18n();
  const route = useRoute();
  const face = route.path.split('/')[1] || '';
  const fullscreen = route.query.get('wall') === '1';
  return (
    <div className={`shell face-${face || 'home'}${fullscreen ? ' wall' : ''}`}>
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        {t('skip_to_main')}
      </a>
      {!fullscreen && <Header face={face} />}
      <main id="main" tabIndex={-1}>
        <ErrorBoundary lang={lang} key={route.path}>
          <Suspense fallback={<Loading />}>
            <Page path={route.path} />
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}

function Header({ face }: { face: string }) {
  const { t, lang, setLang } = useI18n();
  const { me, logout, hasRole } = useAuth();
  const faces: { id: string; label: string; show: boolean }[] = [
    { id: 'portal', label: t('face_portal'), show: true },
    { id: 'work', label: t('face_work'), show: hasRole(...faceRoles.work) },
    { id: 'cockpit', label: t('face_cockpit'), show: hasRole(...faceRoles.cockpit) },
    { id: 'security', label: lang === 'zh' ? '安全与审计' : 'Security', show: hasRole(...faceRoles.security) },
    { id: 'operation', label: lang === 'zh' ? '授权运营' : 'Data operation', show: hasRole(...faceRoles.operation) },
  ];
  return (
    <header className="topbar">
      <a className="brand" href="#/">
        <span aria-hidden="true" className="logo">枢</span> {t('app_name')}
      </a>
      <nav aria-label={lang === 'zh' ? '功能入口' : 'Faces'}>
        <ul>
          {faces.filter((f) => f.show).map((f) => (
            <li key={f.id}>
              <a href={`#/${f.id}`} aria-current={face === f.id ? 'page' : undefined}>{f.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="tools">
        <button type="button" className="link" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} title={t('lang_switch_label')} lang={lang === 'zh' ? 'en' : 'zh-CN'}>
          {t('lang_switch')}
        </button>
        {me ? (
          <>
            <span className="who" title={me.org?.name ?? ''}>
              <span className="sr-only">{t('logged_in_as')} </span>
              {term(lang, me.displayName ?? me.username)} · {me.roles.map((r) => t(`role_${r}`)).join('、')}
            </span>
            <button type="button" onClick={() => logout().then(() => navigate('/'))}>{t('logout')}</button>
          </>
        ) : (
          <a className="button" href={href('/login', { next: location.hash.slice(1) || '/' })}>{t('login')}</a>
        )}
      </div>
    </header>
  );
}

function Page({ path }: { path: string }) {
  const segments = path.split('/').filter(Boolean);
  switch (segments[0]) {
    case undefined:
      return <Home />;
    case 'login':
      return <Login />;
    case 'portal':
      return <Portal />;
    case 'work':
      return <Guard roles={faceRoles.work}><Workbench /></Guard>;
    case 'cockpit':
      // 每月一题 and the monthly report are the cockpit's pages (separate components: each keeps its own hooks)
      return (
        <Guard roles={faceRoles.cockpit}>
          {segments[1] === 'governance' ? <Governance /> : segments[1] === 'report' ? <MonthlyReportPage /> : <Cockpit />}
        </Guard>
      );
    case 'security':
      return <Guard roles={faceRoles.security}><SecurityDesk /></Guard>;
    case 'operation':
      return <Guard roles={faceRoles.operation}><OperationDesk /></Guard>;
    default:
      return <NotFound />;
  }
}

/** A face that needs a role: the login form when nobody is logged in, a plain refusal for the wrong role. */
function Guard({ roles, children }: { roles: readonly string[]; children: ReactNode }) {
  const { me, checking, hasRole } = useAuth();
  const { t } = useI18n();
  if (checking) return <Loading />;
  // A session still finishing its sign-in (new password, second factor) gets those steps from the login form.
  if (!me || me.pending) return <Login message={me ? undefined : t('need_login')} />;
  if (!hasRole(...roles)) return <Forbidden roles={roles} />;
  return <>{children}</>;
}

function Home() {
  const { t } = useI18n();
  const { hasRole } = useAuth();
  const cards = [
    { id: 'portal', title: t('face_portal'), desc: t('home_portal_desc'), icon: '民' },
    { id: 'work', title: t('face_work'), desc: t('home_work_desc'), icon: '办', hint: !hasRole(...faceRoles.work) },
    { id: 'cockpit', title: t('face_cockpit'), desc: t('home_cockpit_desc'), icon: '智', hint: !hasRole(...faceRoles.cockpit) },
  ];
  return (
    <section className="home">
      <h1>{t('app_name')} · {t('app_tagline')}</h1>
      <ul className="cards">
        {cards.map((c) => (
          <li key={c.id}>
            <a className="card" href={`#/${c.id}`}>
              <span className="icon" aria-hidden="true">{c.icon}</span>
              <strong>{c.title}</strong>
              <span>{c.desc}</span>
            </a>
          </li>
        ))}
      </ul>
      <p className="muted">
        <a href="/docs">API 文档 · API docs</a>
      </p>
    </section>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <div className="error" role="alert">
      <strong>{t('not_found')}</strong>
      <p>{t('not_found_detail')}</p>
      <a href="#/">{t('app_name')}</a>
    </div>
  );
}
