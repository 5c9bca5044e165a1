import { administratorRoles, systemActor, type Role } from '../../platform/auth/roles.js';
import { isProblem } from '../../platform/errors/problem.js';
import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';

/** The first `count` lines of standard input (passwords piped in, so they show in no process list or shell history). */
const readLines = async (input: NodeJS.ReadableStream, count: number): Promise<string[]> => {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.split('\n').length > count) break;
  }
  return text.split(/\r?\n/).slice(0, count);
};

/** A refused account as one line: the problem's title and each field at fault. */
const problemLine = (err: unknown): string | undefined =>
  isProblem(err) ? [err.title, ...(err.errors ?? []).map((e) => `${e.field}: ${e.message}`)].join('; ') : undefined;

export const adminCreateCommand: Command = {
  name: 'admin create',
  summary: 'create an administrator account (system, security or audit) with a password of your choosing',
  usage:
    '--username U (--password-stdin | --password P) [--role admin|security_admin|audit_admin] [--display-name NAME]\n\n' +
    '  --password-stdin   read the password from the first line of standard input (preferred:\n' +
    '                     printf \'%s\\n\' "$PW" | cityhub admin create --username U --password-stdin)\n' +
    '  --password P       the password on the command line (visible in the process list and shell history)\n\n' +
    '  --role R           admin (系统管理员, the default), security_admin (安全管理员) or audit_admin\n' +
    '                     (审计管理员): 三员分立 wants one account of each, held by three people\n\n' +
    'The password must follow auth.password (by default at least 8 characters mixing 3 of lower case, upper case,\n' +
    'digits and symbols, not the username, not a common password). Each administrator enrols a one-time-code\n' +
    'app (TOTP) at the first login. `cityhub admin setup` makes the first three together; this adds one.',
  options: {
    username: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'display-name': { type: 'string' },
    role: { type: 'string' },
  },
  async run(values) {
    const username = values.username as string | undefined;
    if (values.password !== undefined && values['password-stdin']) {
      console.error('cityhub admin create: give --password or --password-stdin, not both');
      return 2;
    }
    const password = values['password-stdin'] ? (await readLines(process.stdin, 1))[0] : (values.password as string | undefined);
    if (!username || !password) {
      console.error('cityhub admin create: --username and a password (--password-stdin or --password) are required');
      return 2;
    }
    const role = (values.role as string | undefined) ?? 'admin';
    if (!(administratorRoles as readonly string[]).includes(role)) {
      console.error(`cityhub admin create: --role must be one of ${administratorRoles.join(', ')}`);
      return 2;
    }
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    try {
      const actor = systemActor('cli');
      const user = await hub.services.auth.insertUser(actor, {
        username,
        password,
        displayName: (values['display-name'] as string | undefined) ?? username,
        roles: [role as Role],
      });
      console.log(`${role} ${user.username} created (${user.id})`);
      return 0;
    } catch (err) {
      const line = problemLine(err);
      if (!line) throw err;
      console.error(`cityhub admin create: ${line}`);
      return 1;
    } finally {
      await hub.close();
    }
  },
};

/** The three administrators' options, in the order their passwords are read. */
const setupRoles = [
  { option: 'system', role: 'admin', title: '系统管理员 system administrator' },
  { option: 'security', role: 'security_admin', title: '安全管理员 security administrator' },
  { option: 'audit', role: 'audit_admin', title: '审计管理员 audit administrator' },
] as const;

/**
 * The first-run setup of 三员分立: the system, security and audit administrators made together, all or none,
 * on a database where none of them exists yet. The operator typed their passwords, so each must change it at
 * the first login (and enrol a one-time-code app), which leaves each account to the one person who holds it.
 */
export const adminSetupCommand: Command = {
  name: 'admin setup',
  summary: 'first run: create the system, security and audit administrators (三员分立) together',
  usage:
    '--system U --security U --audit U --passwords-stdin\n\n' +
    '  --system U         the system administrator (系统管理员, role admin): configuration, accounts, API keys\n' +
    '  --security U       the security administrator (安全管理员, role security_admin): roles, policy, alerts\n' +
    '  --audit U          the audit administrator (审计管理员, role audit_admin): reads and verifies the trail\n' +
    '  --passwords-stdin  three lines of standard input: the passwords of the system, security and audit\n' +
    '                     administrators, in that order\n\n' +
    'Refused when any of the three roles already has an account (then use `cityhub admin create --role …`). All three\n' +
    'are checked against auth.password before any is written, then written in one transaction. Each must change\n' +
    'the password at the first login and enrol a one-time-code app (TOTP): give each person their own.',
  options: {
    system: { type: 'string' },
    security: { type: 'string' },
    audit: { type: 'string' },
    'passwords-stdin': { type: 'boolean' },
  },
  async run(values) {
    const usernames = setupRoles.map((r) => values[r.option] as string | undefined);
    if (usernames.some((u) => !u) || values['passwords-stdin'] !== true) {
      console.error('cityhub admin setup: --system, --security, --audit and --passwords-stdin (three lines) are required');
      return 2;
    }
    if (new Set(usernames).size !== usernames.length) {
      console.error('cityhub admin setup: three different people, three different usernames (三员分立)');
      return 2;
    }
    const passwords = await readLines(process.stdin, setupRoles.length);
    if (passwords.length < setupRoles.length || passwords.some((p) => !p)) {
      console.error(`cityhub admin setup: standard input must hold ${setupRoles.length} passwords, one a line (system, security, audit)`);
      return 2;
    }
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    try {
      const missing = await hub.services.auth.missingAdministrators();
      if (missing.length < setupRoles.length) {
        const present = setupRoles.filter((r) => !missing.includes(r.role)).map((r) => r.role);
        console.error(`cityhub admin setup: this database already has administrators (${present.join(', ')}); add others with \`cityhub admin create --role …\``);
        return 2;
      }
      const users = await hub.services.auth.insertUsers(
        systemActor('cli'),
        setupRoles.map((r, i) => ({ username: usernames[i]!, password: passwords[i], displayName: usernames[i]!, roles: [r.role as Role] })),
        { mustChangePassword: true },
      );
      for (const [i, user] of users.entries()) console.log(`${setupRoles[i].title}: ${user.username} created (${user.id})`);
      console.log('each changes the password and enrols a one-time-code app at the first login');
      return 0;
    } catch (err) {
      const line = problemLine(err);
      if (!line) throw err;
      console.error(`cityhub admin setup: ${line}; no account was created`);
      return 1;
    } finally {
      await hub.close();
    }
  },
};
