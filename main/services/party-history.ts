// Runs in the services process (plain Node): the federation runs a site took part in, each with its round summaries and finished epochs, kept apart.
import type { ResultIn } from '../../common/contract/contract.js';
import type { EpochProgress, RoundSummary, RunHistory, RunSummary } from '../../common/contract/party-api.js';
import type { LocalEvaluationResult } from '../../common/local-evaluation.js';

/** A federation of a thousand rounds is long; beyond that a run's oldest go, so memory stays flat on a party left running for months. */
const KEPT = 1000;
/** A site that rejoins a restarted aggregator every day has a long list: the oldest runs go first. */
const RUNS_KEPT = 50;
/** A run's evaluations: at most this many rounds, and this many matrix cells in all (a 1000-class model keeps its last 4 rounds). */
const EVALUATIONS_KEPT = 200;
const EVALUATION_CELLS_KEPT = 4_000_000;

interface Run {
  runId: string;
  startedAt: string;
  lastAt: string;
  rounds: RoundSummary[];
  epochs: EpochProgress[];
  evaluations: LocalEvaluationResult[];
}

/**
 * Rounds count from 1 again in each run (a restarted aggregator starts a new one), so each run keeps its own rounds
 * and epochs: drawn together, round 4 of one run was followed by round 1 of the next, and the table swapped rows.
 */
export class PartyHistory {
  readonly #runs = new Map<string, Run>();

  /** Lines read from disk that could not be used (torn, edited, without a run id). */
  constructor(readonly unreadableLines = 0) {}

  /** `at`: when the message was handled (ISO-8601); `startedAt`: when it arrived, which may open its run. */
  addRound(summary: RoundSummary, at: string, startedAt = at): void {
    keep(this.#run(summary.runId, startedAt, at).rounds, summary);
  }

  /** An epoch outside any run cannot be placed; there is none, as a message's run is known before its training starts. */
  addEpoch(epoch: EpochProgress, at: string): void {
    if (epoch.runId !== null) keep(this.#run(epoch.runId, at, at).epochs, epoch);
  }

  /** A global model judged on the test split; a second evaluation of the same round replaces the first. */
  addEvaluation(evaluation: LocalEvaluationResult): void {
    const { evaluations } = this.#run(evaluation.runId, evaluation.time, evaluation.time);
    const same = evaluations.findIndex(({ round }) => round !== null && round === evaluation.round);
    if (same >= 0) evaluations.splice(same, 1);
    evaluations.push(evaluation);
    let cells = evaluations.reduce((sum, { classes }) => sum + classes.length ** 2, 0);
    while (evaluations.length > 1 && (evaluations.length > EVALUATIONS_KEPT || cells > EVALUATION_CELLS_KEPT)) {
      cells -= evaluations.shift()!.classes.length ** 2;
    }
  }

  /** Oldest first. */
  runs(): RunSummary[] {
    return [...this.#runs.values()].map(({ runId, startedAt, lastAt, rounds }) => {
      const numbers = rounds.flatMap(({ round }) => (round === null ? [] : [round]));
      const asked = new Set(rounds.map(({ round, group }) => (round === null ? `group ${group}` : String(round))));
      return { runId, startedAt, lastAt, rounds: asked.size, lastRound: numbers.length ? Math.max(...numbers) : null };
    });
  }

  /** `runId`'s rounds and epochs, oldest first; the newest run's without one; null when there is no such run. */
  run(runId?: string): RunHistory | null {
    const run = runId === undefined ? [...this.#runs.values()].at(-1) : this.#runs.get(runId);
    return run ? { runId: run.runId, rounds: [...run.rounds], epochs: [...run.epochs], evaluations: [...run.evaluations] } : null;
  }

  answer(runId?: string): ResultIn<'party.history'> {
    return { runs: this.runs(), run: this.run(runId), unreadableLines: this.unreadableLines };
  }

  #run(runId: string, startedAt: string, at: string): Run {
    const run = this.#runs.get(runId) ?? { runId, startedAt, lastAt: at, rounds: [], epochs: [], evaluations: [] };
    if (startedAt < run.startedAt) run.startedAt = startedAt;
    if (at > run.lastAt) run.lastAt = at;
    if (!this.#runs.has(runId)) {
      this.#runs.set(runId, run);
      if (this.#runs.size > RUNS_KEPT) this.#runs.delete(this.#runs.keys().next().value!);
    }
    return run;
  }
}

function keep<T>(items: T[], item: T): void {
  items.push(item);
  if (items.length > KEPT) items.shift();
}
