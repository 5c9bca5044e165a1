import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `vite build` puts the web app (dist/web at the package root). */
export const webAppDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');

/**
 * Serves the built single-page app at `/`. Paths the app routes itself (no file behind them) get index.html;
 * API paths never do, so a wrong API URL still answers 404 problem+json.
 */
const apiPrefixes = ['/api', '/open311', '/ngsi-ld', '/docs', '/metrics', '/healthz', '/readyz', '/openapi.json'];

export async function serveWebApp(app: FastifyInstance): Promise<void> {
  if (!existsSync(path.join(webAppDir, 'index.html'))) return;
  await app.register(async (scope) => {
    // The app's files are public; the API behind them checks every call.
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), access: 'public' } as typeof route.config;
    });
    await scope.register(fastifyStatic, { root: webAppDir, prefix: '/', wildcard: false, index: ['index.html'] });
    scope.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const url = request.url.split('?')[0];
      if (apiPrefixes.some((p) => url === p || url.startsWith(`${p}/`)) || path.extname(url)) {
        return reply.callNotFound();
      }
      return reply.sendFile('index.html');
    });
  });
}
