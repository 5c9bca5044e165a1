import { administratorRoles, systemActor, type Role } from '../../platform/auth/roles.js';
import { isProblem } from '../../platform/errors/problem.js';
import { loadConfig } from '../../platform/config/config.js';
import { createCityHub, type CityHub } from '../../server/app.js';
import { configOverrides, type Command, type OptionValues } from '../command.js';

/** The first `count` lines of standard input (passwords piped in, so they show in no process list or shell history). */
const readLines = async (input: NodeJS.ReadableStream, count: number): Promise<string[]> => {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.split('\n').length > count) break;
  }
  return text.split(/\r?\n/).slice(0, count);
};

/**
 * The three administrators of 三员分立, in the order `admin setup` reads their passwords: one source for both
 * commands' usage texts and what setup prints.
 */
const administrators = [
  { option: 'system', role: 'admin', zh: '系统管理员', en: 'system administrator', duties: 'configuration, accounts, API keys' },
  { option: 'security', role: 'security_admin', zh: '安全管理员', en: 'security administrator', duties: 'roles, policy, alerts' },
  { option: 'audit', role: 'audit_admin', zh: '审计管理员', en: 'audit administrator', duties: 'reads and verifies the trail' },
] as const;

/** A usage line: the option, then its text from the description column (an empty option continues the text). */
const optionLine = (option: string, text: string) => `  ${option.padEnd(19)}${text}\n`;

/** The closing paragraph both usages share: the password policy and the second factor. */
const passwordRules =
  'The password must follow auth.password (by default at least 8 characters mixing 3 of lower case, upper case,\n' +
  'digits and symbols, not the username, not a common password). Each administrator enrols a one-time-code app\n' +
  '(TOTP) at the first login.';

/** A refused account as one line: the problem's title and each field at fault. */
const problemLine = (err: unknown): string | undefined =>
  isProblem(err) ? [err.title, ...(err.errors ?? []).map((e) => `${e.field}: ${e.message}`)].join('; ') : undefined;

/**
 * Runs `work` on a CityHub of the command's configuration and closes it; an account refused (a problem: the
 * password policy, a taken username) is one line on standard error and exit code 1.
 */
async function onHub(command: string, values: OptionValues, work: (hub: CityHub) => Promise<number>, refused = ''): Promise<number> {
  const hub = await createCityHub({ config: loadConfig(process.env, configOverrides(values)), logger: false });
  try {
    return await work(hub);
  } catch (err) {
    const line = problemLine(err);
    if (!line) throw err;
    console.error(`cityhub ${command}: ${line}${refused}`);
    return 1;
  } finally {
    await hub.close();
  }
}

export const adminCreateCommand: Command = {
  name: 'admin create',
  summary: 'create an administrator account (system, security or audit) with a password of your choosing',
  usage:
    `--username U (--password-stdin | --password P) [--role ${administrators.map((a) => a.role).join('|')}] [--display-name NAME]\n\n` +
    optionLine('--password-stdin', 'read the password from the first line of standard input (preferred:') +
    optionLine('', 'printf \'%s\\n\' "$PW" | cityhub admin create --username U --password-stdin)') +
    optionLine('--password P', 'the password on the command line (visible in the process list and shell history)') + '\n' +
    optionLine('--role R', `${administrators.map((a) => `${a.role} (${a.zh})`).join(', ')}; admin the default.`) +
    optionLine('', '三员分立 wants one account of each, held by three people') +
    `\n\`cityhub admin setup\` makes the first three together; this adds one.\n\n${passwordRules}`,
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
    return onHub('admin create', values, async (hub) => {
      const user = await hub.services.auth.insertUser(systemActor('cli'), {
        username,
        password,
        displayName: (values['display-name'] as string | undefined) ?? username,
        roles: [role as Role],
      });
      console.log(`${role} ${user.username} created (${user.id})`);
      return 0;
    });
  },
};

/**
 * The first-run setup of 三员分立: the system, security and audit administrators made together, all or none,
 * on a database where none of them exists yet. The operator typed their passwords, so each must change it at
 * the first login (and enrol a one-time-code app), which leaves each account to the one person who holds it.
 */
export const adminSetupCommand: Command = {
  name: 'admin setup',
  summary: 'first run: create the system, security and audit administrators (三员分立) together',
  usage:
    `${administrators.map((a) => `--${a.option} U`).join(' ')} --passwords-stdin\n\n` +
    administrators.map((a) => optionLine(`--${a.option} U`, `the ${a.en} (${a.zh}, role ${a.role}): ${a.duties}`)).join('') +
    optionLine('--passwords-stdin', 'three lines of standard input: the passwords of the system, security and audit') +
    optionLine('', 'administrators, in that order') +
    '\nRefused when any of the three roles already has an account (then use `cityhub admin create --role …`). All three\n' +
    'are checked against auth.password before any is written, then written in one transaction. Each must change\n' +
    `the password at the first login: give each person their own.\n\n${passwordRules}`,
  options: {
    system: { type: 'string' },
    security: { type: 'string' },
    audit: { type: 'string' },
    'passwords-stdin': { type: 'boolean' },
  },
  async run(values) {
    const usernames = administrators.map((r) => values[r.option] as string | undefined);
    if (usernames.some((u) => !u) || values['passwords-stdin'] !== true) {
      console.error('cityhub admin setup: --system, --security, --audit and --passwords-stdin (three lines) are required');
      return 2;
    }
    if (new Set(usernames).size !== usernames.length) {
      console.error('cityhub admin setup: three different people, three different usernames (三员分立)');
      return 2;
    }
    const passwords = await readLines(process.stdin, administrators.length);
    if (passwords.length < administrators.length || passwords.some((p) => !p)) {
      console.error(`cityhub admin setup: standard input must hold ${administrators.length} passwords, one a line (system, security, audit)`);
      return 2;
    }
    return onHub('admin setup', values, async (hub) => {
      const missing = await hub.services.auth.missingAdministrators();
      if (missing.length < administrators.length) {
        const present = administrators.filter((r) => !missing.includes(r.role)).map((r) => r.role);
        console.error(`cityhub admin setup: this database already has administrators (${present.join(', ')}); add others with \`cityhub admin create --role …\``);
        return 2;
      }
      const users = await hub.services.auth.insertUsers(
        systemActor('cli'),
        administrators.map((r, i) => ({ username: usernames[i]!, password: passwords[i], displayName: usernames[i]!, roles: [r.role as Role] })),
        { mustChangePassword: true },
      );
      for (const [i, user] of users.entries()) console.log(`${administrators[i].zh} ${administrators[i].en}: ${user.username} created (${user.id})`);
      console.log('each changes the password and enrols a one-time-code app at the first login');
      return 0;
    }, '; no account was created');
  },
};
