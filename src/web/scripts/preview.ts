/**
 * A throw-away CityHub for developing the web app: an in-memory PGlite with the demo city, the API on
 * http://localhost:8080 (what `vite` in src/web proxies to) and the built app at `/` when dist/web exists.
 *
 *   node --import tsx src/web/scripts/preview.ts [port]
 */
import { loadConfig } from '../../platform/config/config.js';
import { openDatabase } from '../../platform/db/database.js';
import { createCityHub } from '../../server/app.js';
import { seedDemoCity } from '../../server/demo-city.js';

const port = Number(process.argv[2] ?? 8080);
const database = await openDatabase({});
const hub = await createCityHub({ config: loadConfig({ LOG_LEVEL: 'warn' }), database, logger: false });
const started = Date.now();
await seedDemoCity(hub, (m) => console.log(`demo: ${m}`));
console.log(`demo seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
await hub.start();
await hub.http.listen({ port, host: '127.0.0.1' });
console.log(`CityHub preview on http://127.0.0.1:${port} (in-memory; Ctrl-C ends it)`);
const stop = async () => {
  await hub.close();
  await database.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
