// Runs in the training thread: Add, Sub, Multiply and RealDiv for wasm where one side is a per-channel vector (BatchNorm's forward and gradient).
import type * as tfjs from '@tensorflow/tfjs';
import { rowsLoop, type RowOp } from './broadcast-simd.js';
import { f32, output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * An [N,H,W,C] activation with a [C] or [1,1,1,C] vector: the stock kernels compute each element's broadcast index
 * (30-37 ms for [32,64,64,32]), where a row-by-row SIMD loop streams at memory speed (a few ms). Same-shape,
 * scalar and every other broadcast, other dtypes, and channels not in fours go to the stock kernel.
 */
export function rowBroadcastConfig(op: RowOp): (tf: Tf, stock: tfjs.KernelConfig) => tfjs.KernelConfig {
  return (tf, stock) => ({
    kernelName: stock.kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: Info; b: Info };
      const w = { tf, backend: args.backend } as Wasm;
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
