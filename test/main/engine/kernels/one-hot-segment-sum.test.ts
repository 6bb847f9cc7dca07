// Tests (Node, tfjs cpu vs wasm and tensorflow): our OneHot and UnsortedSegmentSum (Embedding's gradient) equal the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachBackend } from '../backends.js';
import { expectSame, on, random, reportWorst } from './harness.js';

afterAll(reportWorst);

forEachBackend((backend) => {
  describe('OneHot', () => {
    it.each(['float32', 'int32'] as const)('writes %s values, and a row of offValue for ids out of range', async (dtype) => {
      const f = () => tf.oneHot(tf.tensor2d([0, 3, -1, 2, 9, 1], [2, 3], 'int32'), 4, 5, -2, dtype).cast('float32');
      await expectSame('OneHot', f, 1e-12);
      expect(Array.from((await on(backend, f)).values.slice(0, 8))).toEqual([5, -2, -2, -2, -2, -2, -2, 5]);
    });
  });

  describe('UnsortedSegmentSum', () => {
    /**
     * Random ids from -1 to `segments`: rows with an id outside [0, segments) are dropped, as on cpu. TensorFlow drops
     * negative ids but refuses ids >= segments (below); an Embedding's gradient never has them, so there they are
     * brought in range.
     */
    const idsFor = (count: number, seed: number, segments: number) =>
      random(count, seed, -1, segments + 1).map((id) => Math.floor(backend === 'wasm' ? id : Math.min(id, segments - 1)));
    const cases = [
      { x: [10, 3], segments: 4 },
      { x: [12], segments: 5 },
    ];
    it.each(cases.map((c) => [`x ${c.x.join('x')}, ${c.segments} segments`, c] as const))('matches cpu: %s', async (_, c) => {
      const x = random(tf.util.sizeFromShape(c.x), 31);
      const ids = idsFor(c.x[0]!, 32, c.segments);
      await expectSame('UnsortedSegmentSum', () => tf.unsortedSegmentSum(tf.tensor(x, c.x), tf.tensor1d(ids, 'int32'), c.segments));
    });

    it('takes ids of any rank, naming rows of x by its leading dims (the cpu kernel only takes rank 1)', async () => {
      const x = random(2 * 6 * 3 * 2, 34);
      const ids = idsFor(12, 35, 7);
      await expectSame(
        'UnsortedSegmentSum',
        () => tf.unsortedSegmentSum(tf.tensor(x, [2, 6, 3, 2]), tf.tensor2d(ids, [2, 6], 'int32') as unknown as tf.Tensor1D, 7),
        1e-5,
        () => tf.unsortedSegmentSum(tf.tensor(x, [12, 3, 2]), tf.tensor1d(ids, 'int32'), 7),
      );
    });

    if (backend === 'tensorflow')
      it('refuses an id >= the number of segments, naming it', () => {
        expect(() => tf.tidy(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3]), tf.tensor1d([0, 4, 1], 'int32'), 4))).toThrow(
          'segment_ids[1] = 4 is out of range [0, 4)',
        );
      });

    it('sums int32 values as int32', async () => {
      const f = () => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([1, 0, 1, 1], 'int32'), 2);
      expect(Array.from((await on(backend, f)).values)).toEqual([2, 8]);
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
});
