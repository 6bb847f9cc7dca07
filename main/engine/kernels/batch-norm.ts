// Runs in the training thread: FusedBatchNorm (every BatchNorm layer's forward pass) for wasm as a per-channel SIMD loop on the kernel threads.
import type * as tfjs from '@tensorflow/tfjs';
import { channelAffineLoop } from './broadcast-simd.js';
import { f32, free, output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * y = (x - mean) * scale / sqrt(variance + epsilon) + offset with per-channel [C] statistics: the stock kernel works out
 * each element's channel on one thread; here the factor scale / sqrt(variance + epsilon) is computed once per channel
 * (in float64, as the cpu backend computes the whole expression) and a SIMD loop split by rows does the rest in float32.
 * Statistics of another shape, other dtypes and channels not in fours go to the stock kernel.
 */
export function fusedBatchNormConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined> & {
        x: Info;
        mean: Info;
        variance: Info;
      };
      const { varianceEpsilon } = args.attrs as unknown as tfjs.FusedBatchNormAttrs;
      const w = { tf, backend: args.backend } as Wasm;
      const c = x.shape.at(-1) ?? 0;
      const perChannel = [mean, variance, offset, scale].every(
        (s) => s === undefined || (s.dtype === 'float32' && tf.util.sizeFromShape(s.shape) === c),
      );
      const loop = perChannel && x.dtype === 'float32' ? channelAffineLoop(w.backend, c) : null;
      const rows = tf.util.sizeFromShape(x.shape) / c;
      if (loop === null || !(rows >= 1)) return stock.kernelFunc(args);
      const params = output(w, [3, c]);
      const out = output(w, x.shape);
      const at = (s: Info | undefined) => (s === undefined ? undefined : f32(w, s));
      fillParams(f32(w, params), c, f32(w, mean), f32(w, variance), at(scale), at(offset), varianceEpsilon ?? 0.001);
      loop(f32(w, x).byteOffset, f32(w, params).byteOffset, f32(w, out).byteOffset, rows);
      free(w, params);
      return out;
    },
  };
}

/** [mean | scale / sqrt(variance + epsilon) | offset], each c floats. */
function fillParams(
  p: Float32Array,
  c: number,
  mean: Float32Array,
  variance: Float32Array,
  scale?: Float32Array,
  offset?: Float32Array,
  epsilon = 0.001,
): void {
  for (let j = 0; j < c; j++) {
    p[j] = mean[j]!;
    p[c + j] = (scale?.[j] ?? 1) / Math.sqrt(variance[j]! + epsilon);
    p[2 * c + j] = offset?.[j] ?? 0;
  }
}
