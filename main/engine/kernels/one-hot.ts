// Runs in the training thread: OneHot for wasm; the stock kernel writes int32 bit patterns into float32 outputs.
import type * as tfjs from '@tensorflow/tfjs';
import { output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/** Indices outside [0, depth) give a row of offValue, as on the cpu backend. */
export function oneHotConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.OneHot,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { indices } = inputs as { indices: Info };
      const { dtype, depth, onValue, offValue } = attrs as unknown as tfjs.OneHotAttrs;
      const w = { tf, backend } as Wasm;
      const out = output(w, [...indices.shape, depth], dtype);
      const ids = w.backend.typedArrayFromHeap(indices);
      const values = w.backend.typedArrayFromHeap(out);
      values.fill(offValue);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id >= 0 && id < depth) values[i * depth + id] = onValue;
      }
      return out;
    },
  };
}
