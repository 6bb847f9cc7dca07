// Tests (Node, tfjs cpu vs wasm and tensorflow): our Conv3D gradients equal the cpu backend's (the stock wasm ones do not).
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, it } from 'vitest';
import { forEachBackend } from '../backends.js';
import { expectSame, random, reportWorst } from './harness.js';

type Shape5 = [number, number, number, number, number];
interface Case {
  x: Shape5;
  filter: Shape5;
  stride: number | [number, number, number];
  pad: 'same' | 'valid';
}

const cases: Case[] = [
  { x: [2, 5, 6, 7, 3], filter: [3, 3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 6, 5, 6, 2], filter: [3, 3, 3, 2, 3], stride: 1, pad: 'valid' },
  { x: [2, 7, 8, 6, 3], filter: [3, 3, 2, 3, 4], stride: 2, pad: 'same' },
  { x: [1, 8, 7, 7, 2], filter: [3, 2, 3, 2, 5], stride: 2, pad: 'valid' },
  { x: [2, 7, 7, 8, 1], filter: [1, 3, 3, 1, 4], stride: 3, pad: 'same' },
  { x: [3, 9, 6, 7, 2], filter: [3, 1, 1, 2, 2], stride: [2, 1, 3], pad: 'valid' },
];

const name = (c: Case) => `x ${c.x.join('x')}, filter ${c.filter.join('x')}, stride ${c.stride}, pad ${c.pad}`;
const outShape = (c: Case) => tf.backend_util.computeConv3DInfo(c.x, c.filter, c.stride, 1, c.pad).outShape;

afterAll(reportWorst);

forEachBackend(() => {
  describe('Conv3DBackpropFilterV2', () => {
    it.each(cases.map((c) => [name(c), c] as const))('matches cpu: %s', async (_, c) => {
      const x = random(tf.util.sizeFromShape(c.x), 51);
      const dy = random(tf.util.sizeFromShape(outShape(c)), 52);
      await expectSame(
        'Conv3DBackpropFilterV2',
        () =>
          tf
            .engine()
            .runKernel(
              tf.Conv3DBackpropFilterV2,
              { x: tf.tensor(x, c.x), dy: tf.tensor(dy, outShape(c)) },
              { strides: c.stride, pad: c.pad, filterShape: c.filter },
            ) as tf.Tensor,
      );
    });
  });

  describe('Conv3DBackpropInputV2', () => {
    it.each(cases.map((c) => [name(c), c] as const))('matches cpu: %s', async (_, c) => {
      const filter = random(tf.util.sizeFromShape(c.filter), 53);
      const dy = random(tf.util.sizeFromShape(outShape(c)), 54);
      await expectSame(
        'Conv3DBackpropInputV2',
        () =>
          tf
            .engine()
            .runKernel(
              tf.Conv3DBackpropInputV2,
              { dy: tf.tensor(dy, outShape(c)), filter: tf.tensor(filter, c.filter) },
              { strides: c.stride, pad: c.pad, inputShape: c.x },
            ) as tf.Tensor,
      );
    });

    it('gives a conv3d layer the gradients it has on cpu', async () => {
      const x = random(2 * 6 * 6 * 6 * 2, 55);
      const filter = random(3 * 3 * 3 * 2 * 3, 56);
      for (const which of [0, 1]) {
        await expectSame(
          'Conv3D layer gradients',
          () =>
            tf.grads((a: tf.Tensor, f: tf.Tensor) =>
              tf
                .conv3d(a as tf.Tensor5D, f as tf.Tensor5D, 2, 'same')
                .square()
                .sum(),
            )([tf.tensor5d(x, [2, 6, 6, 6, 2]), tf.tensor5d(filter, [3, 3, 3, 2, 3])])[which]!,
        );
      }
    });
  });
});
