import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** A local HTTP endpoint that records what it receives (a subscriber); `hang` makes it never answer. */
export interface Sink {
  url: string;
  received: { body: Record<string, unknown>; headers: IncomingHttpHeaders; at: number }[];
  hang: boolean;
  /** Requests taken while hanging and not answered. */
  readonly pending: number;
  status: number;
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const hung: import('node:http').ServerResponse[] = [];
  const sink: Sink = {
    url: '',
    received: [],
    hang: false,
    status: 204,
    get pending() {
      return hung.length;
    },
    async waitFor(n, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (sink.received.length < n) {
        if (Date.now() > end) throw new Error(`expected ${n} notifications, got ${sink.received.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      if (sink.hang) {
        hung.push(res);
        return;
      }
      sink.received.push({ body: JSON.parse(data), headers: req.headers, at: Date.now() });
      res.statusCode = sink.status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  sink.url = `http://127.0.0.1:${addr.port}/notify`;
  return sink;
}
