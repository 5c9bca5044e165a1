import { randomUUID } from 'node:crypto';
import type { RoutePlugin } from '../platform/http/server.js';
import type { Clock } from '../platform/clock/clock.js';
import { negotiate, scopeOf, sendNgsi } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import { TypeListAnswer, ngsiProblems } from './schemas.js';

/** ISO 8601 duration of whole seconds (PT1H2M3S), as contextSourceUptime is given. */
const duration = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s % 60}S`;
};

/**
 * GET /info/sourceIdentity (GS CIM 009 v1.8 §5.15.1, §6.36): who this context source is — its identity (one per
 * process), how long it has been up, its time and its alias (one per tenant). Readable by whoever may read entities.
 */
export const infoRoutes = (contexts: ContextResolver, clock: Clock, alias: string): RoutePlugin => async (app) => {
  const id = `urn:ngsi-ld:ContextSourceIdentity:${randomUUID()}`;
  const started = clock().getTime();
  app.get('/info/sourceIdentity', { config: { access: 'context.entity.read' }, schema: { response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const now = clock();
    return sendNgsi(reply, 200, {
      // The alias names a tenant of this source (Table 5.2.40-1): the default tenant's is the source's own.
      id, type: 'ContextSourceIdentity', contextSourceAlias: scope.tenant ? `${alias}/${scope.tenant}` : alias,
      contextSourceUptime: duration(now.getTime() - started), contextSourceTimeAt: now.toISOString(),
      contextSourceExtras: { product: 'CityHub', api: 'NGSI-LD', version: '1.8' },
    }, scope.ctx, rep);
  });
};
