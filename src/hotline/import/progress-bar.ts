import type { ImportProgress } from './ticket-importer.js';

const fmt = new Intl.NumberFormat('en-US');

/** Rows per second of this run (rows done before a resume are not counted). */
export const rowsPerSecond = (p: ImportProgress): number =>
  p.elapsedMs > 0 ? ((p.rowsDone - p.resumedFrom) * 1000) / p.elapsedMs : 0;

/** One status line: `[#####-----]  52% 5,200 rows · 3,100 rows/s · 5,180 new · 20 bad · 0 existing`. */
export function progressLine(p: ImportProgress, width = 24): string {
  const parts = [
    `${fmt.format(p.rowsDone)} rows`,
    `${fmt.format(Math.round(rowsPerSecond(p)))} rows/s`,
    `${fmt.format(p.imported)} new`,
    `${fmt.format(p.bad)} bad`,
    `${fmt.format(p.existing)} existing`,
  ];
  if (!p.estimatedRows) return parts.join(' · ');
  const ratio = Math.min(1, p.rowsDone / p.estimatedRows);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${parts.join(' · ')}`;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

/**
 * Draws the progress on stderr: redrawn in place on a terminal (at most 10 times a second), one line per
 * `intervalMs` otherwise (logs, CI), and always the final state.
 */
export function progressReporter(out: ProgressStream, intervalMs = 1000) {
  let last = 0;
  let drawn = false;
  return {
    update(p: ImportProgress) {
      const now = Date.now();
      if (out.isTTY) {
        if (now - last < 100) return;
        out.write(`\r${progressLine(p)}\u001b[K`);
        drawn = true;
      } else {
        if (now - last < intervalMs) return;
        out.write(`${progressLine(p)}\n`);
      }
      last = now;
    },
    /** Ends the bar line before other output (a bad-row report) is written. */
    interrupt() {
      if (out.isTTY && drawn) {
        out.write('\r\u001b[K');
        drawn = false;
      }
    },
    done(p: ImportProgress) {
      out.write(`${out.isTTY ? '\r' : ''}${progressLine(p)}${out.isTTY ? '\u001b[K' : ''}\n`);
    },
  };
}
