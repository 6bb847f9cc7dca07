// Tests (anywhere): per-class figures and the CSV exports of a local evaluation, against a matrix worked out by hand.
import { describe, expect, it } from 'vitest';
import { classFigures, confusionCsv, perClassCsv, type LocalEvaluationResult } from '../../common/local-evaluation.js';

/** 3 classes: cat 4 right of 5 (1 as dog), dog 2 of 4 (2 as cat), "bird, small" never predicted and 1 sample; 9+1 samples. */
const EVALUATION: LocalEvaluationResult = {
  runId: '7',
  round: 3,
  time: '2026-12-07T00:00:00.000Z',
  loss: 0.5,
  accuracy: 0.6,
  samples: 10,
  classes: ['cat', 'dog', 'bird, small'],
  confusion: [
    [4, 1, 0],
    [2, 2, 0],
    [0, 1, 0],
  ],
};

describe('classFigures', () => {
  it('reads support, correct, accuracy, precision and recall off the matrix', () => {
    expect(classFigures(EVALUATION)).toEqual([
      { name: 'cat', support: 5, correct: 4, accuracy: 0.8, precision: 4 / 6, recall: 0.8 },
      { name: 'dog', support: 4, correct: 2, accuracy: 0.5, precision: 0.5, recall: 0.5 },
      { name: 'bird, small', support: 1, correct: 0, accuracy: 0, precision: null, recall: 0 },
    ]);
  });

  it('gives null, not 0 or NaN, for a class with no samples in the split', () => {
    const [empty] = classFigures({
      classes: ['none', 'all'],
      confusion: [
        [0, 0],
        [0, 3],
      ],
    });
    expect(empty).toEqual({ name: 'none', support: 0, correct: 0, accuracy: null, precision: null, recall: null });
  });
});

describe('CSV', () => {
  it('has one row per round and class, a quoted name where it holds a comma', () => {
    const second = {
      ...EVALUATION,
      round: 4,
      confusion: [
        [5, 0, 0],
        [0, 4, 0],
        [0, 0, 1],
      ],
    };
    expect(perClassCsv([EVALUATION, second]).split('\r\n')).toEqual([
      'run,round,class,support,correct,accuracy,precision,recall',
      `7,3,cat,5,4,0.8,${4 / 6},0.8`,
      '7,3,dog,4,2,0.5,0.5,0.5',
      '7,3,"bird, small",1,0,0,,0',
      '7,4,cat,5,5,1,1,1',
      '7,4,dog,4,4,1,1,1',
      '7,4,"bird, small",1,1,1,1,1',
      '',
    ]);
  });

  it('writes the confusion matrix with predicted classes across and true classes down', () => {
    expect(confusionCsv(EVALUATION).split('\r\n')).toEqual([
      'true \\ predicted,cat,dog,"bird, small"',
      'cat,4,1,0',
      'dog,2,2,0',
      '"bird, small",0,1,0',
      '',
    ]);
  });

  it('keeps a class name a spreadsheet would run as a formula as text, and numbers as they are', () => {
    const hostile = {
      classes: ['=HYPERLINK("http://x")', '-1', '@SUM(A1)'],
      confusion: [
        [1, 0, 0],
        [0, -0, 0],
        [0, 0, 2],
      ],
    };
    expect(confusionCsv(hostile).split('\r\n')).toEqual([
      `true \\ predicted,"'=HYPERLINK(""http://x"")",-1,'@SUM(A1)`,
      `"'=HYPERLINK(""http://x"")",1,0,0`,
      '-1,0,0,0',
      "'@SUM(A1),0,0,2",
      '',
    ]);
  });
});
