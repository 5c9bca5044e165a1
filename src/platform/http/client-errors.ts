import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';

/** What a module answers for a request that failed before routing (too large a request line or headers). */
export interface ClientErrorBody {
  contentType: string;
  body: string;
}

/** Renders the answer for a failed request under a module's prefix: its status, title and the path sent. */
export type ClientErrorRenderer = (status: number, title: string, path: string) => ClientErrorBody;

/** The request target of the raw bytes Node could not parse (`GET /open311/v2/requests.json?… HTTP/1.1`). */
const requestTarget = (raw: unknown): string =>
  (Buffer.isBuffer(raw) ? /^[A-Z]+ (\S+)/.exec(raw.subarray(0, 4096).toString('latin1'))?.[1] : undefined) ?? '';

/**
 * Answers requests Node's HTTP parser refuses before Fastify sees them: a request line or headers over Node's
 * limit (16 KiB: a 16 KB URL) is 431, anything else malformed 400. Fastify's own answer is a JSON shape of its
 * own; here it is RFC 9457 problem+json like every other error, or — under a prefix a module registered — the
 * module's own error format (Open311's errors array).
 */
export class ClientErrorResponses {
  private readonly renderers: { prefix: string; render: ClientErrorRenderer }[] = [];

  /** Routes under `prefix` answer parser failures through `render`. */
  register(prefix: string, render: ClientErrorRenderer): void {
    this.renderers.push({ prefix, render });
  }

  /** The `clientError` handler (Fastify's `clientErrorHandler` option). */
  readonly handle = (err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    // A reset connection has nobody left to answer (Node's clientError documentation).
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const title = status === 431 ? 'The request line or its headers are too large' : STATUS_CODES[status] ?? 'Bad Request';
    const path = requestTarget(err.rawPacket);
    const renderer = this.renderers.find((r) => path.startsWith(r.prefix));
    const { contentType, body } = renderer
      ? renderer.render(status, title, path)
      : { contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title, status, code: status === 431 ? 'REQUEST_HEADERS_TOO_LARGE' : 'BAD_REQUEST' }) };
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
