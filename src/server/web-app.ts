import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';

/** Where `vite build` puts the web app (dist/web at the package root). */
export const webAppDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');

/**
 * Serves the built single-page app at `/`. Paths the app routes itself (no file behind them) get index.html;
 * API paths never do, so a wrong API URL still answers 404 problem+json.
 */
const apiPrefixes = ['/api', '/open311', '/ngsi-ld', '/docs', '/metrics', '/healthz', '/readyz', '/openapi.json'];

/** Vite names every built asset by its content hash (`assets/index-3f2a9c.js`): a new build is a new URL. */
const hashedAsset = /^assets\/.+-[\w-]{8,}(\.\w+)+$/;

/** What the web app asks before showing optional panels: which modules this server runs (a few bytes, not /openapi.json). */
const Capabilities = Type.Object({ modules: Type.Array(Type.String()) });

/**
 * Compresses API answers (JSON, CSV, NGSI-LD) of 1 KB and more for clients that accept it. Registered before the
 * routes, whose answers it then wraps; brotli at a middle quality, since these are compressed on every request
 * (the web app's files are compressed once, at build time, see src/web/vite.config.ts).
 */
export async function compressResponses(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCompress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
}

export async function serveWebApp(app: FastifyInstance, options: { modules: readonly string[] } = { modules: [] }): Promise<void> {
  const capabilities = { modules: [...options.modules] };
  app.get('/api/capabilities', {
    config: { access: 'public' },
    schema: { tags: ['web'], summary: 'The modules this server runs (for the web app\'s optional panels)', response: { 200: Capabilities } },
  }, async (_request, reply) => {
    // The same for every caller until the server restarts; a client may keep it for its session.
    reply.header('cache-control', 'public, max-age=300');
    return capabilities;
  });
  if (!existsSync(path.join(webAppDir, 'index.html'))) return;
  await app.register(async (scope) => {
    // The app's files are public; the API behind them checks every call.
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), access: 'public' } as typeof route.config;
    });
    await scope.register(fastifyStatic, {
      root: webAppDir, prefix: '/', wildcard: false, index: ['index.html'],
      // the .br and .gz siblings written at build time, chosen by Accept-Encoding
      preCompressed: true,
      cacheControl: false,
      setHeaders: (res, file) => {
        const rel = path.relative(webAppDir, file).split(path.sep).join('/');
        // A hashed asset never changes; index.html must be asked for again, so a new build is seen at once.
        res.setHeader('cache-control', hashedAsset.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    scope.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const url = request.url.split('?')[0];
      if (apiPrefixes.some((p) => url === p || url.startsWith(`${p}/`)) || path.extname(url)) {
        return reply.callNotFound();
      }
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  });
}
