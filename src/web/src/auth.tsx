import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError } from './api.js';

/** `GET /api/auth/me` */
export interface Me {
  kind: string;
  id: string | null;
  username: string | null;
  displayName: string | null;
  roles: string[];
  org: { id: string; name: string; kind: string } | null;
}

interface Auth {
  me: Me | null;
  /** true until the first /api/auth/me answered */
  checking: boolean;
  login(username: string, password: string): Promise<Me>;
  logout(): Promise<void>;
  hasRole(...roles: string[]): boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  useEffect(() => {
    api<Me>('GET', '/api/auth/me')
      .then((m) => setMe(m.kind === 'anonymous' ? null : m))
      .catch((err: unknown) => {
        // 401 means "not logged in"; anything else is shown by the screens that need the API
        if (!(err instanceof ApiError)) console.warn(err);
        setMe(null);
      })
      .finally(() => setChecking(false));
  }, []);
  const login = useCallback(async (username: string, password: string) => {
    const m = await api<Me>('POST', '/api/auth/login', { username, password });
    setMe(m);
    return m;
  }, []);
  const logout = useCallback(async () => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
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
