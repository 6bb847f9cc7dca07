// Runs in the party (plain Node): what the operator's controls have asked for (pause, leave, abort), shared by the controls and the serving loop.
import { sleep } from '../transport/backoff.js';
import type { Metadata } from '../wire/proto/record-types.js';
import type { ScheduleGate } from './schedule-gate.js';

export class PartyControls {
  paused = false;
  /** Set by leave(); finish: false means the task in hand is being stopped. */
  leave: { finish: boolean } | undefined;
  /** A message from the server is being served (received, worked on, answered). */
  working = false;
  /** The operator asked to abort the task in hand. */
  stopRequested = false;
  /** Aborted when the party must stop waiting for anything (left without finishing, grace over). */
  readonly hard = new AbortController();
  /** The connection of the moment: aborted when the node is lost or the party leaves while not working. */
  session: AbortController | undefined;
  #wake: AbortController | undefined;
  /** The site's participation schedule; absent: any time. */
  schedule: ScheduleGate | undefined;

  /** Why a message that arrives now is declined, or null to serve it. */
  declining(metadata: Metadata): string | null {
    if (this.leave) return 'it is leaving the federation';
    if (this.paused) return 'it is paused by its operator';
    return this.schedule?.declining(metadata) ?? null;
  }

  /** Waits between polls; leave() cuts the wait short. */
  async idle(ms: number, signal: AbortSignal): Promise<void> {
    this.#wake = new AbortController();
    await sleep(ms, AbortSignal.any([signal, this.#wake.signal])).catch(() => {});
  }

  wake(): void {
    this.#wake?.abort();
  }

  /** A new connection's signal: ends with the connection or with the party. */
  startSession(): AbortSignal {
    this.session = new AbortController();
    return AbortSignal.any([this.session.signal, this.hard.signal]);
  }
}
