import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressAllowed, checkOutboundUrl, OutboundUrlError, type OutboundPolicy } from '../platform/net/outbound.js';

/**
 * Where a subscription may send its notifications, and with which extra headers (issue 15, finding 7: SSRF).
 * Endpoints go through the platform's outbound guard (src/platform/net/outbound.ts): loopback, private,
 * link-local and metadata addresses are refused unless `outbound.allow` lists them — when the subscription is
 * created or changed (400 naming `notification.endpoint.uri`), and again when each notification is sent, after
 * DNS (HTTP: outboundRequest; MQTT: the broker's name is resolved here and the socket opened to that address).
 */

/**
 * Headers `receiverInfo` may not set. Hop-by-hop and framing headers would let a subscription smuggle a second
 * request or reach another virtual host of an allowed address; CityHub sets the content headers, `Link` and
 * `NGSILD-Tenant` itself; `Cookie` is a browser's ambient credential that no notification needs; forwarding
 * headers would let a notification pose as another client to a receiver behind a trusting proxy.
 * `Authorization` is allowed: a receiver's own credential is what receiverInfo is for in NGSI-LD, and the
 * guard above decides where it may go.
 */
export const FORBIDDEN_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect',
  'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'content-type', 'content-encoding', 'link',
  'ngsild-tenant', 'cookie', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip',
]);
/** An RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
const MAX_RECEIVER_INFO = 16;
const MAX_VALUE_LENGTH = 1024;

/**
 * Why a `{key, value}` list (receiverInfo, notifierInfo) is refused, naming the entry (`…[2].key`), or undefined:
 * a list of at most MAX_RECEIVER_INFO entries of two strings, each entry then checked by `entryError`.
 */
function keyValueListError(list: unknown, base: string, entryError: (key: string, value: string, at: string) => { field: string; message: string } | undefined) {
  if (!Array.isArray(list)) return { field: base, message: 'must be a list of {key, value}' };
  if (list.length > MAX_RECEIVER_INFO) return { field: base, message: `at most ${MAX_RECEIVER_INFO} entries` };
  for (const [i, entry] of list.entries()) {
    const { key, value } = (entry ?? {}) as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string') return { field: `${base}.${i}`, message: 'must be {key, value} with two strings' };
    const error = entryError(key, value, `${base}.${i}`);
    if (error) return error;
  }
  return undefined;
}

/** Why a receiverInfo list is refused, naming the entry (`receiverInfo[2].key`), or undefined when it is fine. */
export function receiverInfoError(list: unknown): { field: string; message: string } | undefined {
  return keyValueListError(list, 'notification.endpoint.receiverInfo', (key, value, at) => {
    if (!HEADER_NAME.test(key)) return { field: `${at}.key`, message: 'must be a header name (letters, digits and !#$%&\'*+-.^_`|~, at most 64)' };
    if (FORBIDDEN_HEADERS.has(key.toLowerCase())) return { field: `${at}.key`, message: `${key} cannot be set by a subscription (hop-by-hop, framing or set by CityHub)` };
    // eslint-disable-next-line no-control-regex
    if (value.length > MAX_VALUE_LENGTH || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
      return { field: `${at}.value`, message: `must be at most ${MAX_VALUE_LENGTH} characters without control characters` };
    }
    return undefined;
  });
}

/**
 * The MQTT binding's notifier options (GS CIM 009 §7.3 via `endpoint.notifierInfo`): `MQTT-Version` (`mqtt3.1.1`
 * or `mqtt5.0`, default `mqtt5.0`) and `MQTT-QoS` (0, 1 or 2, default 0). Other keys are kept and not used.
 */
export interface MqttOptions { protocolVersion: 4 | 5; qos: 0 | 1 | 2; /** MQTT-Version was given (no fallback to 3.1.1). */ versionGiven: boolean }
const MQTT_VERSIONS: Record<string, 4 | 5> = { 'mqtt3.1.1': 4, 'mqtt5.0': 5 };

/** Why a notifierInfo list is refused (naming the entry), or undefined: `{key, value}` strings, MQTT values in range. */
export function notifierInfoError(list: unknown): { field: string; message: string } | undefined {
  return keyValueListError(list, 'notification.endpoint.notifierInfo', (key, value, at) => {
    if (key === 'MQTT-Version' && !(value in MQTT_VERSIONS)) return { field: `${at}.value`, message: 'MQTT-Version must be mqtt3.1.1 or mqtt5.0' };
    if (key === 'MQTT-QoS' && !['0', '1', '2'].includes(value)) return { field: `${at}.value`, message: 'MQTT-QoS must be 0, 1 or 2' };
    return undefined;
  });
}

/** The MQTT options a subscription's notifierInfo asks for, defaults where it says nothing. */
export function mqttOptions(notifierInfo: { key: string; value: string }[] | undefined): MqttOptions {
  const get = (key: string) => notifierInfo?.find((x) => x.key === key)?.value;
  const qos = Number(get('MQTT-QoS') ?? 0);
  const version = get('MQTT-Version');
  return { protocolVersion: MQTT_VERSIONS[version ?? 'mqtt5.0'] ?? 5, qos: qos === 1 || qos === 2 ? qos : 0, versionGiven: version !== undefined };
}

/** The headers of stored receiverInfo that may be sent (rows stored before these rules are filtered when sent). */
export const sendableHeaders = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([k, v]) =>
    // eslint-disable-next-line no-control-regex
    HEADER_NAME.test(k) && !FORBIDDEN_HEADERS.has(k.toLowerCase()) && typeof v === 'string' && !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v)));

/** An MQTT broker's host and port as the URL the platform guard checks (it speaks http(s) only). */
const asHttp = (url: URL) => `http://${url.host}/`;

/**
 * Checks a notification endpoint without connecting: the scheme, a literal address, `localhost`; throws
 * OutboundUrlError. MQTT brokers are judged by their host and port (credentials in an MQTT URL are the broker
 * login and stay allowed).
 *
 * @example checkEndpoint('http://169.254.169.254/', { allow: [] }) // throws
 */
export function checkEndpoint(uri: string, policy: OutboundPolicy): void {
  const url = new URL(uri);
  if (url.protocol === 'mqtt:' || url.protocol === 'mqtts:') checkOutboundUrl(asHttp(url), policy);
  else checkOutboundUrl(uri, policy);
}

/**
 * The address to open an MQTT broker's socket on: its name resolved and every address checked, so a name that
 * resolves (or rebinds) to 127.0.0.1 is refused; the socket goes to the address checked. Names the city allows
 * are not resolved here.
 */
export async function resolveBroker(url: URL, policy: OutboundPolicy): Promise<string> {
  checkOutboundUrl(asHttp(url), policy);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) || policy.allow.some((a) => a.toLowerCase() === host.toLowerCase())) return host;
  const addresses = await lookup(host, { all: true });
  const bad = addresses.find((a) => !addressAllowed(a.address, policy));
  if (bad || addresses.length === 0) throw new OutboundUrlError(`${url.protocol}//${url.host}`, `${host} resolves to ${bad?.address ?? 'nothing'}, a private, loopback or link-local address`);
  return addresses[0].address;
}
