// Tests (Node, tfjs cpu vs wasm and tensorflow): our MaxPoolGrad equals the cpu backend's, ties and non-positive maxima included.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { rows2x2 } from '../../../../main/engine/kernels/max-pool-grad-simd.js';
import { forEachBackend } from '../backends.js';
import { expectSame, on, random, reportWorst } from './harness.js';

type Pad = 'same' | 'valid' | number;
interface Case {
  x: [number, number, number, number];
  size: number | [number, number];
  stride: number | [number, number];
  pad: Pad;
}

const cases: Case[] = [
  { x: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
  { x: [2, 7, 9, 4], size: 2, stride: 2, pad: 'same' },
  { x: [3, 9, 9, 2], size: 3, stride: 2, pad: 'same' },
  { x: [1, 10, 11, 5], size: 3, stride: 1, pad: 'same' },
  { x: [2, 11, 10, 1], size: 3, stride: 3, pad: 'valid' },
  { x: [2, 7, 7, 2], size: 5, stride: 2, pad: 'same' },
  { x: [2, 8, 7, 3], size: 3, stride: 2, pad: 1 },
  { x: [1, 6, 6, 8], size: 1, stride: 1, pad: 'valid' },
  // Windows that do not overlap: odd sizes leave the last row and column to no window, stride 3 leaves gaps.
  { x: [2, 9, 7, 4], size: 2, stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 3], size: 2, stride: 3, pad: 'same' },
  { x: [2, 9, 8, 3], size: [3, 2], stride: [3, 2], pad: 'same' },
];

/** Inputs: spread out, all non-positive, or a few integers (many ties, many windows entirely <= 0). */
const inputs = {
  random: (n: number) => random(n, 11),
  negative: (n: number) => random(n, 12, -3, 0),
  ties: (n: number) => random(n, 13, -2, 2).map(Math.round),
};

/** tfjs-node passes TensorFlow only 'same' or 'valid' padding and refuses a number; Keras pooling layers pad only those two ways. */
const casesOn = (backend: string) => cases.filter((c) => backend === 'wasm' || typeof c.pad === 'string');

afterAll(reportWorst);

forEachBackend((backend) => {
  describe('MaxPoolGrad', () => {
    const grid = casesOn(backend).flatMap((c) =>
      Object.keys(inputs).map(
        (kind) => [`x ${c.x.join('x')}, size ${c.size}, stride ${c.stride}, pad ${c.pad}, ${kind}`, c, kind] as const,
      ),
    );
    it.each(grid)('matches cpu: %s', async (_, c, kind) => {
      const x = inputs[kind as keyof typeof inputs](tf.util.sizeFromShape(c.x));
      const dyShape = tf.backend_util.computePool2DInfo(c.x, c.size, c.stride, 1, c.pad).outShape;
      const dy = random(tf.util.sizeFromShape(dyShape), 14);
      await expectSame(
        'MaxPoolGrad',
        () => {
          const input = tf.tensor4d(x, c.x);
          const output = tf.maxPool(input, c.size, c.stride, c.pad);
          return tf
            .engine()
            .runKernel(
              tf.MaxPoolGrad,
              { dy: tf.tensor(dy, dyShape), input, output },
              { filterSize: c.size, strides: c.stride, pad: c.pad },
            ) as tf.Tensor;
        },
        1e-6,
      );
    });

    /**
     * 2x2 windows only: with a NaN in a 3x3 window, XNNPACK's forward MaxPool returns a value that is neither NaN nor the
     * window's maximum (so no backward pass can agree with the cpu backend's forward there). wasm's own: TensorFlow gives
     * an all -Infinity window's gradient to its first element, and a window's to a NaN in it, where cpu gives none.
     * Neither happens while a model trains (a NaN activation means it has diverged already).
     */
    if (backend === 'wasm')
      it.each([
        [6, 3],
        [7, 4],
      ])('follows cpu where windows hold only -Infinity (no gradient) or NaN (ignored), side %i, %i channels', async (side, channels) => {
        // The first image is all -Infinity and NaN; the second has a NaN in most windows. Side 7 cuts windows at the edge;
        // 4 channels take the SIMD loop, which hands rows with such windows back to JS.
        const shape: [number, number, number, number] = [2, side, side, channels];
        const x = random(tf.util.sizeFromShape(shape), 15).map((v, i) => (i % 7 === 0 ? NaN : i < side * side * channels ? -Infinity : v));
        for (const [pad, stride] of [
          ['valid', 2],
          ['same', 2],
          ['same', 3],
        ] as const) {
          const dyShape = tf.backend_util.computePool2DInfo(shape, 2, stride, 1, pad).outShape;
          const dy = random(tf.util.sizeFromShape(dyShape), 16);
          await expectSame(
            'MaxPoolGrad',
            () => {
              const input = tf.tensor4d(x, shape);
              const output = tf.maxPool(input, 2, stride, pad);
              return tf
                .engine()
                .runKernel(
                  tf.MaxPoolGrad,
                  { dy: tf.tensor(dy, dyShape), input, output },
                  { filterSize: 2, strides: stride, pad },
                ) as tf.Tensor;
            },
            1e-6,
          );
        }
      });

    if (backend === 'wasm')
      it('has the SIMD loop for 2x2 windows on wasm (else JS does their work, 5x slower)', () => {
        expect(rows2x2(tf.backend() as never)).toBeTypeOf('function');
      });

    it('gives a tie to the first maximum in the window, as cpu does', async () => {
      const grad = () =>
        tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid').sum())(tf.tensor4d([-1, -1, -1, -1], [1, 2, 2, 1]));
      const [cpu, got] = [await on('cpu', grad), await on(backend, grad)];
      expect(Array.from(got.values)).toEqual([1, 0, 0, 0]);
      expect(got.values).toEqual(cpu.values);
    });
  });
});
