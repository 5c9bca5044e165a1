/**
 * A small HTTP load generator (autocannon-like): `connections` keep-alive connections each send one request after
 * another to a loopback URL, until `seconds` have passed or `maxRequests` were sent. Loopback only, by design.
 */
import http from 'node:http';
import { percentile } from '../stats.js';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  maxRequests: number;
}

export interface LoadResult {
  requests: number;
  /** requests per second */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** answers other than 2xx (a misconfigured run must not pass for a fast one) */
  non2xx: number;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export async function load(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  if (!LOOPBACK.has(target.hostname)) throw new Error(`load generator targets loopback only, not ${target.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let sent = 0;
  let non2xx = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const once = () => new Promise<void>((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(target, { agent, headers: options.headers }, (res) => {
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx += 1;
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        resolve();
      });
    });
    req.on('error', reject);
  });
  const worker = async () => {
    while (performance.now() < deadline && sent < options.maxRequests) {
      sent += 1;
      await once();
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: latencies.length, rate: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), non2xx };
}
