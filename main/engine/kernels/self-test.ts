// Runs in the training thread at start-up: checks a backend's conv, pool, dense and bias gradients (wasm's, tensorflow's) against cpu's kernels.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './wasm-ops.js';

export interface GradientSelfTest {
  ok: boolean;
  /** Over the input, filter, dense-weight, first-layer filter and bias gradients: largest absolute error / largest reference magnitude. */
  maxRelError: number;
  ms: number;
  /** Why the gradients could not be computed on the backend at all (a missing kernel, say). */
  error?: string;
}

/** float32 sums of a few dozen terms agree to ~1e-7; a wrong kernel is off by order 1. */
const TOLERANCE = 1e-4;

/**
 * loss = sum(matMul(flatten(maxPool3x3s2same(conv3x3s2same(x, w) - 0.5)), v) * r), differentiated on the current
 * backend (wasm with Tributary's kernels, or tensorflow with TensorFlow's own) by tfjs's own gradients, and on the cpu
 * backend by its kernels called in the same chain. The lower rows of x are zero, so 15 of the 32 pooled windows have a
 * maximum <= 0 (4 of them ties at -0.5) and windows overhang the padding: the cases the stock wasm MaxPoolGrad gets
 * wrong (its relative error here is 1.05). Beside the chain, a first layer's filter gradient (on wasm: patches smaller
 * than its 16 output channels take our SIMD loop, not XNNPACK) and a bias gradient (column sums: another SIMD loop).
 * Synchronous, a few milliseconds, no backend switch, nothing kept.
 */
export function selfTestGradients(tf: Tf): GradientSelfTest {
  const start = performance.now();
  if (tf.getBackend() === 'cpu') throw new Error('the gradient self-test compares a backend with cpu: make wasm or tensorflow current');
  const inputs = fixture();
  let got: Float32Array[];
  try {
    got = onBackend(tf, inputs);
  } catch (error) {
    return {
      ok: false,
      maxRelError: Infinity,
      ms: performance.now() - start,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  const want = onCpu(tf, inputs);
  const maxRelError = Math.max(...want.map((w, i) => relError(got[i]!, w)));
  return { ok: maxRelError < TOLERANCE, maxRelError, ms: performance.now() - start };
}

interface Fixture {
  x: Float32Array;
  w: Float32Array;
  v: Float32Array;
  r: Float32Array;
  /** A one-channel image and the gradient a 3x3 conv with 16 output channels passes back to its filter and bias. */
  x1: Float32Array;
  dy1: Float32Array;
}

const X: [number, number, number, number] = [2, 7, 7, 2];
const W: [number, number, number, number] = [3, 3, 2, 4];
const POOLED = [2, 2, 2, 4];
const FLAT = [2, 16];
const V = [16, 3];
const R = [2, 3];
const CONV = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as const;
const POOL = { filterSize: 3, strides: 2, pad: 'same' } as const;
const X1 = [2, 6, 6, 1];
const DY1 = [2, 4, 4, 16];
const FIRST_LAYER = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, 16] } as const;
const BIAS = { axis: [0, 1, 2], keepDims: false } as const;

/** Small exact values (multiples of 1/3 .. 1/10) from fixed formulas, differing per image; rows 4.. of x are zero. */
function fixture(): Fixture {
  const x = Float32Array.from({ length: 2 * 7 * 7 * 2 }, (_, i) =>
    Math.floor(i / 14) % 7 < 4 ? (((i * 5 + Math.floor(i / 98)) % 7) - 3) / 3 : 0,
  );
  const w = Float32Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => (((i * 5) % 9) - 4) / 8);
  const v = Float32Array.from({ length: 16 * 3 }, (_, i) => (((i * 7) % 13) - 6) / 10);
  const r = Float32Array.from({ length: 2 * 3 }, (_, i) => (i % 4) - 1.5);
  const x1 = Float32Array.from({ length: 2 * 6 * 6 }, (_, i) => ((i * 7) % 11) / 10);
  const dy1 = Float32Array.from({ length: 2 * 4 * 4 * 16 }, (_, i) => (((i * 3) % 17) - 8) / 8);
  return { x, w, v, r, x1, dy1 };
}

function onBackend(tf: Tf, f: Fixture): Float32Array[] {
  return tf.tidy(() => {
    const loss = (x: tfjs.Tensor, w: tfjs.Tensor, v: tfjs.Tensor) => {
      const conv = tf.conv2d(x as tfjs.Tensor4D, w as tfjs.Tensor4D, CONV.strides, CONV.pad).sub(0.5);
      const pooled = tf.maxPool(conv as tfjs.Tensor4D, POOL.filterSize, POOL.strides, POOL.pad);
      return tf
        .matMul(pooled.reshape(FLAT), v as tfjs.Tensor2D)
        .mul(tf.tensor(f.r, R))
        .sum();
    };
    const grads = tf.grads(loss)([tf.tensor(f.x, X), tf.tensor(f.w, W), tf.tensor(f.v, V)]);
    const dy1 = tf.tensor(f.dy1, DY1);
    const dW1 = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.tensor(f.x1, X1), dy: dy1 }, { ...FIRST_LAYER }) as tfjs.Tensor;
    return [...grads, dW1, tf.sum(dy1, [...BIAS.axis])].map((g) => g.dataSync() as Float32Array);
  });
}

interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tfjs.TensorInfo;
  readSync(dataId: tfjs.DataId): Float32Array;
  disposeData(dataId: tfjs.DataId): void;
}

/** The same chain by hand, each step the cpu kernel that the kernel tests prove ours against. */
function onCpu(tf: Tf, f: Fixture): Float32Array[] {
  const cpu = tf.findBackend('cpu') as unknown as CpuBackend | null;
  if (cpu === null) throw new Error('the gradient self-test needs the cpu backend (@tensorflow/tfjs registers it)');
  const made: tfjs.TensorInfo[] = [];
  const info = (shape: number[], values: Float32Array) => keep(cpu.makeTensorInfo(shape, 'float32', values));
  const keep = (t: tfjs.TensorInfo) => (made.push(t), t);
  const run = (name: string, inputs: Record<string, tfjs.TensorInfo>, attrs: object) =>
    keep(
      tf
        .getKernel(name, 'cpu')
        .kernelFunc({ inputs, backend: cpu as unknown as tfjs.KernelBackend, attrs: attrs as tfjs.NamedAttrMap }) as tfjs.TensorInfo,
    );
  const values = (t: tfjs.TensorInfo) => cpu.readSync(t.dataId);
  try {
    const x = info(X, f.x);
    const w = info(W, f.w);
    const conv = run(tf.Conv2D, { x, filter: w }, CONV);
    const shifted = info(
      conv.shape,
      values(conv).map((c) => c - 0.5),
    );
    const pooled = run(tf.MaxPool, { x: shifted }, POOL);
    const r = info(R, f.r);
    const dFlat = run(tf.BatchMatMul, { a: r, b: info(V, f.v) }, { transposeA: false, transposeB: true });
    const dV = run(tf.BatchMatMul, { a: info(FLAT, values(pooled)), b: r }, { transposeA: true, transposeB: false });
    const dConv = run(tf.MaxPoolGrad, { dy: info(POOLED, values(dFlat)), input: shifted, output: pooled }, POOL);
    const dX = run(tf.Conv2DBackpropInput, { dy: dConv, filter: w }, { ...CONV, inputShape: X });
    const dW = run(tf.Conv2DBackpropFilter, { x, dy: dConv }, { ...CONV, filterShape: W });
    const dy1 = info(DY1, f.dy1);
    const dW1 = run(tf.Conv2DBackpropFilter, { x: info(X1, f.x1), dy: dy1 }, FIRST_LAYER);
    const bias = run(tf.Sum, { x: dy1 }, BIAS);
    return [dX, dW, dV, dW1, bias].map((t) => values(t).slice());
  } finally {
    for (const t of made) cpu.disposeData(t.dataId);
  }
}

function relError(got: Float32Array, want: Float32Array): number {
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return got.length === want.length ? maxAbs / scale : Infinity;
}
