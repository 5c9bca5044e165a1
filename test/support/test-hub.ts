import { loadConfig, type Config } from '../../src/platform/config/config.js';
import type { DatabaseHandle, Engine } from '../../src/platform/db/database.js';
import { createCityHub, type CityHub } from '../../src/server/app.js';
import type { Clock } from '../../src/platform/clock/clock.js';
import { systemActor, type Role } from '../../src/platform/auth/roles.js';
import { openTestDatabase } from './engines.js';
import { base32Decode, totp } from '../../src/platform/auth/totp.js';

export interface TestHub extends CityHub {
  /**
   * Logs in a new user with these roles and returns the session cookie header; a role that needs a second factor
   * gets one enrolled (its base32 `totpSecret` returned) and the login sends its code.
   */
  loginAs(roles: Role[], orgId?: string | null): Promise<{ cookie: string; userId: string; username: string; totpSecret?: string }>;
}

let userCounter = 0;

/** A whole CityHub on a fresh database of the engine, for `app.inject()` tests. */
export async function createTestHub(
  engine: Engine,
  options: { clock?: Clock; config?: Partial<Config>; /** share a database between hubs (nodes); the caller closes it */ database?: DatabaseHandle } = {},
): Promise<TestHub> {
  const database = options.database ?? (await openTestDatabase(engine));
  const defaults = loadConfig({ LOG_LEVEL: 'silent' });
  // a test's `auth` settings change those keys only; the rest (password policy, TOTP, idle timeout) keep their defaults
  const config = { ...defaults, ...options.config, auth: { ...defaults.auth, ...options.config?.auth } };
  const hub = await createCityHub({ config, database, clock: options.clock, logger: false });
  const setup = systemActor('test-setup');
  return {
    ...hub,
    async close() {
      await hub.close();
      if (!options.database) await database.close();
    },
    async loginAs(roles, orgId = null) {
      const username = `user${++userCounter}_${roles.join('_')}`;
      const { auth, clock } = hub.services;
      const user = await auth.insertUser(setup, { username, password: 'test-password-1', roles, orgId });
      const totpSecret = auth.totpRequiredFor(roles) ? await auth.insertTotp(setup, user.id) : undefined;
      const code = totpSecret ? totp(base32Decode(totpSecret)!, clock()) : undefined;
      const res = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'test-password-1', ...(code ? { totp: code } : {}) } });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
      const cookie = res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      return { cookie, userId: user.id, username, ...(totpSecret ? { totpSecret } : {}) };
    },
  };
}
