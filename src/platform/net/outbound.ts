import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * The one guard for every URL CityHub calls on someone's behalf (subscription notifications, remote JSON-LD
 * contexts): only http(s), and no address in loopback, private, link-local (cloud metadata), shared, multicast or
 * unspecified ranges unless the city allows it. The address is checked when the socket connects (after DNS), on
 * every redirect too, so a name that resolves to 127.0.0.1, a rebinding name, or a redirect to
 * 169.254.169.254 are all refused.
 */
export interface OutboundPolicy {
  /** Hosts (exact names) or networks (`10.1.0.0/16`, `::1/128`, a bare address) allowed despite the ranges above. */
  allow: readonly string[];
}

/** Networks never called unless allowed: RFC 6890 special-purpose ranges a request must not reach. */
const deniedNetworks: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network", 0.0.0.0
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
  ['ff00::', 8, 'ipv6'], // multicast
  ['64:ff9b::', 96, 'ipv6'], // NAT64 onto IPv4 ranges
];

const denied = new BlockList();
for (const [address, prefix, family] of deniedNetworks) denied.addSubnet(address, prefix, family);

/** IPv4 behind an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as IPv4. */
const unmapped = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

const allowList = (policy: OutboundPolicy): { hosts: Set<string>; networks: BlockList } => {
  const networks = new BlockList();
  const hosts = new Set<string>();
  for (const entry of policy.allow) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) hosts.add(entry.toLowerCase());
    else networks.addSubnet(address, prefix ? Number(prefix) : family === 4 ? 32 : 128, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { hosts, networks };
};

export class OutboundUrlError extends Error {
  constructor(readonly url: string, reason: string) {
    super(`outbound call to ${url} refused: ${reason}`);
    this.name = 'OutboundUrlError';
  }
}

/** Whether an address may be called under the policy. */
export function addressAllowed(address: string, policy: OutboundPolicy): boolean {
  const ip = unmapped(address);
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (!denied.check(ip, family)) return true;
  return allowList(policy).networks.check(ip, family);
}

/**
 * Checks what can be checked without connecting: the scheme, credentials in the URL, and a literal address.
 * Names are checked at connect time by `outboundRequest`. Returns the parsed URL.
 *
 * @example const url = checkOutboundUrl(subscription.endpoint, policy); // throws OutboundUrlError
 */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlError(raw, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundUrlError(raw, `scheme ${url.protocol} is not http(s)`);
  if (url.username || url.password) throw new OutboundUrlError(raw, 'credentials in the URL');
  // WHATWG URL has already turned 2130706433, 0x7f.1 and 017700000001 into 127.0.0.1.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowList(policy).hosts.has(host.toLowerCase())) return url;
  if (isIP(host) && !addressAllowed(host, policy)) throw new OutboundUrlError(raw, `address ${host} is in a private, loopback or link-local range`);
  if (host === 'localhost' || host.endsWith('.localhost')) throw new OutboundUrlError(raw, 'localhost');
  return url;
}

/** A DNS lookup that refuses any resolved address the policy denies (checked for the socket actually opened). */
const guardedLookup = (policy: OutboundPolicy, host: string): LookupFunction => (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const list = addresses as LookupAddress[];
    const allowedHost = allowList(policy).hosts.has(host.toLowerCase());
    const bad = list.find((a) => !allowedHost && !addressAllowed(a.address, policy));
    if (bad) return callback(new OutboundUrlError(host, `${host} resolves to ${bad.address}, a private, loopback or link-local address`), '', 4);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0].address, list[0].family);
  });
};

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  /** Redirects followed, each one checked again (default 3). */
  maxRedirects?: number;
  /** Largest response body read, in bytes (default 1 MiB); more is an error. */
  maxBytes?: number;
  /**
   * Receives a successful (2xx) answer's body piece by piece as it arrives (a server-sent event stream) instead
   * of collecting it; the size limit and the deadline still hold. Other answers are collected as usual.
   */
  onChunk?: (chunk: Buffer) => void;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Calls a URL under the policy: the URL is checked, the socket's address is checked after DNS, every redirect is
 * checked again, the answer is size-limited and the whole call has a deadline.
 *
 * @example const res = await outboundRequest(endpoint, policy, { method: 'POST', body, headers, timeoutMs: 5000 });
 */
export async function outboundRequest(raw: string, policy: OutboundPolicy, request: OutboundRequest): Promise<OutboundResponse> {
  let target = raw;
  let method = request.method ?? 'GET';
  let body = request.body;
  for (let hop = 0; ; hop++) {
    const res = await once(checkOutboundUrl(target, policy), policy, { ...request, method, body });
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || !location) return res;
    if (hop >= (request.maxRedirects ?? 3)) throw new OutboundUrlError(raw, 'too many redirects');
    target = new URL(location, target).toString();
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
  }
}

function once(url: URL, policy: OutboundPolicy, request: OutboundRequest): Promise<OutboundResponse> {
  const client = url.protocol === 'https:' ? https : http;
  const maxBytes = request.maxBytes ?? 1_048_576;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: request.method,
        headers: { ...request.headers, ...(request.body ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}) },
        lookup: guardedLookup(policy, url.hostname.replace(/^\[|\]$/g, '')),
        timeout: request.timeoutMs,
        signal: AbortSignal.timeout(request.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const streamed = request.onChunk && (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? request.onChunk : undefined;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxBytes && !streamed) return void chunks.push(chunk);
          if (size <= maxBytes && streamed) {
            try {
              return streamed(chunk);
            } catch (err) {
              // A piece the reader refuses (malformed event) ends the call with its error.
              reject(err);
              return void res.destroy();
            }
          }
          reject(new OutboundUrlError(url.toString(), `answer larger than ${maxBytes} bytes`));
          res.destroy();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        // After a refusal above the promise is settled; what destroying the answer raises changes nothing.
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
