// Tests (anywhere): the Local evaluation panel's rows and matrix, from evaluations worked out by hand.
import { describe, expect, it } from 'vitest';
import type { LocalEvaluationResult } from '../../../../common/local-evaluation.js';
import {
  evaluatedRounds,
  latestClassRows,
  MATRIX_CLASSES_SHOWN,
  matrixView,
} from '../../../../renderer/features/training/local-evaluation-view.js';

function evaluation(round: number, confusion: number[][], classes = ['cat', 'dog', 'owl']): LocalEvaluationResult {
  return { runId: '1', round, time: '2026-12-07T00:00:00.000Z', loss: 1, accuracy: 0.5, samples: 10, classes, confusion };
}

const ROUND_1 = evaluation(1, [
  [2, 2, 0],
  [0, 4, 0],
  [0, 0, 0],
]);
const ROUND_2 = evaluation(2, [
  [3, 1, 0],
  [1, 3, 0],
  [0, 0, 0],
]);

describe('latestClassRows', () => {
  it('lists the latest round worst first, a class without samples last, with the change since the round before in points', () => {
    expect(latestClassRows([ROUND_1, ROUND_2])).toEqual([
      { name: 'cat', support: 4, accuracy: '0.75', change: '+25.0', trend: 'up', precision: '0.75', recall: '0.75' },
      { name: 'dog', support: 4, accuracy: '0.75', change: '−25.0', trend: 'down', precision: '0.75', recall: '0.75' },
      { name: 'owl', support: 0, accuracy: '—', change: '', trend: null, precision: '—', recall: '—' },
    ]);
  });

  it('has no change to show for the first round, and no rows before any', () => {
    expect(latestClassRows([ROUND_1]).map(({ change, trend }) => [change, trend])).toEqual([
      ['', null],
      ['', null],
      ['', null],
    ]);
    expect(latestClassRows([])).toEqual([]);
  });
});

describe('matrixView', () => {
  it("shades each cell by its share of the true class's row; the latest round unless one is chosen", () => {
    const latest = matrixView([ROUND_1, ROUND_2], undefined)!;
    expect(latest.round).toBe(2);
    expect(latest.rows[0]).toEqual([
      { count: 3, share: 0.75, diagonal: true },
      { count: 1, share: 0.25, diagonal: false },
      { count: 0, share: 0, diagonal: false },
    ]);
    expect(matrixView([ROUND_1, ROUND_2], 1)!.rows[1]![1]).toEqual({ count: 4, share: 1, diagonal: true });
    expect(matrixView([ROUND_1], 7)).toBeNull();
  });

  it('does not draw a matrix of more classes than a page can show', () => {
    const n = MATRIX_CLASSES_SHOWN + 1;
    const big = evaluation(
      1,
      Array.from({ length: n }, () => new Array<number>(n).fill(1)),
      Array.from({ length: n }, (_, i) => `c${i}`),
    );
    expect(matrixView([big], undefined)).toMatchObject({ tooLarge: true, rows: [] });
  });

  it('offers the evaluated rounds newest first', () => {
    expect(evaluatedRounds([ROUND_1, ROUND_2])).toEqual([2, 1]);
  });
});
