// Tests (Node, tfjs cpu vs wasm and tensorflow): Conv2DBackpropFilter and Conv2DBackpropInput (ours on wasm, TensorFlow's) equal the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { filterGradientLoop } from '../../../../main/engine/kernels/filter-gradient-simd.js';
import { forEachBackend } from '../backends.js';
import { expectSame, random, reportWorst } from './harness.js';

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface Case {
  x: [number, number, number, number];
  k: number;
  out: number;
  stride: number;
  pad: Pad;
}

// Odd and even sizes, 1x1/3x3/5x5, strides 1-3, every padding kind, batch 1-4, channels 1-32, non-square. The last
// six have fewer patch columns (kh*kw*ci) than output channels: their filter gradient takes the SIMD loop where the
// output channels come in eights (MNIST's first layer is the fourth of them), else the im2col path (the last).
const cases: Case[] = [
  { x: [2, 7, 7, 3], k: 3, out: 4, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, out: 4, stride: 1, pad: 'valid' },
  { x: [3, 9, 8, 1], k: 3, out: 8, stride: 2, pad: 'same' },
  { x: [2, 8, 9, 4], k: 3, out: 5, stride: 2, pad: 'valid' },
  { x: [2, 10, 11, 2], k: 5, out: 3, stride: 3, pad: 'same' },
  { x: [1, 11, 10, 3], k: 5, out: 2, stride: 3, pad: 'valid' },
  { x: [2, 6, 7, 5], k: 1, out: 4, stride: 1, pad: 'valid' },
  { x: [3, 7, 6, 5], k: 1, out: 3, stride: 2, pad: 'same' },
  { x: [2, 9, 9, 8], k: 5, out: 8, stride: 1, pad: 'same' },
  { x: [2, 12, 12, 2], k: 5, out: 3, stride: 2, pad: 'same' },
  {
    x: [2, 7, 9, 3],
    k: 3,
    out: 4,
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [2, 8, 8, 2],
    k: 5,
    out: 3,
    stride: 1,
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  },
  {
    x: [1, 9, 10, 3],
    k: 3,
    out: 2,
    stride: 3,
    pad: [
      [0, 0],
      [0, 0],
      [2, 2],
      [0, 0],
    ],
  },
  {
    x: [2, 6, 6, 2],
    k: 1,
    out: 3,
    stride: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
  }, // pads wider than the filter
  {
    x: [2, 7, 6, 2],
    k: 1,
    out: 3,
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [1, 13, 12, 1], k: 3, out: 32, stride: 3, pad: 'valid' },
  { x: [2, 9, 8, 2], k: 1, out: 8, stride: 2, pad: 'same' },
  {
    x: [3, 10, 9, 1],
    k: 3,
    out: 16,
    stride: 2,
    pad: [
      [0, 0],
      [2, 1],
      [1, 0],
      [0, 0],
    ],
  },
  { x: [4, 28, 28, 1], k: 3, out: 32, stride: 1, pad: 'valid' },
  { x: [2, 10, 9, 3], k: 3, out: 32, stride: 1, pad: 'same' },
  { x: [2, 8, 7, 1], k: 3, out: 12, stride: 1, pad: 'same' },
];

const name = (c: Case) => `x ${c.x.join('x')}, ${c.k}x${c.k}x${c.out}, stride ${c.stride}, pad ${JSON.stringify(c.pad)}`;

function shapes(c: Case) {
  const filter: [number, number, number, number] = [c.k, c.k, c.x[3], c.out];
  const info = tf.backend_util.computeConv2DInfo(c.x, filter, c.stride, 1, c.pad);
  return { filter, dy: info.outShape };
}

/** dW for a case; on a case's own data, so each call is the same computation. */
function filterGradient(c: Case, dataFormat: 'NHWC' | 'NCHW' = 'NHWC') {
  const { filter, dy } = shapes(c);
  const x = random(tf.util.sizeFromShape(c.x), 1);
  const g = random(tf.util.sizeFromShape(dy), 2);
  return () =>
    tf
      .engine()
      .runKernel(
        tf.Conv2DBackpropFilter,
        { x: tf.tensor(x, nchwIf(c.x, dataFormat)), dy: tf.tensor(g, nchwIf(dy, dataFormat)) },
        { strides: c.stride, pad: c.pad, dataFormat, filterShape: filter },
      ) as tf.Tensor;
}

/** dx for a case. */
function inputGradient(c: Case, dataFormat: 'NHWC' | 'NCHW' = 'NHWC') {
  const { filter, dy } = shapes(c);
  const f = random(tf.util.sizeFromShape(filter), 5);
  const g = random(tf.util.sizeFromShape(dy), 6);
  return () =>
    tf
      .engine()
      .runKernel(
        tf.Conv2DBackpropInput,
        { dy: tf.tensor(g, nchwIf(dy, dataFormat)), filter: tf.tensor(f, filter) },
        { strides: c.stride, pad: c.pad, dataFormat, inputShape: nchwIf(c.x, dataFormat) },
      ) as tf.Tensor;
}

/** The same dimensions, channels moved before the rows for NCHW (the data is then read in that layout). */
function nchwIf([b, h, w, c]: readonly number[], dataFormat: 'NHWC' | 'NCHW'): [number, number, number, number] {
  return dataFormat === 'NCHW' ? [b!, c!, h!, w!] : [b!, h!, w!, c!];
}

const NCHW_CASE: Case = { x: [2, 7, 8, 3], k: 3, out: 4, stride: 2, pad: 'same' };
const explicit = (c: Case) => typeof c.pad !== 'string';

/**
 * tfjs-node refuses explicit padding and NCHW for these kernels (it passes TensorFlow only 'same' or 'valid', and
 * TensorFlow's CPU kernels are NHWC). No Layers model asks for either: Keras conv layers pad 'same' or 'valid', and
 * tfjs-layers turns channels_first into NHWC itself. So those cases are wasm's, and tensorflow is held to refusing them.
 */
const casesOn = (backend: string) => cases.filter((c) => backend === 'wasm' || !explicit(c));

afterAll(reportWorst);

forEachBackend((backend) => {
  describe('Conv2DBackpropFilter', () => {
    it.each(casesOn(backend).map((c) => [name(c), c] as const))('matches cpu: %s', async (_, c) => {
      await expectSame('Conv2DBackpropFilter', filterGradient(c));
    });

    if (backend === 'wasm') {
      it('matches cpu with NCHW tensors', async () => {
        await expectSame('Conv2DBackpropFilter', filterGradient(NCHW_CASE, 'NCHW'));
      });

      it("has the SIMD loop for small patches on this backend (else XNNPACK's GEMM does their work, 2.5x slower)", () => {
        const geometry = {
          outHeight: 26,
          outWidth: 26,
          outChannels: 32,
          tapOffsets: [0, 4, 8],
          imageBytes: 3136,
          rowStepBytes: 112,
          columnStepBytes: 4,
        };
        expect(filterGradientLoop(tf.backend() as never, geometry)).toBeTypeOf('function');
        expect(filterGradientLoop(tf.backend() as never, { ...geometry, outChannels: 12 })).toBeNull();
      });
    }
  });

  describe('Conv2DBackpropInput', () => {
    it.each(casesOn(backend).map((c) => [name(c), c] as const))('matches cpu: %s', async (_, c) => {
      await expectSame('Conv2DBackpropInput', inputGradient(c));
    });

    if (backend === 'wasm') {
      it('matches cpu with NCHW tensors', async () => {
        await expectSame('Conv2DBackpropInput', inputGradient(NCHW_CASE, 'NCHW'));
      });
    }
  });

  if (backend === 'tensorflow') {
    it('refuses explicit padding and NCHW with an error, never a wrong result', () => {
      const padded = cases.find(explicit)!;
      for (const gradient of [filterGradient, inputGradient]) {
        expect(() => tf.tidy(gradient(padded))).toThrow(/only 'valid' and 'same' padding/);
        expect(() => tf.tidy(gradient(NCHW_CASE, 'NCHW'))).toThrow(/does not yet support strides in the batch and depth dimensions/);
      }
    });
  }
});
