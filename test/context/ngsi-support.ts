import type { TestHub } from '../support/test-hub.js';

export const SDM = 'https://smartdatamodels.org/context.jsonld';

/** The `Link` header that names a JSON-LD @context. */
export const contextLink = (url = SDM): string => `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

export const SDM_LINK = contextLink();

/**
 * A function that calls the hub's NGSI-LD API (`/ngsi-ld/v1…`) with a session cookie and default headers (the Smart
 * Data Models Link unless given); getters, since tests make the hub and log in inside `beforeAll`.
 *
 * @example const req = ngsiRequester(() => hub, () => cookie); await req('GET', '/entities?type=Streetlight');
 */
export function ngsiRequester(hub: () => TestHub, cookie: () => string, defaults: Record<string, string> = { link: SDM_LINK }) {
  return (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}, sessionCookie = cookie()) =>
    hub().http.inject({ method: method as 'GET', url: `/ngsi-ld/v1${url}`, payload: payload as object, headers: { cookie: sessionCookie, ...defaults, ...headers } });
}
