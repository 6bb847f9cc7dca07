// Runs in the renderer: the federation runs the Training page tells apart: each run's summary kept current as its rounds come, and its name.
import type { RoundSummary, RunSummary } from '../../../common/contract/party-api.js';
import { formatDayTime } from '../../lib/format.js';

/** The runs with `runId` in them: a run first heard of now (a restarted aggregator's) goes last, as the newest. */
export function withRun(runs: readonly RunSummary[], runId: string, at: string): readonly RunSummary[] {
  if (runs.some((run) => run.runId === runId)) return runs; // the same list: nothing that shows it redraws
  return [...runs, { runId, startedAt: at, lastAt: at, rounds: 0, lastRound: null }];
}

/**
 * The runs after `summary` was handled: its run's last message and last round move on, and a round above the last
 * counts one more (a server asks for a run's rounds in order; train and evaluate of one round count once).
 */
export function withRound(runs: readonly RunSummary[], { runId, round }: RoundSummary, at: string): readonly RunSummary[] {
  return withRun(runs, runId, at).map((run) => {
    if (run.runId !== runId) return run;
    const next = round !== null && (run.lastRound === null || round > run.lastRound);
    return { ...run, lastAt: at, rounds: run.rounds + (next ? 1 : 0), lastRound: next ? round : run.lastRound };
  });
}

/** `run 904435318632320104, from 24 Nov, 00:40: 12 rounds`: the id the server logs, when it began here, how far it went. */
export function runLabel({ runId, startedAt, rounds }: RunSummary): string {
  return `run ${runId}, from ${formatDayTime(startedAt)}: ${rounds} ${rounds === 1 ? 'round' : 'rounds'}`;
}
