// Runs in the CLI process: a progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise).

export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = Date.now();
  let lastDecile = -1;
  let lastDraw = 0;
  return {
    update(done, total) {
      const fraction = total > 0 ? done / total : 1;
      if (stream.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return; // redraw at most ten times a second
        lastDraw = now;
        const width = 30;
        const filled = Math.round(fraction * width);
        const rate = done / Math.max(0.001, (now - started) / 1000);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(rate)}/s `);
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(`${label}: ${done}/${total}\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
