/** One value a module reports about its own work (a queue's depth, a lag), shown on /metrics with the node's name. */
export interface Gauge {
  /** `cityhub_…`, Prometheus style */
  name: string;
  help: string;
  value: number;
}

/** Reads a module's gauges when /metrics is scraped. */
export type GaugeSource = () => Promise<Gauge[]>;

const escapeLabel = (v: string): string => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

/**
 * What one node tells the load balancer and Prometheus beyond its HTTP counters: whether it is draining (readiness
 * is withdrawn on SIGTERM before the server stops taking requests) and the gauges of the work it shares with the
 * other nodes (queue depths, claims held, lag).
 */
export class NodeStatus {
  draining = false;

  constructor(readonly nodeId: string, private readonly sources: GaugeSource[]) {}

  /** The gauges in the Prometheus text format, each labelled with this node. */
  async renderGauges(): Promise<string> {
    const gauges = (await Promise.all(this.sources.map((read) => read()))).flat();
    const node = `node="${escapeLabel(this.nodeId)}"`;
    return gauges.map((g) => `# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n${g.name}{${node}} ${g.value}\n`).join('');
  }
}
