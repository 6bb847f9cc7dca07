// Tests (Node): round summaries as the table of past rounds and as the per-round chart's points.
import { describe, expect, it } from 'vitest';
import type { RoundSummary } from '../../../../common/contract/party-api.js';
import { roundPoints, roundRows } from '../../../../renderer/features/training/round-rows.js';

const summary = (
  messageType: string,
  round: number | null,
  outcome: RoundSummary['outcome'],
  metrics: Record<string, number> = {},
  error: string | null = null,
): RoundSummary => ({
  messageType,
  runId: '5',
  round,
  group: String(round ?? 'g'),
  outcome,
  metrics,
  seconds: 1.2,
  error,
});

const rounds = [
  summary('train', 1, 'replied', { train_loss: 2.3, train_acc: 0.3, 'num-examples': 1000 }),
  summary('evaluate', 1, 'replied', { eval_loss: 1.3, eval_acc: 0.5, 'num-examples': 200 }),
  summary('train', 2, 'declined', {}, 'this site declined "train": it is paused by its operator'),
  summary('get_properties', null, 'replied'),
  summary('train', 3, 'replied', { train_loss: 1.1, train_acc: 0.6, 'num-examples': 1000 }),
];

describe('roundRows', () => {
  it("puts each round's training and evaluation on one row, newest first, leaving other messages out", () => {
    const rows = roundRows(rounds);
    expect(rows.map((row) => [row.round, row.train?.outcome ?? null, row.evaluate?.outcome ?? null])).toEqual([
      ['3', 'replied', null],
      ['2', 'declined', null],
      ['1', 'replied', 'replied'],
    ]);
    expect(rows[2]!.train).toEqual({ outcome: 'replied', loss: '2.3', acc: '0.3', examples: '1,000', seconds: '1.2 s', error: null });
    expect(rows[2]!.evaluate).toMatchObject({ loss: '1.3', acc: '0.5', examples: '200' });
    expect(rows[1]!.train).toMatchObject({ loss: '—', error: expect.stringContaining('paused') });
  });

  it('knows a round without a number by its message group', () => {
    expect(roundRows([summary('train', null, 'replied')])[0]).toMatchObject({ key: 'group g', round: '?' });
  });
});

describe('roundPoints', () => {
  it('takes a metric from the rounds that replied with it', () => {
    expect(roundPoints(rounds, 'train_loss')).toEqual([
      { x: 1, y: 2.3 },
      { x: 3, y: 1.1 },
    ]);
    expect(roundPoints(rounds, 'eval_acc')).toEqual([{ x: 1, y: 0.5 }]);
  });
});
