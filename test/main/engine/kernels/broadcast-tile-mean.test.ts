// Tests (Node, tfjs cpu vs wasm and tensorflow): Tile, leading-axes Mean, per-channel Add/Sub/Multiply/RealDiv and FusedBatchNorm (ours on wasm) match cpu.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsLoop } from '../../../../main/engine/kernels/broadcast-simd.js';
import { forEachBackend } from '../backends.js';
import { expectSame, on, random, reportWorst } from './harness.js';

afterAll(reportWorst);

const tensor = (shape: number[], seed: number, lo = -2, hi = 2) => tf.tensor(random(tf.util.sizeFromShape(shape), seed, lo, hi), shape);

/** BatchNorm's [1,1,1,C] to a whole activation, every axis repeated, short rows (element copies), and nothing repeated. */
const tiles: Array<[number[], number[]]> = [
  [
    [1, 1, 1, 8],
    [3, 5, 4, 1],
  ],
  [
    [2, 3, 4],
    [3, 2, 5],
  ],
  [[3], [7]],
  [
    [5, 1],
    [2, 40],
  ],
  [
    [2, 3],
    [1, 1],
  ],
  [
    [0, 3],
    [2, 2],
  ],
];

/** [N,H,W,C] with [C] or [1,1,1,C] on either side; C in fours takes the SIMD loop, C = 6 the stock kernel. */
const broadcasts: Array<[string, number[], number[]]> = [
  ['x op [C]', [3, 4, 5, 8], [8]],
  ['[1,1,1,C] op x', [1, 1, 1, 12], [2, 3, 3, 12]],
  ['x op [1,C] (rank 2)', [7, 4], [1, 4]],
  ['C not in fours', [2, 3, 3, 6], [6]],
];

const ops = {
  Add: tf.add,
  Sub: tf.sub,
  Multiply: tf.mul,
  RealDiv: (a: tf.Tensor, b: tf.Tensor) => tf.div(a, b),
} as const;

forEachBackend((backend) => {
  describe('Tile', () => {
    it.each(tiles.map(([shape, reps]) => [`${shape.join('x')} by ${reps.join('x')}`, shape, reps] as const))(
      'equals cpu exactly: %s',
      async (_, shape, reps) => {
        expect((await expectSame('Tile', () => tf.tile(tensor(shape, 5), reps), 1e-12)).maxAbs).toBe(0);
      },
    );

    it('tiles int32 and bool as cpu does', async () => {
      const ints = await on(backend, () => tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]));
      expect(Array.from(ints.values)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
      const bools = await on(backend, () => tf.tile(tf.tensor1d([true, false], 'bool'), [3]).toInt());
      expect(Array.from(bools.values)).toEqual([1, 0, 1, 0, 1, 0]);
    });
  });

  describe('Mean', () => {
    // Ours on wasm sums in float64 and divides once; cpu divides each element first: equal to float32 rounding.
    it.each([
      [[6, 5, 7, 8], [0, 1, 2], true],
      [[6, 5, 7, 12], [0, 1, 2], false],
      [[9, 13], [0], false],
      [[4, 6, 8], [2], false],
      [[4, 6, 8], [0, 2], true],
    ] as const)('matches cpu: x %j over axes %j, keepDims %s', async (shape, axis, keepDims) => {
      await expectSame('Mean', () => tf.mean(tensor([...shape], 9), [...axis], keepDims), 1e-6);
    });
  });

  describe('FusedBatchNorm', () => {
    // Ours computes the per-channel factor in float64, then (x - mean) * factor + offset in float32: cpu's to 1e-7.
    it.each([
      ['with scale and offset, C = 8', [3, 5, 4, 8], true],
      ['without scale or offset, C = 12', [2, 3, 3, 12], false],
      ['C = 6 (stock kernel)', [2, 3, 3, 6], true],
    ] as const)('matches cpu: %s', async (_, shape, affine) => {
      const c = shape[3];
      const f = () =>
        tf.batchNorm(
          tensor([...shape], 21),
          tensor([c], 22),
          tensor([c], 23, 0.1, 2),
          affine ? tensor([c], 24) : undefined,
          affine ? tensor([c], 25) : undefined,
          0.001,
        );
      await expectSame('FusedBatchNorm', f, 1e-6);
    });
  });

  describe('per-channel Add, Sub, Multiply, RealDiv', () => {
    for (const [name, op] of Object.entries(ops)) {
      it.each(broadcasts)(`${name} equals cpu exactly: %s`, async (_, aShape, bShape) => {
        // Divisors kept away from 0 so that RealDiv's quotients stay finite.
        const f = () => op(tensor(aShape, 3, 0.5, 2), tensor(bShape, 4, 0.5, 2));
        expect((await expectSame(name, f, 1e-12)).maxAbs).toBe(0);
      });
    }

    // 131072 floats: the SIMD loop on wasm (split over the kernel threads in the threaded build).
    for (const [name, op] of Object.entries(ops))
      it(`${name} of large same-shape tensors equals cpu exactly`, async () => {
        const f = () => op(tensor([8, 64, 64, 4], 5, 0.5, 2), tensor([8, 64, 64, 4], 6, 0.5, 2));
        expect((await expectSame(name, f, 1e-12)).maxAbs).toBe(0);
      });

    it('small same shapes and scalars still match cpu (stock kernels)', async () => {
      await expectSame('Multiply', () => tf.mul(tensor([3, 4, 8], 1), tensor([3, 4, 8], 2)), 1e-12);
      await expectSame('Sub', () => tf.sub(tensor([3, 4, 8], 1), tf.scalar(0.25)), 1e-12);
    });

    if (backend === 'wasm')
      it('has the SIMD loop for channels in fours on wasm', () => {
        expect(rowsLoop(tf.backend() as never, 'mul', false, 32)).toBeTypeOf('function');
        expect(rowsLoop(tf.backend() as never, 'mul', false, 6)).toBeNull();
      });
  });
});
