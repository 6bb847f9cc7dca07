// Runs in the training thread: Sum and Mean for wasm over leading axes (bias gradients, BatchNorm statistics), no transpose.
import type * as tfjs from '@tensorflow/tfjs';
import { columnSumsLoop } from './column-sums-simd.js';
import { f32, free, output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * The stock kernel sums innermost axes only, so for a bias gradient (axes [0, 1, 2] of an NHWC dy) it first transposes
 * the whole of dy. Summing the columns of dy seen as [rows, channels] in place takes a quarter of the time (MNIST's
 * first conv at batch 64: 0.55 ms against 2.4 ms) and adds in float64, in row order, as the cpu backend does. Every
 * other reduction (inner or mixed axes, all axes, other dtypes) goes to the stock kernel.
 */
export function sumConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return leadingReduction(tf, stock, tf.Sum, (sum) => sum);
}

/**
 * Mean over leading axes (BatchNorm's batch statistics: axes [0, 1, 2] of an NHWC activation): the stock kernel
 * transposes the whole input first (48 ms for [32,64,64,32] against 1.4 ms here). The float64 sum divided by the count
 * and rounded once (the cpu backend divides each element first, then sums: the two agree to float32 rounding).
 */
export function meanConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return leadingReduction(tf, stock, tf.Mean, (sum, rows) => sum / rows);
}

/** A reduction over exactly the leading axes of a float32 tensor, from its column sums; anything else to the stock kernel. */
function leadingReduction(
  tf: Tf,
  stock: tfjs.KernelConfig,
  kernelName: string,
  finish: (sum: number, rows: number) => number,
): tfjs.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: Info };
      const { axis, keepDims } = args.attrs as unknown as tfjs.SumAttrs;
      const leading = leadingAxes(tf, x, axis);
      if (leading === 0 || leading === x.shape.length || x.dtype !== 'float32') return stock.kernelFunc(args);
      const w = { tf, backend: args.backend } as Wasm;
      const inner = x.shape.slice(leading);
      const out = output(w, keepDims ? [...x.shape.slice(0, leading).map(() => 1), ...inner] : inner);
      const columns = tf.util.sizeFromShape(inner);
      const rows = tf.util.sizeFromShape(x.shape) / columns;
      const sums = simdColumnSums(w, x, columns) ?? columnSums(f32(w, x), columns);
      f32(w, out).set(sums.map((sum) => finish(sum, rows)));
      return out;
    },
  };
}

/** How many leading axes the reduction is, when it is exactly axes 0..k-1; 0 when it is anything else. */
function leadingAxes(tf: Tf, x: Info, axis: number | number[]): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/**
 * The SIMD loop's sums (a quarter of the JS loop's time: 0.15 ms for MNIST's first conv at batch 64), or undefined
 * where it does not apply: columns not in fours, no rows, no SIMD.
 */
function simdColumnSums(w: Wasm, x: Info, columns: number): Float64Array | undefined {
  const rows = w.tf.util.sizeFromShape(x.shape) / columns;
  const loop = rows === 0 ? null : columnSumsLoop(w.backend, columns);
  if (loop === null) return undefined;
  const scratch = output(w, [columns * 2]); // float64 sums
  const sumsAt = f32(w, scratch).byteOffset;
  loop(f32(w, x).byteOffset, rows, sumsAt);
  const sums = new Float64Array(f32(w, scratch).buffer.slice(sumsAt, sumsAt + columns * 8));
  free(w, scratch);
  return sums;
}

/**
 * Eight columns at a time, each down all the rows with its sum in a local: eight strided streams, which the hardware
 * prefetches, and no memory traffic for the sums (a running sum per column in an array is four times slower).
 */
function columnSums(x: Float32Array, columns: number): Float64Array {
  const sums = new Float64Array(columns);
  let c = 0;
  for (; c + 8 <= columns; c += 8) addEightColumns(x, c, columns, sums);
  for (; c < columns; c++) for (let i = c; i < x.length; i += columns) sums[c] = sums[c]! + x[i]!;
  return sums;
}

function addEightColumns(x: Float32Array, c: number, columns: number, sums: Float64Array): void {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    s4 = 0,
    s5 = 0,
    s6 = 0,
    s7 = 0;
  for (let i = c; i < x.length; i += columns) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
    s4 += x[i + 4]!;
    s5 += x[i + 5]!;
    s6 += x[i + 6]!;
    s7 += x[i + 7]!;
  }
  sums.set([s0, s1, s2, s3, s4, s5, s6, s7], c);
}
