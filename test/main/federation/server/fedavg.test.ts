// Tests (plain Node): FedAvg's arithmetic: weights by num-examples in float64, arrays that do not fit refused, metrics averaged.
import { describe, expect, it } from 'vitest';
import type { CheckedWeights, NamedArray } from '../../../../main/engine/weights.js';
import { federatedAverage, fitReplyArrays, weightedMetrics } from '../../../../main/federation/server/fedavg.js';
import { splitmix32 } from '../../../../main/data/shuffle.js';

const array = (name: string, shape: number[], values: number[]): NamedArray => ({
  name,
  shape,
  dtype: 'float32',
  data: Float32Array.from(values),
});
const GLOBAL = [array('dense/kernel', [2, 2], [0, 0, 0, 0]), array('dense/bias', [2], [0, 0])];

/** A reply's arrays as FedAvg takes them: checked against the global model, in its order. */
function fitted(global: readonly NamedArray[], arrays: NamedArray[]): CheckedWeights {
  const fit = fitReplyArrays(global, arrays);
  if (typeof fit === 'string') throw new Error(fit);
  return fit;
}

describe('federatedAverage', () => {
  it('weights each node by its num-examples and keeps the global names, order and shapes', () => {
    const a = { numExamples: 1, arrays: fitted(GLOBAL, [array('dense/bias', [2], [10, 20]), array('dense/kernel', [2, 2], [1, 2, 3, 4])]) };
    const b = { numExamples: 3, arrays: fitted(GLOBAL, [array('dense/kernel', [2, 2], [5, 6, 7, 8]), array('dense/bias', [2], [30, 40])]) };
    const [kernel, bias] = federatedAverage(GLOBAL, [a, b]);
    expect(kernel).toMatchObject({ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' });
    expect([...kernel!.data]).toEqual([4, 5, 6, 7]);
    expect([...bias!.data]).toEqual([25, 35]);
  });

  it('sums in float64 and rounds to float32 once', () => {
    const next = splitmix32(7);
    const size = 4096;
    const global = [array('w', [size], new Array<number>(size).fill(0))];
    const results = Array.from({ length: 7 }, () => ({
      numExamples: 1 + (next() % 60_000),
      arrays: fitted(global, [
        array(
          'w',
          [size],
          Array.from({ length: size }, () => next() / 2 ** 32 - 0.5),
        ),
      ]),
    }));
    const total = results.reduce((sum, r) => sum + r.numExamples, 0);
    const [mean] = federatedAverage(global, results);
    for (let i = 0; i < size; i++) {
      const exact = results.reduce((sum, r) => sum + r.numExamples * r.arrays[0]!.data[i]!, 0) / total;
      expect(mean!.data[i]).toBe(Math.fround(exact));
    }
  });
});

describe('fitReplyArrays', () => {
  const fits = [array('dense/kernel', [2, 2], [1, 2, 3, 4]), array('dense/bias', [2], [1, 2])];

  it("takes the same names in any order, in the global model's order, and names what does not fit", () => {
    expect(fitReplyArrays(GLOBAL, fits)).toEqual(fits);
    expect(fitReplyArrays(GLOBAL, [...fits].reverse())).toEqual(fits);
    expect(fitReplyArrays(GLOBAL, [fits[0]!])).toBe('array "dense/bias" is missing');
    expect(fitReplyArrays(GLOBAL, [...fits, array('extra', [1], [0])])).toMatch(/^array "extra" is not in the global model/);
    expect(fitReplyArrays(GLOBAL, [fits[0]!, array('dense/bias', [1, 2], [1, 2])])).toBe(
      'array "dense/bias": shape [1, 2] does not match the model\'s [2]',
    );
    expect(fitReplyArrays(GLOBAL, [fits[0]!, fits[1]!, fits[1]!])).toBe('two arrays share a name');
  });

  it('refuses NaN and infinities', () => {
    expect(fitReplyArrays(GLOBAL, [fits[0]!, array('dense/bias', [2], [1, Number.NaN])])).toBe(
      'array "dense/bias": value 1 is NaN; weights must be finite',
    );
    const infinite = [array('dense/kernel', [2, 2], [Infinity, 0, 0, 0]), fits[1]!];
    expect(fitReplyArrays(GLOBAL, infinite)).toBe('array "dense/kernel": value 0 is Infinity; weights must be finite');
  });
});

describe('weightedMetrics', () => {
  it('averages every metric by num-examples over the nodes reporting it, lists element-wise, leaving out the weight', () => {
    const metrics = weightedMetrics([
      { numExamples: 100, metrics: { 'num-examples': 100, train_loss: 1, per_class: [1, 0], only_a: 5 } },
      { numExamples: 300, metrics: { 'num-examples': 300, train_loss: 3, per_class: [0, 1] } },
      { numExamples: 100, metrics: { 'num-examples': 100, train_loss: 2, per_class: [1, 1, 1] } },
    ]);
    expect(metrics).toEqual({ train_loss: 2.4, per_class: [0.25, 0.75], only_a: 5 });
  });
});
