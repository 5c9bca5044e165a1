import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TableLimitError, tableErrorFrom, type TableErrorData } from './table-errors.js';
import type { TextEncodingName } from './text-encoding.js';
import type { TableFormat, TableLimits, TableRow } from './table-reading.js';

/** Messages to a table worker (`table-worker.ts`). */
export type ToWorker =
  | { type: 'read'; id: number; bytes: Uint8Array; format: TableFormat; limits: TableLimits }
  | { type: 'more'; id: number }
  | { type: 'cancel'; id: number };

/** Messages from a table worker. */
export type FromWorker =
  | { type: 'encoding'; id: number; encoding: TextEncodingName }
  | { type: 'rows'; id: number; rows: TableRow[] }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; error: TableErrorData }
  | { type: 'failed'; id: number; message: string };

export interface TableReaderPoolOptions {
  /** Worker threads reading at once (more uploads wait for one). */
  workers: number;
  /** Old-generation heap of each worker, in MiB: a file needing more ends that worker, not the server. */
  memoryMb: number;
  /** Longest a worker may work on one batch of rows before it is stopped (a `timeout` limit error). */
  batchTimeoutMs: number;
}

/** tsx's ESM API file (the package's `import` export). */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return path.join(path.dirname(pkgFile), pkg.exports['./esm/api'].import.default);
}

/**
 * The worker module: the compiled `.js` next to this file in dist/, or the `.ts` source under tsx/vitest, where a
 * small bootstrap registers tsx's loader in the worker first (Node 20 workers ignore `--import` in execArgv).
 */
function startWorker(options: TableReaderPoolOptions): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, options.memoryMb >> 3)) };
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './table-worker.ts' : './table-worker.js', import.meta.url);
  if (!fromSource) return new Worker(url, { resourceLimits });
  const tsx = pathToFileURL(tsxEsmApi()).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

interface Slot {
  worker: Worker;
  job?: TableReading;
}

/**
 * One table being read by a worker: iterate it for its rows (batches arrive as they are asked for); `encoding`
 * is set (CSV) before the first row. Leaving the loop early cancels the reading.
 */
export class TableReading implements AsyncIterable<TableRow> {
  encoding: TextEncodingName | undefined;
  private readonly batches: TableRow[][] = [];
  private done = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  slot: Slot | undefined;

  constructor(
    readonly id: number,
    private readonly pool: TableReaderPool,
    private readonly timeoutMs: number,
  ) {}

  /** Called by the pool for each message of this reading's worker. */
  receive(m: FromWorker): void {
    this.disarm();
    if (m.type === 'encoding') this.encoding = m.encoding;
    else if (m.type === 'rows') this.batches.push(m.rows);
    else if (m.type === 'end') this.finish();
    else if (m.type === 'error') this.finish(tableErrorFrom(m.error));
    else if (m.type === 'failed') this.finish(new Error(`reading the table failed: ${m.message}`));
    if (!this.done && this.batches.length === 0) this.arm();
    this.wake?.();
  }

  /** The worker ended (out of memory, crashed or stopped): the reading fails with what happened. */
  fail(err: Error): void {
    if (this.done) return;
    this.finish(err);
    this.wake?.();
  }

  /** Starts the clock for the worker's next batch. */
  arm(): void {
    this.disarm();
    this.timer = setTimeout(() => this.pool.timedOut(this), this.timeoutMs);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private finish(err?: Error): void {
    this.disarm();
    this.done = true;
    this.error = err;
    this.pool.release(this);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TableRow> {
    try {
      for (;;) {
        const batch = this.batches.shift();
        if (batch) {
          if (!this.done) this.pool.more(this);
          yield* batch;
          // Rows that are already here resolve as microtasks: without a turn of the event loop between batches,
          // a reader faster than its consumer would keep every other request (and /healthz) waiting.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        if (this.error) throw this.error;
        if (this.done) return;
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
      }
    } finally {
      if (!this.done) this.pool.cancel(this);
    }
  }
}

/**
 * Worker threads that read uploaded CSV and XLSX files, so parsing (and a hostile file) never stalls the event
 * loop: `/healthz` and every other request keep being answered while a workbook is inflated and scanned.
 * Workers start on first use and are kept (idle ones do not hold the process open); each is bounded in memory,
 * and one that runs out of memory or overruns the batch timeout is ended and replaced.
 *
 * @example
 * const reading = pool.read(bytes, 'xlsx', limits);
 * for await (const { line, cells } of reading) use(line, cells);
 */
export class TableReaderPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: { reading: TableReading; message: ToWorker; transfer: ArrayBuffer[] }[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: TableReaderPoolOptions) {}

  /** Starts reading a copy of `bytes` in a worker (the caller's buffer is left alone). */
  read(bytes: Uint8Array, format: TableFormat, limits: TableLimits): TableReading {
    if (this.closed) throw new Error('the table reader pool is closed');
    const reading = new TableReading(this.nextId++, this, this.options.batchTimeoutMs);
    const copy = new Uint8Array(bytes); // its own ArrayBuffer, transferred: Buffers may share a pool
    this.waiting.push({ reading, message: { type: 'read', id: reading.id, bytes: copy, format, limits }, transfer: [copy.buffer] });
    this.dispatch();
    return reading;
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.options.workers) slot = this.spawn();
      if (!slot) return;
      const next = this.waiting.shift()!;
      slot.job = next.reading;
      next.reading.slot = slot;
      slot.worker.ref();
      slot.worker.postMessage(next.message, next.transfer);
      next.reading.arm();
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(this.options) };
    slot.worker.on('message', (m: FromWorker) => { if (slot.job?.id === m.id) slot.job.receive(m); });
    const gone = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const job = slot.job;
      slot.job = undefined;
      job?.fail(err);
      if (!this.closed) this.dispatch();
    };
    slot.worker.on('error', (err: Error & { code?: string }) => gone(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? new TableLimitError('memory', this.options.memoryMb, `reading the file needs more than ${this.options.memoryMb} MiB`)
      : err));
    slot.worker.on('exit', (code) => gone(new Error(`the table worker exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  /** @internal the reading consumed a batch: the worker may send another. */
  more(reading: TableReading): void {
    reading.slot?.worker.postMessage({ type: 'more', id: reading.id } satisfies ToWorker);
    reading.arm();
  }

  /** @internal the reader stopped early. */
  cancel(reading: TableReading): void {
    const queued = this.waiting.findIndex((w) => w.reading === reading);
    if (queued >= 0) this.waiting.splice(queued, 1);
    reading.slot?.worker.postMessage({ type: 'cancel', id: reading.id } satisfies ToWorker);
    reading.fail(new Error('cancelled'));
  }

  /** @internal the reading is over (ended, failed or cancelled): its worker takes the next one. */
  release(reading: TableReading): void {
    const slot = reading.slot;
    reading.slot = undefined;
    if (slot && slot.job === reading) {
      slot.job = undefined;
      slot.worker.unref();
    }
    if (!this.closed) this.dispatch();
  }

  /** @internal the worker produced nothing within the batch timeout: it is ended and the reading fails. */
  timedOut(reading: TableReading): void {
    const slot = reading.slot;
    if (slot) {
      // Out of the pool first, so the reading's release does not hand this worker another file.
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.job = undefined;
      void slot.worker.terminate();
    }
    const seconds = Math.max(1, Math.round(this.options.batchTimeoutMs / 1000));
    reading.fail(new TableLimitError('timeout', seconds, `reading the file took longer than ${seconds} s without progress`));
  }

  /** Ends every worker (the module's stop). */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reading.fail(new Error('the server is stopping'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
