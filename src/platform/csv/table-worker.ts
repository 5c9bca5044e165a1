// Worker thread entry: reads uploaded tables (CSV, XLSX) off the main thread for TableReaderPool, one at a time,
// handing rows back in batches and waiting for the reader to ask for more (so memory stays at two batches).
import { parentPort } from 'node:worker_threads';
import { isTableError, tableErrorData } from './table-errors.js';
import { readTable, type TableRow } from './table-reading.js';
import type { ToWorker, FromWorker } from './table-reader-pool.js';

/** Rows per message: small enough that the server handles one batch between two other requests. */
const BATCH_ROWS = 200;
/** Batches a worker may send before the reader asks for more. */
const CREDITS = 2;

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

interface Job {
  id: number;
  credits: number;
  cancelled: boolean;
  wake?: () => void;
}
let current: Job | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'read') {
    const job: Job = { id: m.id, credits: CREDITS, cancelled: false };
    current = job;
    void run(job, m).finally(() => { if (current === job) current = undefined; });
    return;
  }
  if (!current || current.id !== m.id) return;
  if (m.type === 'more') current.credits++;
  else current.cancelled = true;
  current.wake?.();
});

async function run(job: Job, m: Extract<ToWorker, { type: 'read' }>): Promise<void> {
  const waitForCredit = async () => {
    while (job.credits <= 0 && !job.cancelled) await new Promise<void>((resolve) => { job.wake = resolve; });
    job.wake = undefined;
  };
  let batch: TableRow[] = [];
  try {
    const rows = readTable(m.bytes, m.format, m.limits, (encoding) => post({ type: 'encoding', id: job.id, encoding }));
    for await (const row of rows) {
      batch.push(row);
      if (batch.length < BATCH_ROWS) continue;
      await waitForCredit();
      if (job.cancelled) return;
      job.credits--;
      post({ type: 'rows', id: job.id, rows: batch });
      batch = [];
    }
    await waitForCredit();
    if (job.cancelled) return;
    if (batch.length > 0) post({ type: 'rows', id: job.id, rows: batch });
    post({ type: 'end', id: job.id });
  } catch (err) {
    // The rows before the fault go first (the reader learns the header, to name the column at fault).
    if (batch.length > 0 && !job.cancelled) post({ type: 'rows', id: job.id, rows: batch });
    if (isTableError(err)) post({ type: 'error', id: job.id, error: tableErrorData(err) });
    else post({ type: 'failed', id: job.id, message: (err as Error)?.message ?? String(err) });
  }
}
