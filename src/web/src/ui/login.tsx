import { useState, type FormEvent } from 'react';
import { ApiError } from '../api.js';
import { useAuth } from '../auth.js';
import { useI18n } from '../i18n.js';
import { useRoute } from '../router.js';
import { ErrorBox } from './status.js';
import { SignInSteps } from './sign-in-steps.js';

const demoRoles = ['citizen', 'agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin'];

/** After login, each role lands on its face unless the link asked for a page. */
const landing = (roles: string[]): string => {
  if (roles.some((r) => ['security_admin', 'audit_admin'].includes(r))) return '/security';
  if (roles.some((r) => ['agent', 'handler', 'supervisor', 'admin', 'dept_data_owner', 'data_admin'].includes(r))) return '/work';
  if (roles.includes('leader')) return '/cockpit';
  return '/portal';
};

/**
 * The login form, with one-click demo usernames (the page holds no password: the demo's is in docs/demo.md); on
 * `#/login` it then goes to the page the link asked for, else to the user's face. Elsewhere (a face that needs a
 * login) it stays in place and the face re-renders with the session.
 */
export function Login({ message }: { message?: string }) {
  const { t } = useI18n();
  const { login, me } = useAuth();
  const route = useRoute();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  // Asked for after the password, once the server says the account has a second factor.
  const [totp, setTotp] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const signedIn = await login(username, password, totp ?? undefined);
      if (!signedIn.pending) goOn(signedIn.roles);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'AUTH_TOTP_REQUIRED' && totp === null) {
        setTotp('');
        return;
      }
      setError(err instanceof ApiError ? err : new ApiError(0, 'Error', null, String(err), null));
    } finally {
      setBusy(false);
    }
  };
  function goOn(roles: string[]) {
    const next = route.path === '/login' ? route.query.get('next') : null;
    if (route.path === '/login') location.hash = next && next !== '/' && !next.startsWith('/login') ? next : landing(roles);
  }
  // A first login, an expired password or an administrator without a second factor: finish signing in first.
  if (me?.pending) return <SignInSteps me={me} onDone={(done) => goOn(done.roles)} />;
  return (
    <section className="login">
      <h1>{t('login_title')}</h1>
      {message && <p role="status">{message}</p>}
      <form onSubmit={submit} aria-label={t('login')}>
        <label htmlFor="login-username">{t('username')}</label>
        <input id="login-username" name="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        <label htmlFor="login-password">{t('password')}</label>
        <input id="login-password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
        {totp !== null && (
          <>
            <label htmlFor="login-totp">{t('login_totp')}</label>
            <input id="login-totp" name="totp" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} value={totp} onChange={(e) => setTotp(e.target.value)} autoComplete="one-time-code" required autoFocus />
          </>
        )}
        <button type="submit" className="primary" disabled={busy}>{busy ? t('loading') : t('login')}</button>
        {error && <ErrorBox error={error} compact />}
      </form>
      <p className="muted">{t('login_demo_hint')}</p>
      <div className="chips" role="group" aria-label={t('login_as')}>
        {demoRoles.map((r) => (
          <button key={r} type="button" className="chip" onClick={() => { setUsername(r); document.getElementById('login-password')?.focus(); }}>
            {t(`role_${r}`)}
          </button>
        ))}
      </div>
    </section>
  );
}
