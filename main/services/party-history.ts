// Runs in the services process (plain Node): this session's round summaries and finished epochs, so a page opened late draws the whole run.
import type { EpochProgress, RoundSummary } from '../../common/contract/party-api.js';

/** A federation of a thousand rounds is long; beyond that the oldest go, so memory stays flat on a party left running for months. */
const KEPT = 1000;

export class PartyHistory {
  readonly #rounds: RoundSummary[] = [];
  readonly #epochs: EpochProgress[] = [];

  addRound(summary: RoundSummary): void {
    keep(this.#rounds, summary);
  }

  addEpoch(epoch: EpochProgress): void {
    keep(this.#epochs, epoch);
  }

  /** A new join starts a new run. */
  clear(): void {
    this.#rounds.length = 0;
    this.#epochs.length = 0;
  }

  snapshot(): { rounds: RoundSummary[]; epochs: EpochProgress[] } {
    return { rounds: [...this.#rounds], epochs: [...this.#epochs] };
  }
}

function keep<T>(items: T[], item: T): void {
  items.push(item);
  if (items.length > KEPT) items.shift();
}
