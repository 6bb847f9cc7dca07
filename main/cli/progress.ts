// Runs in the CLI process: progress on stderr: a bar redrawn in place on a terminal; elsewhere (a log file, CI, journald) a line at a steady pace.

export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

/**
 * Off a terminal, a progress line every 10 s: someone reading the log (or tailing it) sees within seconds that the work
 * is alive and how fast it goes, and tells a stall from slow work in a couple of lines, while a day-long run writes 8,640
 * lines (about 1 MB), not one per batch. A pace in time, not in work: a tenth of a slow epoch is minutes of silence.
 */
const LOG_LINE_INTERVAL_MS = 10_000;

/** Whether a progress line is due off a terminal: the first, then one per interval, and every `last` one (an epoch's end, the work's). */
export function steadyPace(intervalMs = LOG_LINE_INTERVAL_MS): (last: boolean) => boolean {
  let lastLine = -Infinity;
  return (last) => {
    const now = Date.now();
    if (!last && now - lastLine < intervalMs) return false;
    lastLine = now;
    return true;
  };
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = Date.now();
  const due = steadyPace();
  let lastDraw = 0;
  return {
    update(done, total) {
      const fraction = total > 0 ? done / total : 1;
      const now = Date.now();
      const rate = Math.round(done / Math.max(0.001, (now - started) / 1000));
      if (stream.isTTY) {
        if (now - lastDraw < 100 && done < total) return; // redraw at most ten times a second
        lastDraw = now;
        const width = 30;
        const filled = Math.round(fraction * width);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate}/s `);
      } else if (due(done >= total)) {
        const measured = now - started >= 1000; // the first line's rate would be one file over no time
        stream.write(`${label}: ${done}/${total}${measured ? ` (${rate}/s)` : ''}\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
