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
    const log = hub.http.log;
    await hub.start();
    await hub.http.listen({ port: config.port, host: config.host });
    const engine = hub.database.engine === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL';
    log.info(`CityHub on http://localhost:${config.port} (${engine})`);
    // Seeding runs after listen so a first start answers at once; the demo users come first, the bulk after.
    const seeding =
      config.demoOnEmpty && !values['no-demo']
        ? seedDemoCity(hub, (m) => log.info(`demo: ${m}`))
            .then(async (seeded) => {
              if (!seeded) return;
              log.info('demo city seeded; log in as admin / CityHub@2026 (docs/demo.md)');
              // The start-up training ran before the demo tickets existed: train on them now (in a worker).
              await hub.services.intel.classifier.trainIfConfigured();
            })
            .catch((err: unknown) => log.error({ err }, 'demo seeding failed'))
        : Promise.resolve();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info('stopping');
    await seeding;
    await hub.close();
    return 0;
  },
};
