import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError } from './api.js';
// Type only: the session's answer as the server's auth routes whitelist it.
import type { LoginBody, MeView } from '../../platform/auth/schemas.js';

interface Auth {
  me: MeView | null;
  /** true until the first /api/auth/me answered */
  checking: boolean;
  login(username: string, password: string): Promise<MeView>;
  logout(): Promise<void>;
  hasRole(...roles: string[]): boolean;
}

const AuthContext = createContext<Auth | null>(null);

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
  const login = useCallback(async (username: string, password: string) => {
    const body: LoginBody = { username, password };
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
  const hasRole = useCallback((...roles: string[]) => !!me && (me.roles.includes('admin') || roles.some((r) => me.roles.includes(r))), [me]);
  return <AuthContext.Provider value={{ me, checking, login, logout, hasRole }}>{children}</AuthContext.Provider>;
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
