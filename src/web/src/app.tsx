import { lazy, Suspense, useState, type FormEvent, type ReactNode } from 'react';
import { I18nProvider, useI18n } from './i18n.js';
import { AuthProvider, useAuth } from './auth.js';
import { href, navigate, useRoute } from './router.js';
import { ApiError } from './api.js';
import { ErrorBoundary, ErrorBox, Loading } from './ui/status.js';

// Each face is its own chunk: a citizen on a phone never downloads the cockpit's charts.
const Portal = lazy(() => import('./faces/portal.js').then((m) => ({ default: m.Portal })));
const Workbench = lazy(() => import('./faces/workbench.js').then((m) => ({ default: m.Workbench })));
const Cockpit = lazy(() => import('./faces/cockpit.js').then((m) => ({ default: m.Cockpit })));

/** Who may open which face (the API checks again on every call). */
export const faceRoles = {
  work: ['agent', 'handler', 'supervisor', 'dept_data_owner', 'data_admin'],
  cockpit: ['leader', 'supervisor'],
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
              {me.displayName ?? me.username} · {me.roles.map((r) => t(`role_${r}`)).join('、')}
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
      return <Guard roles={faceRoles.cockpit}><Cockpit /></Guard>;
    default:
      return <NotFound />;
  }
}

/** A face that needs a role: the login form when nobody is logged in, a plain refusal for the wrong role. */
function Guard({ roles, children }: { roles: readonly string[]; children: ReactNode }) {
  const { me, checking, hasRole } = useAuth();
  const { t } = useI18n();
  if (checking) return <Loading />;
  if (!me) return <Login message={t('need_login')} />;
  if (!hasRole(...roles)) {
    return (
      <div className="error" role="alert">
        <strong>{t('need_role')}</strong>
        <p>{t('need_role_detail')}{roles.map((r) => t(`role_${r}`)).join('、')}</p>
      </div>
    );
  }
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

const demoRoles = ['citizen', 'agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin'];

/** After login, each role lands on its face unless the link asked for a page. */
const landing = (roles: string[]): string => {
  if (roles.some((r) => ['agent', 'handler', 'supervisor', 'admin', 'dept_data_owner', 'data_admin'].includes(r))) return '/work';
  if (roles.includes('leader')) return '/cockpit';
  return '/portal';
};

export function Login({ message }: { message?: string }) {
  const { t } = useI18n();
  const { login } = useAuth();
  const route = useRoute();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await login(username, password);
      const next = route.path === '/login' ? route.query.get('next') : null;
      if (route.path === '/login') location.hash = next && next !== '/' && !next.startsWith('/login') ? next : landing(me.roles);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Error', null, String(err), null));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="login">
      <h1>{t('login_title')}</h1>
      {message && <p role="status">{message}</p>}
      <form onSubmit={submit} aria-label={t('login')}>
        <label htmlFor="login-username">{t('username')}</label>
        <input id="login-username" name="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        <label htmlFor="login-password">{t('password')}</label>
        <input id="login-password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
        <button type="submit" className="primary" disabled={busy}>{busy ? t('loading') : t('login')}</button>
        {error && <ErrorBox error={error} compact />}
      </form>
      <p className="muted">{t('login_demo_hint')}</p>
      <div className="chips" role="group" aria-label={t('login_as')}>
        {demoRoles.map((r) => (
          <button key={r} type="button" className="chip" onClick={() => { setUsername(r); setPassword('CityHub@2026'); }}>
            {t(`role_${r}`)}
          </button>
        ))}
      </div>
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
