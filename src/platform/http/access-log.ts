import type { Config } from '../config/config.js';
import type { App } from './server.js';

export type AccessLogSettings = Config['log'];

/**
 * Whether a request gets its access-log line (`log.access`): every one, none, only failures (status 400 and up)
 * and slow ones, or those plus a random share of the rest.
 *
 * @example logged({ access: 'errors-and-slow', sampleRate: 0, slowMs: 1000 }, 200, 1500) // true: slow
 */
export const logged = (settings: AccessLogSettings, status: number, ms: number, random: () => number = Math.random): boolean => {
  if (settings.access === 'all') return true;
  if (settings.access === 'off') return false;
  if (status >= 400 || ms >= settings.slowMs) return true;
  return settings.access === 'sampled' && random() < settings.sampleRate;
};

/**
 * One line per answered request (Fastify's own two lines are off), chosen by `log.access`. The audit trail is
 * not this log: denials and changes are ledgered whatever is chosen here.
 */
export function registerAccessLog(app: App, settings: AccessLogSettings): void {
  if (settings.access === 'off') return;
  app.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime;
    if (!logged(settings, reply.statusCode, ms)) return;
    request.log.info({ req: request, status: reply.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
  });
}
