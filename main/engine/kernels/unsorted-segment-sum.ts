// Runs in the training thread: UnsortedSegmentSum for wasm, which lacks it: the gradient of Gather (Embedding layers).
import type * as tfjs from '@tensorflow/tfjs';
import { output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/**
 * out[s] = sum of the rows of x whose segment id is s. x's leading dims are the ids' shape; rows with an id outside
 * [0, numSegments) are dropped, as on the cpu backend.
 */
export function unsortedSegmentSumConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.UnsortedSegmentSum,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
      const { numSegments } = attrs as unknown as tfjs.UnsortedSegmentSumAttrs;
      const w = { tf, backend } as Wasm;
      const rowShape = x.shape.slice(segmentIds.shape.length);
      const row = tf.util.sizeFromShape(rowShape);
      const out = output(w, [numSegments, ...rowShape], x.dtype);
      const ids = w.backend.typedArrayFromHeap(segmentIds);
      const values = w.backend.typedArrayFromHeap(x);
      const sums = w.backend.typedArrayFromHeap(out);
      sums.fill(0);
      for (let r = 0; r < ids.length; r++) {
        const id = ids[r]!;
        if (id < 0 || id >= numSegments) continue;
        for (let i = 0, from = r * row, to = id * row; i < row; i++) sums[to + i] = sums[to + i]! + values[from + i]!;
      }
      return out;
    },
  };
}
