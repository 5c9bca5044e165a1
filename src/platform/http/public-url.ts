import type { FastifyRequest } from 'fastify';

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing else is echoed into documents. */
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin a client reached this server at (`https://12345.city.gov.cn`), for documents that publish their own
 * URL (Open311 discovery, the DCAT catalogue). The scheme and host follow X-Forwarded-* only from trusted proxies
 * (`http.trustProxy`); a Host header that is not a plain host[:port] is replaced by `localhost`, so no markup or
 * path can be injected through it.
 *
 * @example requestOrigin(request) // 'http://localhost:8080'
 */
export const requestOrigin = (request: FastifyRequest): string =>
  `${request.protocol}://${HOST.test(request.host) ? request.host : 'localhost'}`;
