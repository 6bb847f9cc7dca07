// Tests (Node, tfjs cpu vs wasm and tensorflow): our BatchMatMul equals the cpu backend's for every transpose and batch layout.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, it } from 'vitest';
import { forEachBackend } from '../backends.js';
import { expectSame, random, reportWorst } from './harness.js';

interface Case {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

const layouts: Array<Pick<Case, 'a' | 'b'>> = [
  { a: [7, 5], b: [5, 3] }, // dense layer: one matrix each
  { a: [64, 33], b: [33, 10] },
  { a: [3, 4, 6], b: [6, 5] }, // batch against one matrix: one tall product
  { a: [3, 4, 6], b: [1, 6, 5] },
  { a: [4, 6], b: [3, 6, 5] }, // one matrix against a batch
  { a: [2, 3, 4, 6], b: [2, 3, 6, 5] }, // batch against batch
  { a: [2, 1, 4, 6], b: [1, 3, 6, 5] }, // broadcast batch dims
];

/** The same product with each operand stored transposed where the case says so. */
const cases: Case[] = layouts.flatMap(({ a, b }) =>
  [false, true].flatMap((ta) => [false, true].map((tb) => ({ a: ta ? swapLast(a) : a, b: tb ? swapLast(b) : b, ta, tb }))),
);

function swapLast(shape: number[]): number[] {
  return [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!];
}

/** The cpu kernel returns NaN when both batch shapes broadcast ([2,1] with [1,3]), so it gets them spelled out. */
function broadcastFirst(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  if (a.rank < 3 || b.rank < 3) return tf.matMul(a, b, ta, tb);
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return tf.matMul(tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]), tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]), ta, tb);
}

afterAll(reportWorst);

forEachBackend(() => {
  describe('BatchMatMul', () => {
    it.each(cases.map((c) => [`${c.a.join('x')}${c.ta ? 'ᵀ' : ''} · ${c.b.join('x')}${c.tb ? 'ᵀ' : ''}`, c] as const))(
      'matches cpu: %s',
      async (_, c) => {
        const a = random(tf.util.sizeFromShape(c.a), 21);
        const b = random(tf.util.sizeFromShape(c.b), 22);
        await expectSame(
          'BatchMatMul',
          () => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.ta, c.tb),
          1e-5,
          () => broadcastFirst(tf.tensor(a, c.a), tf.tensor(b, c.b), c.ta, c.tb),
        );
      },
    );
  });
});
