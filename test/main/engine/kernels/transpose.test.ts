// Tests (Node, tfjs cpu vs wasm and tensorflow): our Transpose (first and last axes swapped: a conv's weight gradient) equals the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { swapOuterLoop } from '../../../../main/engine/kernels/transpose-simd.js';
import { forEachBackend } from '../backends.js';
import { expectSame, on, random, reportWorst } from './harness.js';

afterAll(reportWorst);

interface Case {
  x: number[];
  perm: number[];
}

/** First and last axes swapped, both in fours: the SIMD loop. */
const swapped: Case[] = [
  { x: [64, 13, 13, 32], perm: [3, 1, 2, 0] },
  { x: [4, 3, 5, 8], perm: [3, 1, 2, 0] },
  { x: [8, 12], perm: [1, 0] },
  { x: [4, 7, 4], perm: [2, 1, 0] },
  { x: [12, 2, 3, 1, 4], perm: [4, 1, 2, 3, 0] },
];

/** Everything else: the stock kernel. */
const stock: Case[] = [
  { x: [5, 3, 4, 8], perm: [3, 1, 2, 0] },
  { x: [4, 3, 4, 6], perm: [3, 1, 2, 0] },
  { x: [4, 6, 8], perm: [0, 2, 1] },
  { x: [4, 6, 8], perm: [2, 0, 1] },
  { x: [0, 3, 4], perm: [2, 1, 0] },
];

const label = (c: Case) => `x ${c.x.join('x')}, perm ${c.perm.join(',')}`;
const transpose =
  (c: Case, dtype: 'float32' | 'int32' = 'float32') =>
  () =>
    tf.transpose(tf.tensor(random(tf.util.sizeFromShape(c.x), 7, -100, 100).map(Math.round), c.x, dtype), c.perm);

forEachBackend((backend) => {
  describe('Transpose', () => {
    it.each(swapped.map((c) => [label(c), c] as const))('swapping the outer axes equals cpu exactly: %s', async (_, c) => {
      expect((await expectSame('Transpose', transpose(c), 1e-12)).maxAbs).toBe(0);
    });

    it('moves int32 values the same way', async () => {
      const c = swapped[1]!;
      const want = await on('cpu', transpose(c, 'int32'));
      const got = await on(backend, transpose(c, 'int32'));
      expect(Array.from(got.values)).toEqual(Array.from(want.values));
    });

    it.each(stock.map((c) => [label(c), c] as const))('other transposes equal cpu (stock kernel): %s', async (_, c) => {
      expect((await expectSame('Transpose', transpose(c), 1e-12)).maxAbs).toBe(0);
    });

    if (backend === 'wasm')
      it('has the SIMD loop for outer sizes in fours on wasm (else the stock kernel does its work, 5x slower)', () => {
        expect(swapOuterLoop(tf.backend() as never, 64, 169, 32)).toBeTypeOf('function');
        expect(swapOuterLoop(tf.backend() as never, 6, 169, 32)).toBeNull();
      });
  });
});
