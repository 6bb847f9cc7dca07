// Runs in the party (plain Node): the federation run this party serves: which one it is, how far it has come,
// whether the server has finished it; and a lost server said once.
import { TransportError } from '../transport/transport-error.js';
import type { GetRunResponse } from '../wire/proto/fleet-types.js';
import type { FleetClient } from './fleet-client.js';
import type { PartyEvent, RoundSummary, ServedRun } from './party-events.js';

/** How often an idle party asks whether its run has finished: well inside the 10 s the reference aggregator stays up after its last round. */
export const RUN_CHECK_EVERY_MS = 5_000;

/** What a GetRun answer or refusal says of a finished run: its sub-status (completed, failed, stopped), or null while it runs. */
function finishedAs(answer: GetRunResponse | TransportError): string | null {
  // Flower's SuperLink refuses GetRun for a finished run (check_abort: "Run is finished."); the reference aggregator answers its status.
  if (answer instanceof TransportError) {
    if (!/\bRun is finished\b/i.test(answer.details)) return null;
    return /Stopped by user/i.test(answer.details) ? 'stopped' : '';
  }
  const status = answer.run?.status;
  return status?.status === 'finished' ? status.subStatus : null;
}

/**
 * A refusal from a server that did answer, not a network failure or a gateway's "not now": asking again would only repeat
 * it. Flower's REST routes turn every refusal into a bare HTTP 500 (and log a traceback each time), so a 500 counts too.
 */
function refusedOutright(error: TransportError): boolean {
  return !error.retryable || error.code === 'HTTP 500';
}

/**
 * A restarted aggregator starts a new run whose rounds count from 1 again: whatever keeps or shows rounds must know
 * which run each belongs to, from the first batch of training on. When the run is over the server closes sooner or
 * later; the operator is told the federation finished, not shown the connection error that follows.
 */
export class RunWatch {
  #run: ServedRun | null = null;
  #checkedAt = -Infinity;
  /** The server was lost and the operator told so; until it answers again, nothing more is said. */
  #lost = false;
  /** The run whose GetRun the server refused without saying it finished: not asked again. */
  #unansweredRunId: string | null = null;

  constructor(private readonly emit: (event: PartyEvent) => void) {}

  get run(): ServedRun | null {
    return this.#run;
  }

  /** A message of run `runId` is about to be served. */
  serving(runId: bigint): void {
    const id = String(runId);
    if (this.#run?.runId === id && !this.#run.finished) return;
    this.#run = { runId: id, lastRound: null, finished: false };
    this.#checkedAt = performance.now();
    this.emit({ type: 'run', ...this.#run });
  }

  /** A message was handled: its round is the run's latest when it is the highest yet. */
  served({ runId, round }: Pick<RoundSummary, 'runId' | 'round'>): void {
    const run = this.#run;
    if (run?.runId !== runId || round === null) return;
    this.#run = { ...run, lastRound: Math.max(run.lastRound ?? round, round) };
  }

  /**
   * No work came: every so often, ask the server (GetRun) whether the run has finished. A network failure is for the next
   * poll to find; a plain refusal is said once and that run is not asked about again.
   */
  async check(client: FleetClient, nodeId: bigint, signal: AbortSignal): Promise<void> {
    const run = this.#run;
    if (!run || run.finished || run.runId === this.#unansweredRunId || performance.now() - this.#checkedAt < RUN_CHECK_EVERY_MS) return;
    this.#checkedAt = performance.now();
    const answer = await client
      .getRun(nodeId, BigInt(run.runId), { signal, timeoutMs: RUN_CHECK_EVERY_MS })
      .catch((error: unknown) => (error instanceof TransportError ? error : null));
    const current = this.#run; // a round may have been served meanwhile
    if (answer === null || current?.runId !== run.runId || current.finished) return;
    const subStatus = finishedAs(answer);
    if (subStatus !== null) this.#finished(current, subStatus);
    else if (answer instanceof TransportError && refusedOutright(answer)) this.#giveUpAsking(current, answer);
  }

  #finished(run: ServedRun, subStatus: string): void {
    this.#run = { ...run, finished: true };
    const how = subStatus && subStatus !== 'completed' ? ` (${subStatus})` : '';
    this.emit({ type: 'run', ...this.#run });
    this.emit({
      type: 'notice',
      message: `federation finished${how}: ${this.#words(this.#run)}, the server says; staying connected in case it starts another run`,
    });
  }

  #giveUpAsking(run: ServedRun, refusal: TransportError): void {
    this.#unansweredRunId = run.runId;
    this.emit({
      type: 'notice',
      message:
        `the server does not say whether run ${run.runId} has finished (GetRun refused: ${refusal.code}); ` +
        'not asking again during this run, serving on',
    });
  }

  /** The server cannot be reached, or no longer knows this node: said once until it answers again (not once per retry). */
  lost(reason: string, then: string): void {
    if (this.#lost) return;
    this.#lost = true;
    const run = this.#run;
    // A server closing after its run finished is expected: its connection error would only alarm.
    if (run?.finished)
      this.emit({ type: 'notice', message: `federation finished (${this.#words(run)}); the server has since closed; ${then}` });
    else this.emit({ type: 'error', message: `lost the connection to the server (${reason}); ${then}` });
  }

  /** The server answered: a later loss is news again. */
  reached(): void {
    this.#lost = false;
  }

  #words({ runId, lastRound }: ServedRun): string {
    return `run ${runId}, ${lastRound === null ? 'no rounds' : `${lastRound} ${lastRound === 1 ? 'round' : 'rounds'}`}`;
  }
}
