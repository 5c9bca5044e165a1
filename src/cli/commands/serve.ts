import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { seedDemoCity } from '../../server/demo-city.js';
import { configOverrides, type Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the server and web app (seeds the demo city into an empty database)',
  usage: '[--no-demo]',
  options: { 'no-demo': { type: 'boolean' } },
  async run(values) {
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config });
    if (config.demoOnEmpty && !values['no-demo']) {
      const seeded = await seedDemoCity(hub, (m) => hub.http.log.info(`demo: ${m}`));
      if (seeded) hub.http.log.info('demo city seeded; log in as admin / CityHub@2026 (see docs/demo.md)');
    }
    await hub.start();
    await hub.http.listen({ port: config.port, host: config.host });
    const engine = hub.database.engine === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL';
    hub.http.log.info(`CityHub on http://localhost:${config.port} (${engine})`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    hub.http.log.info('stopping');
    await hub.close();
    return 0;
  },
};
