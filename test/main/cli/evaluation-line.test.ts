// Tests (Node): the per-class line `tributary party` prints after an evaluated round.
import { describe, expect, it } from 'vitest';
import { evaluationLine } from '../../../main/cli/evaluation-line.js';

describe('evaluationLine', () => {
  it('names the worst classes first with their accuracy and sample count, leaving out classes without samples', () => {
    const confusion = [
      [4, 1, 0],
      [2, 2, 0],
      [0, 0, 0],
    ];
    expect(evaluationLine({ round: 3, classes: ['cat', 'dog', 'owl'], confusion })).toBe(
      'round 3 on local data, worst classes first: dog 0.500 (4), cat 0.800 (5)',
    );
  });

  it('stops after five classes and says how many more there are', () => {
    const classes = Array.from({ length: 7 }, (_, i) => `c${i}`);
    // Row r: 10 - r right, r wrong in each of the 6 other columns: accuracy (10 - r) / (10 + 5r).
    const confusion = classes.map((_, r) => classes.map((__, c) => (r === c ? 10 - r : r)));
    expect(evaluationLine({ round: null, classes, confusion })).toBe(
      'round ? on local data, worst classes first: c6 0.100 (40), c5 0.143 (35), c4 0.200 (30), c3 0.280 (25), c2 0.400 (20), +2 more',
    );
  });
});
