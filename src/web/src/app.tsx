import { useEffect, useState } from 'react';

interface Me {
  username: string | null;
  displayName: string | null;
  roles: string[];
}

/** The unified entry (统一入口): until the portal, workbench and cockpit land, a login and who-am-I page. */
export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  useEffect(() => {
    fetch('/api/auth/me').then(async (r) => (r.ok ? setMe(await r.json()) : setMe(null))).catch(() => setMe(null));
  }, []);

  const login = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    const r = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await r.json();
    if (r.ok) setMe(body);
    else setError(body.title_zh ? `${body.title_zh} / ${body.title}` : body.title);
  };

  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 480, margin: '4rem auto', padding: '0 1rem' }}>
      <h1>城枢 CityHub</h1>
      <p>城市数据底座与 12345 接诉即办平台 · City data hub and 12345 hotline platform</p>
      {me ? (
        <p role="status">
          已登录 Logged in: <strong>{me.displayName}</strong> ({me.roles.join(', ')})
        </p>
      ) : (
        <form onSubmit={login} aria-label="登录 Login">
          <label>
            用户名 Username <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
          </label>
          <br />
          <label>
            密码 Password{' '}
            <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
          </label>
          <br />
          <button type="submit">登录 Log in</button>
          {error && <p role="alert">{error}</p>}
        </form>
      )}
      <p>
        <a href="/docs">API 文档 API docs</a>
      </p>
    </main>
  );
}
