// Tests (Node, tfjs cpu vs wasm): our OneHot and UnsortedSegmentSum (Embedding's gradient) equal the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSame, initWasmWithKernels, on, random, reportWorst } from './harness.js';

beforeAll(initWasmWithKernels);
afterAll(reportWorst);

describe('OneHot on wasm', () => {
  it.each(['float32', 'int32'] as const)('writes %s values, and a row of offValue for ids out of range', async (dtype) => {
    const f = () => tf.oneHot(tf.tensor2d([0, 3, -1, 2, 9, 1], [2, 3], 'int32'), 4, 5, -2, dtype).cast('float32');
    await expectSame('OneHot', f, 1e-12);
    expect(Array.from((await on('wasm', f)).values.slice(0, 8))).toEqual([5, -2, -2, -2, -2, -2, -2, 5]);
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  const cases = [
    { x: [10, 3], segments: 4 },
    { x: [12], segments: 5 },
  ];
  it.each(cases.map((c) => [`x ${c.x.join('x')}, ${c.segments} segments`, c] as const))('matches cpu: %s', async (_, c) => {
    const x = random(tf.util.sizeFromShape(c.x), 31);
    // Some ids fall outside [0, segments): those rows are dropped.
    const ids = random(c.x[0]!, 32, -1, c.segments + 1).map(Math.floor);
    await expectSame('UnsortedSegmentSum', () => tf.unsortedSegmentSum(tf.tensor(x, c.x), tf.tensor1d(ids, 'int32'), c.segments));
  });

  it('takes ids of any rank, naming rows of x by its leading dims (the cpu kernel only takes rank 1)', async () => {
    const x = random(2 * 6 * 3 * 2, 34);
    const ids = random(12, 35, -1, 8).map(Math.floor);
    await expectSame(
      'UnsortedSegmentSum',
      () => tf.unsortedSegmentSum(tf.tensor(x, [2, 6, 3, 2]), tf.tensor2d(ids, [2, 6], 'int32') as unknown as tf.Tensor1D, 7),
      1e-5,
      () => tf.unsortedSegmentSum(tf.tensor(x, [12, 3, 2]), tf.tensor1d(ids, 'int32'), 7),
    );
  });

  it('sums int32 values as int32', async () => {
    const f = () => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([1, 0, 1, 1], 'int32'), 2);
    expect(Array.from((await on('wasm', f)).values)).toEqual([2, 8]);
  });

  it('gives Embedding (Gather) its gradient', async () => {
    const table = random(6 * 4, 33);
    await expectSame('UnsortedSegmentSum', () =>
      tf.grad((t: tf.Tensor) =>
        tf
          .gather(t, tf.tensor2d([1, 3, 1, 5, 0, 1], [2, 3], 'int32'))
          .square()
          .sum(),
      )(tf.tensor2d(table, [6, 4])),
    );
  });
});
