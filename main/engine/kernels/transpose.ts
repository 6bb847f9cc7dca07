// Runs in the training thread: Transpose for wasm, a SIMD loop where the first and last axes swap (a conv's weight gradient does that).
import type * as tfjs from '@tensorflow/tfjs';
import { swapOuterLoop } from './transpose-simd.js';
import { f32, output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * The weight gradient of every conv whose patches are not small turns x [b, h, w, c] into [c, h, w, b] first (MNIST's
 * second conv at batch 64: 0.5 ms a step in the stock kernel, 0.1 ms in 4x4 SIMD blocks). Any perm that swaps the
 * first and last axes and keeps the others in order, on 4-byte values with both outer sizes in fours, takes the
 * loop; every other transpose goes to the stock kernel.
 */
export function transposeConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return {
    kernelName: tf.Transpose,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: Info };
      const { perm } = args.attrs as unknown as tfjs.TransposeAttrs;
      const n = x.shape.length;
      const swapsOuter = n >= 2 && perm[0] === n - 1 && perm[n - 1] === 0 && perm.slice(1, -1).every((p, i) => p === i + 1);
      const fourBytes = x.dtype === 'float32' || x.dtype === 'int32';
      const w = { tf, backend: args.backend } as Wasm;
      const loop =
        swapsOuter && fourBytes
          ? swapOuterLoop(w.backend, x.shape[0]!, tf.util.sizeFromShape(x.shape.slice(1, -1)), x.shape[n - 1]!)
          : null;
      if (loop === null) return stock.kernelFunc(args);
      const out = output(
        w,
        perm.map((p) => x.shape[p]!),
        x.dtype,
      );
      loop(f32(w, x).byteOffset, f32(w, out).byteOffset);
      return out;
    },
  };
}
