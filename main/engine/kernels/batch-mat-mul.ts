// Runs in the training thread: BatchMatMul for wasm that always reaches XNNPACK (dense layers' gradients transpose).
import type * as tfjs from '@tensorflow/tfjs';
import { f32, free, output, reshape, run, transpose, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * The stock kernel uses XNNPACK only for one untransposed pair of matrices and loops over scalars otherwise, which is
 * every gradient of a dense layer (dy·Wᵀ and xᵀ·dy). Here operands are transposed explicitly, a batch against one
 * matrix becomes one tall product, and other batches run matrix by matrix, all through the stock untransposed path.
 */
export function batchMatMulConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: Info; b: Info };
      const { transposeA, transposeB } = attrs as unknown as tfjs.BatchMatMulAttrs;
      const w = { tf, backend } as Wasm;
      const matMul = (x: Info, y: Info) =>
        stock.kernelFunc({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }) as Info;
      const a3 = asBatch(w, a, transposeA);
      const b3 = asBatch(w, b, transposeB);
      const outer = { a: a.shape.slice(0, -2), b: b.shape.slice(0, -2) };
      const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(outer.a, outer.b);
      const product = b3.shape[0] === 1 ? tallProduct(w, a3, b3, matMul) : matrixByMatrix(w, a3, b3, outer, outBatch, matMul);
      const out = reshape(w, product, [...outBatch, ...product.shape.slice(1)]);
      free(w, a3, b3, product);
      return out;
    },
  };
}

type MatMul = (a: Info, b: Info) => Info;

/** [batch, rows, cols] with the transpose done, so the product needs none. */
function asBatch(w: Wasm, x: Info, transposed: boolean): Info {
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  const batch = x.shape.length > 2 ? w.tf.util.sizeFromShape(x.shape.slice(0, -2)) : 1;
  const x3 = reshape(w, x, [batch, rows, cols]);
  if (!transposed) return x3;
  const t = transpose(w, x3, [0, 2, 1]);
  free(w, x3);
  return t;
}

/** A batch of matrices against a single one is one product of a tall matrix: XNNPACK packs the single one once. */
function tallProduct(w: Wasm, a: Info, b: Info, matMul: MatMul): Info {
  const [batch, m, k] = a.shape as [number, number, number];
  const tall = reshape(w, a, [1, batch * m, k]);
  const product = matMul(tall, b);
  const out = reshape(w, product, [batch, m, product.shape[2]!]);
  free(w, tall, product);
  return out;
}

/** Each output matrix from its broadcast pair of operand matrices, copied out of and into the batches. */
function matrixByMatrix(w: Wasm, a: Info, b: Info, outer: { a: number[]; b: number[] }, outBatch: number[], matMul: MatMul): Info {
  const [, m] = a.shape as [number, number, number];
  const [, , n] = b.shape as [number, number, number];
  const count = w.tf.util.sizeFromShape(outBatch);
  const out = output(w, [count, m, n]);
  for (let i = 0; i < count; i++) {
    const coords = w.tf.util.indexToLoc(i, outBatch.length, w.tf.util.computeStrides(outBatch));
    const ai = matrix(w, a, broadcastIndex(w, coords, outer.a));
    const bi = matrix(w, b, broadcastIndex(w, coords, outer.b));
    const product = matMul(ai, bi);
    f32(w, out).set(f32(w, product), i * m * n);
    free(w, ai, bi, product);
  }
  return out;
}

/** The flat batch index of an operand whose batch shape broadcasts (right-aligned, size-1 dims repeat) to the output's. */
function broadcastIndex(w: Wasm, outCoords: number[], shape: number[]): number {
  const skip = outCoords.length - shape.length;
  const coords = shape.map((size, d) => (size === 1 ? 0 : outCoords[skip + d]!));
  return shape.length === 0 ? 0 : w.tf.util.locToIndex(coords, shape.length, w.tf.util.computeStrides(shape));
}

function matrix(w: Wasm, x: Info, index: number): Info {
  const [, rows, cols] = x.shape as [number, number, number];
  return run(w, 'Slice', { x }, { begin: [index, 0, 0], size: [1, rows, cols] });
}
