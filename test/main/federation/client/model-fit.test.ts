// Tests (Node): the server's arrays checked against the model's weights: names (own or positional), count, shapes, dtype, finite values.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CheckedWeights } from '../../../../main/engine/weights.js';
import { fitToModel, ModelMismatchError } from '../../../../main/federation/client/model-fit.js';
import type { NamedNdArray } from '../../../../main/federation/client/task.js';
import type { WorkRunner } from '../../../../main/federation/client/work.js';

const slots = [
  { name: 'dense/kernel', shape: [4, 2] },
  { name: 'dense/bias', shape: [2] },
];
const f32 = (name: string, shape: number[], fill = 0.5): NamedNdArray => ({
  name,
  array: { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) },
});
const good = [f32('dense/kernel', [4, 2]), f32('dense/bias', [2])];

describe('fitToModel', () => {
  it('takes the model’s own names in order, and hands the data over as weights', () => {
    const weights = fitToModel(good, slots, 'arrays');
    expect(weights.map((w) => [w.name, w.shape, w.dtype, w.data.length])).toEqual([
      ['dense/kernel', [4, 2], 'float32', 8],
      ['dense/bias', [2], 'float32', 2],
    ]);
    expect(weights[0]!.data).toBe(good[0]!.array.data);
  });

  it("is the one check of a round's weights: the training thread takes only what it returns", () => {
    expectTypeOf(fitToModel).returns.toEqualTypeOf<CheckedWeights>();
    expectTypeOf<WorkRunner['setWeights']>().parameter(0).toEqualTypeOf<CheckedWeights>();
  });

  it('takes "0", "1", ... by position (Flower’s ArrayRecord made from a list of ndarrays)', () => {
    expect(fitToModel([f32('0', [4, 2]), f32('1', [2])], slots, 'fitins.parameters').map((w) => w.name)).toEqual([
      'dense/kernel',
      'dense/bias',
    ]);
  });

  it.each([
    ['a missing array', [good[0]!], 'ArrayRecord "arrays": the model has 2 weight arrays (dense/kernel … dense/bias), the message has 1'],
    [
      'names out of order',
      [good[1]!, good[0]!],
      'ArrayRecord "arrays": weight 0 of the model is "dense/kernel", the message has "dense/bias" there',
    ],
    [
      'positional names out of order',
      [f32('1', [4, 2]), f32('0', [2])],
      'weight 0 of the model is "dense/kernel", the message has "1" there',
    ],
    [
      'a wrong shape',
      [f32('dense/kernel', [2, 4]), good[1]!],
      'ArrayRecord "arrays", array "dense/kernel" (weight 0, dense/kernel): shape [2, 4] does not match the model\'s [4, 2]',
    ],
    [
      'float64 values',
      [good[0]!, { name: 'dense/bias', array: { dtype: 'float64', shape: [2], data: new Float64Array(2) } } as NamedNdArray],
      'array "dense/bias" (weight 1, dense/bias): dtype float64, but the model\'s weights are float32',
    ],
    [
      'a NaN',
      [good[0]!, f32('dense/bias', [2], Number.NaN)],
      'array "dense/bias" (weight 1, dense/bias): value 0 is NaN; weights must be finite',
    ],
    ['an infinity', [f32('dense/kernel', [4, 2], Number.NEGATIVE_INFINITY), good[1]!], 'value 0 is -Infinity; weights must be finite'],
  ])('refuses %s, naming the array', (_, arrays, message) => {
    expect(() => fitToModel(arrays, slots, 'arrays')).toThrow(ModelMismatchError);
    expect(() => fitToModel(arrays, slots, 'arrays')).toThrow(message);
  });
});
