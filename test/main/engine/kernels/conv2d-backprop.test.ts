// Tests (Node, tfjs cpu vs wasm): our Conv2DBackpropFilter and Conv2DBackpropInput equal the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterGradientLoop } from '../../../../main/engine/kernels/filter-gradient-simd.js';
import { expectSame, initWasmWithKernels, random, reportWorst } from './harness.js';

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

beforeAll(initWasmWithKernels);
afterAll(reportWorst);

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(cases.map((c) => [name(c), c] as const))('matches cpu: %s', async (_, c) => {
    const { filter, dy } = shapes(c);
    const x = random(tf.util.sizeFromShape(c.x), 1);
    const g = random(tf.util.sizeFromShape(dy), 2);
    await expectSame(
      'Conv2DBackpropFilter',
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: tf.tensor(x, c.x), dy: tf.tensor(g, dy) },
            { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: filter },
          ) as tf.Tensor,
    );
  });

  it('matches cpu with NCHW tensors', async () => {
    const x = random(2 * 3 * 7 * 8, 3);
    const g = random(2 * 4 * 4 * 4, 4);
    await expectSame(
      'Conv2DBackpropFilter',
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: tf.tensor(x, [2, 3, 7, 8]), dy: tf.tensor(g, [2, 4, 4, 4]) },
            { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
          ) as tf.Tensor,
    );
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
});

describe('Conv2DBackpropInput on wasm', () => {
  it.each(cases.map((c) => [name(c), c] as const))('matches cpu: %s', async (_, c) => {
    const { filter, dy } = shapes(c);
    const f = random(tf.util.sizeFromShape(filter), 5);
    const g = random(tf.util.sizeFromShape(dy), 6);
    await expectSame(
      'Conv2DBackpropInput',
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropInput,
            { dy: tf.tensor(g, dy), filter: tf.tensor(f, filter) },
            { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
          ) as tf.Tensor,
    );
  });

  it('matches cpu with NCHW tensors', async () => {
    const f = random(3 * 3 * 3 * 4, 7);
    const g = random(2 * 4 * 4 * 4, 8);
    await expectSame(
      'Conv2DBackpropInput',
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropInput,
            { dy: tf.tensor(g, [2, 4, 4, 4]), filter: tf.tensor(f, [3, 3, 3, 4]) },
            { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 8] },
          ) as tf.Tensor,
    );
  });
});
