import { administratorRoles, systemActor, type Role } from '../../platform/auth/roles.js';
import { isProblem } from '../../platform/errors/problem.js';
import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';

/** The first line of standard input (a password piped in, so it shows in no process list or shell history). */
const readFirstLine = async (input: NodeJS.ReadableStream): Promise<string> => {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
};

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
    'app (TOTP) at the first login. This is how the first administrators of a new database are made.',
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
    const password = values['password-stdin'] ? await readFirstLine(process.stdin) : (values.password as string | undefined);
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
      if (!isProblem(err)) throw err;
      console.error(`cityhub admin create: ${[err.title, ...(err.errors ?? []).map((e) => `${e.field}: ${e.message}`)].join('; ')}`);
      return 1;
    } finally {
      await hub.close();
    }
  },
};
