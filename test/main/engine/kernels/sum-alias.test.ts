// Tests (Node, tfjs cpu vs wasm and tensorflow): Sum (leading axes: bias gradients; ours on wasm) matches cpu's; Identity and Cast share memory.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { columnSumsLoop } from '../../../../main/engine/kernels/column-sums-simd.js';
import { forEachBackend } from '../backends.js';
import { expectSame, on, random, reportWorst } from './harness.js';

afterAll(reportWorst);

interface SumCase {
  x: number[];
  /** Undefined: all axes. */
  axis?: number | number[];
  keepDims?: boolean;
}

/**
 * Leading axes, in any order or spelling: summed in float64 in row order, as on cpu, so equal to the last bit; by the
 * SIMD loop where the columns come in fours (16 at a time, and 20 as 16 + 4), else by JS.
 */
const leading: SumCase[] = [
  { x: [64, 26, 26, 32], axis: [0, 1, 2] },
  { x: [4, 6, 6, 8], axis: [0, 1, 2], keepDims: true },
  { x: [3, 5, 13], axis: [1, 0] },
  { x: [9, 13], axis: 0 },
  { x: [2, 3, 4, 5], axis: [-4, -3] },
  { x: [7, 3], axis: [0], keepDims: true },
  { x: [0, 5], axis: 0 },
];

/** Everything else goes to the stock kernel, which sums in float32. */
const stock: SumCase[] = [
  { x: [4, 6, 8], axis: [2] },
  { x: [4, 6, 8], axis: [0, 2] },
  { x: [4, 6, 8] },
  { x: [4, 6, 8], axis: [0, 1, 2], keepDims: true },
];

const label = (c: SumCase) => `x ${c.x.join('x')}, axis ${JSON.stringify(c.axis ?? 'all')}${c.keepDims ? ', keepDims' : ''}`;
const sum = (c: SumCase) => () => tf.sum(tf.tensor(random(tf.util.sizeFromShape(c.x), 41, -2, 2), c.x), c.axis, c.keepDims);

forEachBackend((backend) => {
  const exactly = backend === 'wasm' ? 'equals cpu exactly' : 'matches cpu';
  describe('Sum', () => {
    // Ours sums in float64 as cpu does; TensorFlow sums float32 in its own order (3e-6 apart over 64x26x26 rows).
    it.each(leading.map((c) => [label(c), c] as const))(`over leading axes ${exactly}: %s`, async (_, c) => {
      if (backend === 'wasm') expect((await expectSame('Sum', sum(c), 1e-12)).maxAbs).toBe(0);
      else await expectSame('Sum', sum(c), 1e-5);
    });

    it.each(stock.map((c) => [label(c), c] as const))('over other axes matches cpu (stock kernel): %s', async (_, c) => {
      await expectSame('Sum', sum(c), 1e-6);
    });

    if (backend === 'wasm')
      it('has the SIMD loop for columns in fours on wasm (else a JS loop does its work, 3x slower)', () => {
        expect(columnSumsLoop(tf.backend() as never, 32)).toBeTypeOf('function');
        expect(columnSumsLoop(tf.backend() as never, 13)).toBeNull();
      });

    it('sums int32 over leading axes as int32 (stock kernel)', async () => {
      const f = () => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0);
      const got = await on(backend, f);
      expect(Array.from(got.values)).toEqual([9, 12]);
    });
  });

  describe('Identity and Cast', () => {
    const current = () => tf.engine().backend;

    it('clone shares the memory, which lives until the last tensor on it is disposed', () => {
      const x = tf.tensor2d(random(12, 42), [3, 4]);
      const before = current().numDataIds();
      const y = tf.clone(x);
      expect(current().numDataIds()).toBe(before);
      const values = Array.from(x.dataSync());
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual(values);
      y.dispose();
      expect(current().numDataIds()).toBe(before - 1);
    });

    // Ours on wasm; tfjs-node's Cast copies (the gradient tape's casts then cost a copy each).
    if (backend === 'wasm')
      it('a cast to the same dtype shares the memory', () => {
        const x = tf.tensor1d([1.5, -2.7, 3, 0.2]);
        const before = current().numDataIds();
        const same = tf.cast(x, 'float32');
        expect(current().numDataIds()).toBe(before);
        expect(Array.from(same.dataSync())).toEqual(Array.from(x.dataSync()));
        tf.dispose([x, same]);
      });

    it('a cast to another dtype converts as cpu does', async () => {
      await expectSame('Cast', () => tf.cast(tf.tensor1d([1.5, -2.7, 3, 0.2]), 'int32'), 1e-12);
    });
  });
});
