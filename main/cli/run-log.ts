// Runs in the CLI process: `--log FILE`: a run's record as JSON lines (the backend and why, each epoch, the evaluation), for an operator to keep.
import { appendFileSync } from 'node:fs';

export type RunLog = (event: string, fields?: object) => void;

/** Appends one line per event, synchronously: a run stopped by Ctrl-C or a crash keeps every line written before it. */
export function runLog(file: string): RunLog {
  return (event, fields = {}) => appendFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}
