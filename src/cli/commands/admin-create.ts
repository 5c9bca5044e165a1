import { systemActor } from '../../platform/auth/roles.js';
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
  summary: 'create an administrator account with a password of your choosing',
  usage:
    '--username U (--password-stdin | --password P) [--display-name NAME]\n\n' +
    '  --password-stdin   read the password from the first line of standard input (preferred:\n' +
    '                     printf \'%s\\n\' "$PW" | cityhub admin create --username U --password-stdin)\n' +
    '  --password P       the password on the command line (visible in the process list and shell history)\n\n' +
    'The password must have at least 8 characters. This is how the first administrator of a new database is made.',
  options: {
    username: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'display-name': { type: 'string' },
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
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    try {
      const actor = systemActor('cli');
      const user = await hub.services.auth.insertUser(actor, {
        username,
        password,
        displayName: (values['display-name'] as string | undefined) ?? username,
        roles: ['admin'],
      });
      console.log(`admin ${user.username} created (${user.id})`);
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
