/** One `data:` payload of a chat-completions stream, or the end (`[DONE]`). */
export type StreamEvent = { done: true } | { done: false; data: string };

/**
 * Reads a server-sent event stream (WHATWG HTML §9.2) piece by piece: lines split on LF, CRLF or CR, `data:`
 * fields of one event joined by a newline, the event dispatched at a blank line; comments (`:`) and other fields
 * ignored. OpenAI-compatible servers end with `data: [DONE]`.
 *
 * @example const sse = new SseReader(); for (const e of sse.push('data: {"a":1}\n\n')) …
 */
export class SseReader {
  private buffer = '';
  private data: string[] = [];
  private readonly decoder = new TextDecoder();

  /** The events completed by this piece of the stream (bytes are decoded across piece boundaries). */
  push(piece: Uint8Array | string): StreamEvent[] {
    this.buffer += typeof piece === 'string' ? piece : this.decoder.decode(piece, { stream: true });
    const events: StreamEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone CR at the end may be the first half of CRLF: wait for the next piece.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) {
          const data = this.data.join('\n');
          this.data = [];
          events.push(data.trim() === '[DONE]' ? { done: true } : { done: false, data });
        }
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
    return events;
  }

  /** What is left when the stream closes without a final blank line (some servers): its last event. */
  end(): StreamEvent[] {
    return this.push('\n\n');
  }
}
