import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError } from './api.js';
// Type only: the session's answer as the server's auth routes whitelist it.
import type { LoginBody, MeView } from '../../platform/auth/schemas.js';

interface Auth {
  me: MeView | null;
  /** true until the first /api/auth/me answered */
  checking: boolean;
  /** `totp`: the one-time code, once the server answered AUTH_TOTP_REQUIRED. */
  login(username: string, password: string, totp?: string): Promise<MeView>;
  logout(): Promise<void>;
  /** The session after a sign-in step (password changed, second factor enrolled). */
  update(me: MeView): void;
  hasRole(...roles: string[]): boolean;
}

const AuthContext = createContext<Auth | null>(null);
const separated = ['security_admin', 'audit_admin'];

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<MeView | null>(null);
  const [checking, setChecking] = useState(true);
  useEffect(() => {
    // The session cookie is httpOnly, so the page cannot see it; a flag remembers that this browser logged in, and
    // a visitor who never did is not sent to /api/auth/me only to be answered 401 (which the console would log).
    if (!hinted()) {
      setChecking(false);
      return;
    }
    api<MeView>('GET', '/api/auth/me')
      .then((m) => setMe(m.kind === 'anonymous' ? null : m))
      .catch((err: unknown) => {
        // 401: the session ended; anything else is shown by the screens that need the API
        if (err instanceof ApiError && err.status === 401) hint(false);
        setMe(null);
      })
      .finally(() => setChecking(false));
  }, []);
  const login = useCallback(async (username: string, password: string, totp?: string) => {
    const body: LoginBody = { username, password, ...(totp ? { totp } : {}) };
    const m = await api<MeView>('POST', '/api/auth/login', body);
    hint(true);
    setMe(m);
    return m;
  }, []);
  const logout = useCallback(async () => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    hint(false);
    setMe(null);
  }, []);
  // The system administrator's blanket grant stops at the security and audit administrators' work (三员分立).
  const hasRole = useCallback((...roles: string[]) => !!me && (roles.some((r) => me.roles.includes(r)) || (me.roles.includes('admin') && roles.some((r) => !separated.includes(r)))), [me]);
  return <AuthContext.Provider value={{ me, checking, login, logout, update: setMe, hasRole }}>{children}</AuthContext.Provider>;
}

export const useAuth = (): Auth => {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
};

const HINT = 'cityhub.session';
function hinted(): boolean {
  try {
    return localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}
function hint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch {
    // private mode: /api/auth/me is asked on every load instead
  }
}
