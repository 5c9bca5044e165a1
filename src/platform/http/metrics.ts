import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { App } from './server.js';
import type { PoolLike } from '../db/database.js';

const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/** The event-loop monitor's sampling interval (ms); its figures are the intervals it saw, this included. */
const LOOP_RESOLUTION_MS = 10;

/** Seconds a sampled interval ran over the monitor's resolution (0 when none was sampled). */
const lateBy = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1000 : 0);

const escapeLabel = (v: string): string => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

/**
 * Request counts and latencies by route, in the Prometheus text format (version 0.0.4). Every series carries
 * the node's name (`node="…"`), so the nodes behind one load balancer can be told apart and summed.
 */
export class HttpMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Series>();
  private readonly node: string;
  /** How late the event loop ran its timers: a node whose CPU is saturated answers late whatever its code does. */
  private readonly loopDelay: IntervalHistogram;

  constructor(nodeId: string) {
    this.node = `node="${escapeLabel(nodeId)}"`;
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loopDelay.enable();
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const countKey = `${this.node},method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`;
    this.requests.set(countKey, (this.requests.get(countKey) ?? 0) + 1);
    const durationKey = `${this.node},method="${escapeLabel(method)}",route="${escapeLabel(route)}"`;
    const series = this.durations.get(durationKey) ?? { count: 0, sum: 0, buckets: buckets.map(() => 0) };
    series.count += 1;
    series.sum += seconds;
    buckets.forEach((le, i) => {
      if (seconds <= le) series.buckets[i] += 1;
    });
    this.durations.set(durationKey, series);
  }

  render(pool: PoolLike): string {
    const lines: string[] = [
      '# HELP cityhub_http_requests_total HTTP requests by route and status.',
      '# TYPE cityhub_http_requests_total counter',
      ...[...this.requests].map(([labels, n]) => `cityhub_http_requests_total{${labels}} ${n}`),
      '# HELP cityhub_http_request_duration_seconds HTTP request latency by route.',
      '# TYPE cityhub_http_request_duration_seconds histogram',
    ];
    for (const [labels, s] of this.durations) {
      buckets.forEach((le, i) => lines.push(`cityhub_http_request_duration_seconds_bucket{${labels},le="${le}"} ${s.buckets[i]}`));
      lines.push(`cityhub_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      lines.push(`cityhub_http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      lines.push(`cityhub_http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    lines.push(
      '# HELP cityhub_db_pool_connections Database pool connections by state.',
      '# TYPE cityhub_db_pool_connections gauge',
      `cityhub_db_pool_connections{${this.node},state="total"} ${pool.totalCount}`,
      `cityhub_db_pool_connections{${this.node},state="idle"} ${pool.idleCount}`,
      `cityhub_db_pool_connections{${this.node},state="waiting"} ${pool.waitingCount}`,
      '# HELP cityhub_event_loop_delay_seconds How late the event loop ran, since the previous scrape (p50, p99, max).',
      '# TYPE cityhub_event_loop_delay_seconds gauge',
      ...([['0.5', this.loopDelay.percentile(50)], ['0.99', this.loopDelay.percentile(99)], ['1', this.loopDelay.max]] as const)
        .map(([q, ns]) => `cityhub_event_loop_delay_seconds{${this.node},quantile="${q}"} ${lateBy(ns)}`),
      '# HELP cityhub_process_resident_memory_bytes Resident memory of the process.',
      '# TYPE cityhub_process_resident_memory_bytes gauge',
      `cityhub_process_resident_memory_bytes{${this.node}} ${process.memoryUsage().rss}`,
    );
    // Each scrape reports the interval since the one before, as Prometheus clients do for this figure.
    this.loopDelay.reset();
    return `${lines.join('\n')}\n`;
  }

  /** Times every request; the route is the registered pattern, so ids do not explode the label set. */
  register(app: App): void {
    app.addHook('onClose', async () => this.loopDelay.disable());
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
}
