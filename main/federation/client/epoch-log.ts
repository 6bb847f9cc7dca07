// Runs in the party (plain Node): the epoch log beside the audit log, one JSON line per finished epoch of a round's training.
// Epochs never leave the site, so the audit log has none: this log keeps them for the history shown after a restart.
import { JsonLinesLog } from './json-lines.js';
import type { EpochDone } from './party-events.js';

/** Where a party keeps its finished epochs: beside its audit log, `federation-audit.jsonl` -> `federation-audit.epochs.jsonl`. */
export function epochLogOf(auditLog: string): string {
  return `${auditLog.replace(/\.jsonl$/, '')}.epochs.jsonl`;
}

/** Appends each finished epoch in call order; the first failed write is reported (disk full, say), later ones are not repeated. */
export class EpochLog {
  readonly #log: JsonLinesLog;
  #failed = false;

  constructor(auditLog: string, onError: (message: string) => void) {
    this.#log = new JsonLinesLog(epochLogOf(auditLog), 'epoch log', (error) => {
      if (!this.#failed) onError(`${error.message}; this run's epochs will not be there after a restart`);
      this.#failed = true;
    });
  }

  get file(): string {
    return this.#log.file;
  }

  /** A line as the contract's epoch progress reads it (`kind: 'epoch'`), with the time it finished. */
  append(done: EpochDone, now: Date = new Date()): Promise<void> {
    return this.#log.append({ time: now.toISOString(), kind: 'epoch', ...done });
  }

  /** Resolves once every line appended so far is written (or its failure reported). */
  flushed(): Promise<void> {
    return this.#log.flushed();
  }
}
