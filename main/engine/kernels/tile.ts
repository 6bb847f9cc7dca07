// Runs in the training thread: Tile for wasm as block copies (BatchNorm's gradient tiles a [1,1,1,C] vector to a whole activation).
import type * as tfjs from '@tensorflow/tfjs';
import { output, type Info, type Tf, type Wasm } from './wasm-ops.js';

/** Below this many elements a chunk is copied element by element: copyWithin's call costs more than the copy. */
const SHORT_CHUNK = 16;

/**
 * The stock kernel computes every output element's source index one by one (293-650 ms for [1,1,1,32] to
 * [32,64,64,32]); here the input is written once where the first copy goes and then each axis, innermost first, is
 * replicated by doubling block copies (a few ms). Every dtype the wasm backend stores in its memory (not strings).
 */
export function tileConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return {
    kernelName: tf.Tile,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: Info };
      const { reps } = args.attrs as unknown as tfjs.TileAttrs;
      if (x.dtype === 'string' || x.shape.length === 0 || reps.length !== x.shape.length) return stock.kernelFunc(args);
      const w = { tf, backend: args.backend } as Wasm;
      const out = output(
        w,
        x.shape.map((s, i) => s * reps[i]!),
        x.dtype,
      );
      if (tf.util.sizeFromShape(out.shape) > 0) tile(view(w, x), view(w, out), x.shape, reps);
      return out;
    },
  };
}

type Values = Float32Array | Int32Array | Uint8Array;

function view(w: Wasm, x: Info): Values {
  return w.backend.typedArrayFromHeap(x) as Values;
}

/**
 * After the step for axis k, every block out[i0..i(k-1), :, ...] whose leading indices lie inside x's shape is complete.
 * The innermost step first copies x's rows into those blocks; each step then repeats the first shape[k] slices reps[k] times.
 */
function tile(x: Values, out: Values, shape: number[], reps: number[]): void {
  const rank = shape.length;
  const outShape = shape.map((s, i) => s * reps[i]!);
  // Elements in one slice of out along axis k (the product of the out shape after k).
  const inner = outShape.map((_, k) => outShape.slice(k + 1).reduce((a, b) => a * b, 1));
  const row = shape[rank - 1]!;
  forEachPrefix(shape, inner, rank - 1, (at, p) => out.set(x.subarray(p * row, (p + 1) * row), at));
  for (let k = rank - 1; k >= 0; k--) {
    const chunk = shape[k]! * inner[k]!;
    const total = chunk * reps[k]!;
    if (total === chunk) continue;
    forEachPrefix(shape, inner, k, (at) => repeat(out, at, chunk, total));
  }
}

/** Calls `visit` with the out offset of every index prefix i0..i(k-1) inside x's shape, and the prefix's ordinal. */
function forEachPrefix(shape: number[], inner: number[], k: number, visit: (at: number, ordinal: number) => void): void {
  const index = Array<number>(k).fill(0);
  const count = shape.slice(0, k).reduce((a, b) => a * b, 1);
  for (let p = 0; p < count; p++) {
    let at = 0;
    for (let j = 0; j < k; j++) at += index[j]! * inner[j]!;
    visit(at, p);
    for (let j = k - 1; j >= 0; j--) {
      if (++index[j]! < shape[j]!) break;
      index[j] = 0;
    }
  }
}

/** out[at + chunk .. at + total) = the first `chunk` elements at `at`, repeated. */
function repeat(out: Values, at: number, chunk: number, total: number): void {
  if (chunk < SHORT_CHUNK) {
    for (let i = at + chunk; i < at + total; i++) out[i] = out[i - chunk]!;
    return;
  }
  for (let done = chunk; done < total; done *= 2) out.copyWithin(at + done, at, at + Math.min(done, total - done));
}
