// Tests (Node): the federation runs the Training page tells apart, kept current as rounds come, and how each is named.
import { describe, expect, it } from 'vitest';
import type { RoundSummary, RunSummary } from '../../../../common/contract/party-api.js';
import { runLabel, withRound, withRun } from '../../../../renderer/features/training/runs.js';

const summary = (runId: string, messageType: string, round: number | null): RoundSummary => ({
  messageType,
  runId,
  round,
  group: String(round ?? 'g'),
  outcome: 'replied',
  metrics: {},
  seconds: 1,
  error: null,
});
const first: RunSummary = {
  runId: '11',
  startedAt: '2026-11-24T00:00:00.000Z',
  lastAt: '2026-11-24T00:05:00.000Z',
  rounds: 4,
  lastRound: 4,
};

describe('runs', () => {
  it('adds a run first heard of as the newest, and leaves a known one where it is', () => {
    expect(withRun([first], '22', 'now')).toEqual([first, { runId: '22', startedAt: 'now', lastAt: 'now', rounds: 0, lastRound: null }]);
    expect(withRun([first], '11', 'now')).toEqual([first]);
  });

  it("counts a run's rounds as they are handled: train and evaluate of a round once, a new run from round 1 apart from the old one", () => {
    let runs = withRound([first], summary('22', 'train', 1), 't1');
    runs = withRound(runs, summary('22', 'evaluate', 1), 't2');
    runs = withRound(runs, summary('22', 'train', 2), 't3');
    expect(runs).toEqual([first, { runId: '22', startedAt: 't1', lastAt: 't3', rounds: 2, lastRound: 2 }]);
    expect(withRound(runs, summary('11', 'train', 5), 't4')[0]).toEqual({ ...first, lastAt: 't4', rounds: 5, lastRound: 5 });
  });

  it('names a run by its id, when it began here and how many rounds it had', () => {
    expect(runLabel(first)).toMatch(/^run 11, from 2[345] Nov, \d{2}:00: 4 rounds$/);
    expect(runLabel({ ...first, rounds: 1 })).toMatch(/: 1 round$/);
  });
});
