import type { App } from './server.js';

/**
 * The Content-Security-Policy of every response. The single-page app and the Swagger UI at /docs load scripts
 * only as files from this origin (no inline script, no eval), so a text that slips into a page as HTML cannot
 * run script; styles may be inline (React `style` attributes, Swagger UI); images may be data: or blob: URLs
 * (charts, icons); the app calls only its own API; no page may frame it (clickjacking).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every response carries, API and pages alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // A response is only ever what its Content-Type says (an uploaded file is never sniffed into HTML or script).
  'x-content-type-options': 'nosniff',
  // Links out of the app never carry its URLs (ticket numbers, tracking queries) to other sites.
  'referrer-policy': 'no-referrer',
  // frame-ancestors for browsers that predate CSP 2.
  'x-frame-options': 'DENY',
};

/**
 * Sets the security headers on every response, before any other hook runs, so refusals (401, 404, 429) carry
 * them too.
 */
export function registerSecurityHeaders(app: App): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
}
