import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { seedDemoCity } from '../../server/demo-city.js';
import { configOverrides, type Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'seed the generated demo city (known passwords: never on real data) into an empty database',
  usage: '',
  async run(values) {
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    try {
      const seeded = await seedDemoCity(hub, (m) => console.log(m));
      console.log(seeded ? 'demo city seeded (password for every demo user: see docs/demo.md)' : 'database not empty: nothing seeded');
      return 0;
    } finally {
      await hub.close();
    }
  },
};
