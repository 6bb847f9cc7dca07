// Runs in the training thread: Add, Sub, Multiply and RealDiv for wasm on large same-shape tensors and per-channel vectors (BatchNorm), on the kernel threads.
import type * as tfjs from '@tensorflow/tfjs';
import { elementwiseLoop, rowsLoop, type RowOp } from './broadcast-simd.js';
import { f32, output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * An [N,H,W,C] activation with a [C] or [1,1,1,C] vector: the stock kernels compute each element's broadcast index
 * (2.8-6.6 ms for [32,64,64,32]), where a row-by-row SIMD loop streams at memory speed (1.2-2.2 ms; each the best of
 * 8 on a loaded machine), split by rows over the kernel threads. Large same-shape tensors are split likewise. Scalars,
 * every other broadcast, other dtypes, and channels not in fours go to the stock kernel.
 */
export function rowBroadcastConfig(op: RowOp): (tf: Tf, stock: tfjs.KernelConfig) => tfjs.KernelConfig {
  return (tf, stock) => ({
    kernelName: stock.kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: Info; b: Info };
      const w = { tf, backend: args.backend } as Wasm;
      if (tf.util.arraysEqual(a.shape, b.shape)) return sameShape(w, op, a, b) ?? stock.kernelFunc(args);
      const vectorLeft = isRowVector(tf, a, b);
      if (!vectorLeft && !isRowVector(tf, b, a)) return stock.kernelFunc(args);
      const [vector, matrix] = vectorLeft ? [a, b] : [b, a];
      const columns = vector.shape.at(-1)!;
      const loop = a.dtype === 'float32' && b.dtype === 'float32' ? rowsLoop(w.backend, op, vectorLeft, columns) : null;
      const rows = tf.util.sizeFromShape(matrix.shape) / columns;
      if (loop === null || rows === 0) return stock.kernelFunc(args);
      const out = output(w, matrix.shape);
      loop(f32(w, matrix).byteOffset, f32(w, vector).byteOffset, f32(w, out).byteOffset, rows);
      return out;
    },
  });
}

/** Below this many floats the stock kernel is as fast: the split only pays for large tensors. */
const SAME_SHAPE_MIN = 1 << 17;

/**
 * Same shapes, float32, in fours (an activation times its gradient): the stock loop runs on one thread; this one is
 * split over the kernel threads. Undefined (the stock kernel) for small tensors, other dtypes, or no SIMD.
 */
function sameShape(w: Wasm, op: RowOp, a: Info, b: Info): Info | undefined {
  const count = w.tf.util.sizeFromShape(a.shape);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || count % 4 !== 0 || count < SAME_SHAPE_MIN) return undefined;
  const loop = elementwiseLoop(w.backend, op);
  if (loop === null) return undefined;
  const out = output(w, a.shape);
  loop(f32(w, a).byteOffset, f32(w, b).byteOffset, f32(w, out).byteOffset, count);
  return out;
}

/** True when `vector` is [..., 1, C] (ones, then the last axis) and `matrix` has more elements and the same last axis, at least its rank. */
function isRowVector(tf: Tf, vector: Info, matrix: Info): boolean {
  const c = vector.shape.at(-1);
  return (
    c !== undefined &&
    matrix.shape.at(-1) === c &&
    vector.shape.length <= matrix.shape.length &&
    vector.shape.slice(0, -1).every((d) => d === 1) &&
    tf.util.sizeFromShape(matrix.shape) > c
  );
}
