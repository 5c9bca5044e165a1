import { systemActor } from '../../platform/auth/roles.js';
import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';

export const adminCreateCommand: Command = {
  name: 'admin create',
  summary: 'create an administrator account',
  usage: '--username U --password P [--display-name NAME]',
  options: { username: { type: 'string' }, password: { type: 'string' }, 'display-name': { type: 'string' } },
  async run(values) {
    const username = values.username as string | undefined;
    const password = values.password as string | undefined;
    if (!username || !password) {
      console.error('cityhub admin create: --username and --password are required');
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
    } finally {
      await hub.close();
    }
  },
};
