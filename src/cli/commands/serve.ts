import { loadConfig } from '../../platform/config/config.js';
import { createCityHub } from '../../server/app.js';
import { seedDemoCity } from '../../server/demo-city.js';
import { configOverrides, type Command } from '../command.js';

/** Where the demo listens unless a host is given: its passwords are public (docs/demo.md), so never the network. */
export const DEMO_HOST = '127.0.0.1';

const loopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the server and web app (--demo: seed the demo city into an empty database, on 127.0.0.1)',
  usage:
    '[--demo | --no-demo]\n\n' +
    '  --demo      seed the generated demo city (known passwords, docs/demo.md) into an empty database and listen\n' +
    '              on 127.0.0.1 unless --host/HOST is given; for trying CityHub, never for real data\n' +
    '              (also CITYHUB_DEMO=true; `npm start` runs `serve --demo`)\n' +
    '  --no-demo   never seed the demo city, even with CITYHUB_DEMO=true\n\n' +
    'Without --demo an empty database gets no users at all: create the three administrators with\n' +
    '`cityhub admin setup --system NAME --security NAME --audit NAME --passwords-stdin`.',
  options: { demo: { type: 'boolean' }, 'no-demo': { type: 'boolean' } },
  async run(values) {
    if (values.demo && values['no-demo']) {
      console.error('cityhub serve: --demo and --no-demo exclude each other');
      return 2;
    }
    const config = loadConfig(process.env, configOverrides(values));
    const demo = values.demo === true || (config.demoOnEmpty && !values['no-demo']);
    const host = config.host ?? (demo ? DEMO_HOST : '0.0.0.0');
    const hub = await createCityHub({ config });
    const log = hub.http.log;
    await hub.start();
    await hub.http.listen({ port: config.port, host });
    const engine = hub.database.engine === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL';
    log.info(`CityHub on http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${config.port} (${engine})`);
    if (demo) {
      // Loud on purpose: the demo's passwords are published, so this must never be mistaken for a real start.
      log.warn(
        loopback(host)
          ? `DEMO MODE: the generated demo city with publicly known passwords (docs/demo.md), listening on ${host} only. ` +
              'Never use it for real data: run `cityhub serve` (without --demo) on a database of your own.'
          : `DEMO MODE ON ${host}: the demo city's publicly known passwords (docs/demo.md) are REACHABLE FROM THE NETWORK. ` +
              'Never use it for real data: run `cityhub serve` (without --demo) on a database of your own.',
      );
    } else if ((await hub.services.auth.userCount()) === 0) {
      log.warn(
        'this database has no users yet: create the system, security and audit administrators (三员分立) with ' +
          '`cityhub admin setup --system NAME --security NAME --audit NAME --passwords-stdin` (three passwords of your ' +
          'choosing on standard input, one a line), or one at a time with `cityhub admin create --username NAME ' +
          '--password-stdin [--role security_admin|audit_admin]`, then log in. Trying CityHub instead? ' +
          '`cityhub serve --demo` (or `npm start`) seeds the demo city.',
      );
    } else {
      const missing = await hub.services.auth.missingAdministrators();
      if (missing.length > 0) {
        log.warn(`三员分立 incomplete: no enabled account holds ${missing.join(', ')}; create it with \`cityhub admin create --role ${missing[0]} --username NAME --password-stdin\``);
      }
    }
    // Seeding runs after listen so a first start answers at once; the demo users come first, the bulk after.
    const seeding = demo
      ? seedDemoCity(hub, (m) => log.info(`demo: ${m}`))
          .then(async (seeded) => {
            if (!seeded) {
              log.info('demo: the database already has users, nothing seeded');
              return;
            }
            // The users and their password are in docs/demo.md: no password is ever written to the log.
            log.info('demo city seeded; the demo users are listed in docs/demo.md');
            // The start-up training ran before the demo tickets existed: train on them now (in a worker).
            await hub.services.intel.classifier.trainIfConfigured();
          })
          .catch((err: unknown) => log.error({ err }, 'demo seeding failed'))
      : Promise.resolve();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // Graceful: readiness withdrawn, the listener closed, requests in flight answered, running jobs finished and
    // claims handed back (hub.close); a shutdown that hangs past cluster.shutdownSeconds ends the process anyway.
    log.info({ within: config.cluster.shutdownSeconds }, 'stopping: finishing requests and jobs in flight');
    const deadline = setTimeout(() => {
      log.error(`shutdown took longer than ${config.cluster.shutdownSeconds} s; exiting`);
      process.exit(1);
    }, config.cluster.shutdownSeconds * 1000);
    deadline.unref();
    await seeding;
    await hub.close();
    log.info('stopped');
    return 0;
  },
};
