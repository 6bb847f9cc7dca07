// Runs in the party (plain Node): the federation run this party serves: which one it is and how far it has come.
import type { RoundSummary, ServedRun } from './party-events.js';

/**
 * A restarted aggregator starts a new run whose rounds count from 1 again: whatever keeps or shows rounds must know
 * which run each belongs to, from the first batch of training on, not only once the round is over.
 */
export class RunWatch {
  #run: ServedRun | null = null;

  get run(): ServedRun | null {
    return this.#run;
  }

  /** A message of run `runId` is about to be served. */
  serving(runId: bigint): void {
    const id = String(runId);
    if (this.#run?.runId !== id) this.#run = { runId: id, lastRound: null };
  }

  /** A message was handled: its round is the run's latest when it is the highest yet. */
  served({ runId, round }: Pick<RoundSummary, 'runId' | 'round'>): void {
    const run = this.#run;
    if (run?.runId !== runId || round === null) return;
    this.#run = { ...run, lastRound: Math.max(run.lastRound ?? round, round) };
  }
}
