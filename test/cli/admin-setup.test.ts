import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliWithInput } from '../support/cli.js';
import { openDatabase, type DatabaseHandle } from '../../src/platform/db/database.js';
import { createTestHub } from '../support/test-hub.js';
import { createScratchDatabase } from '../support/engines.js';

/**
 * Issue 21 (三员分立): the first-run setup creates the system, security and audit administrators together, all or
 * none, only on a database that has none of them; each then signs in to a session that may only change the
 * password the operator typed (and then enrol a one-time code). On the embedded database and on PostgreSQL.
 */
const url = process.env.CITYHUB_TEST_DATABASE_URL;
const folder = mkdtempSync(path.join(tmpdir(), 'cityhub-setup-'));
const drops: (() => Promise<void>)[] = [];

afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  for (const drop of drops) await drop();
});

const targets: { engine: 'pglite' | 'postgres'; open: () => Promise<{ args: string[]; connect: () => Promise<DatabaseHandle> }> }[] = [
  { engine: 'pglite', open: async () => ({ args: ['--data-dir', folder], connect: () => openDatabase({ dataDir: folder }) }) },
  ...(url ? [{ engine: 'postgres' as const, open: async () => {
    const { url: databaseUrl, drop } = await createScratchDatabase('setup');
    drops.push(drop);
    return { args: ['--database-url', databaseUrl], connect: () => openDatabase({ databaseUrl }) };
  } }] : []),
];

describe.each(targets)('cityhub admin setup [$engine]', ({ engine, open }) => {
  it('creates the three administrators at once (all or none, on a database that has none), each to change the password first', async () => {
    const { args, connect } = await open();
    const setup = (input: string, names = ['xitong', 'anquan', 'shenji']) =>
      runCliWithInput(['admin', 'setup', '--system', names[0], '--security', names[1], '--audit', names[2], '--passwords-stdin', ...args], input);
    expect((await setup('Blue-River-2026\nGreen-Hill-2026\nRed-Stone-2026\n', ['same', 'same', 'shenji'])).code).toBe(2);
    // one weak password: refused naming it, and nobody created (not even the two good ones before it)
    const weak = await setup('Blue-River-2026\npassword\nRed-Stone-2026\n');
    expect(weak.code, weak.stderr).toBe(1);
    expect(weak.stderr).toMatch(/password: .*no account was created/);
    const made = await setup('Blue-River-2026\nGreen-Hill-2026\nRed-Stone-2026\n');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/系统管理员 system administrator: xitong created[\s\S]*安全管理员 security administrator: anquan created[\s\S]*审计管理员 audit administrator: shenji created/);
    // a second run is no back door to more administrators
    const again = await setup('Blue-River-2026\nGreen-Hill-2026\nRed-Stone-2026\n', ['x2', 'a2', 's2']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already has administrators (admin, security_admin, audit_admin)');

    const database = await connect();
    try {
      const users = await database.db.selectFrom('app_user').select(['username', 'roles', 'must_change_password']).orderBy('username').execute();
      expect(users.map((u) => [u.username, [...u.roles], u.must_change_password])).toEqual([
        ['anquan', ['security_admin'], true], ['shenji', ['audit_admin'], true], ['xitong', ['admin'], true],
      ]);
      const created = await database.db.selectFrom('ledger_entry').select(['kind', 'actor']).where('kind', '=', 'auth.user.created').execute();
      expect(created).toEqual(Array(3).fill({ kind: 'auth.user.created', actor: 'system:cli' }));
      const hub = await createTestHub(engine, { database });
      try {
        expect(await hub.services.auth.missingAdministrators()).toEqual([]);
        for (const [username, password] of [['xitong', 'Blue-River-2026'], ['anquan', 'Green-Hill-2026'], ['shenji', 'Red-Stone-2026']]) {
          const login = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
          expect(login.statusCode).toBe(200);
          expect(login.json().pending).toBe('password_change');
        }
      } finally {
        await hub.close();
      }
    } finally {
      await database.close();
    }
  }, 600_000);
});
