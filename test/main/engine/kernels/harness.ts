// Test helper (Node): runs the same kernel call on the cpu backend and the backend under test (wasm, tensorflow) and measures how far apart they are.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { backendUnderTest } from '../backends.js';
import type { TrainingBackend } from '../backends.js';

/** Deterministic uniform values in [lo, hi). */
export function random(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

export interface Run {
  values: Float32Array;
  shape: number[];
}

/**
 * Runs `f` on a backend inside tidy, and checks that the call leaves neither an engine tensor nor any backend memory
 * behind (wasm's kernels free their intermediates themselves, so tf.memory() alone would not see a leak).
 */
export async function on(backend: 'cpu' | TrainingBackend, f: () => tf.Tensor): Promise<Run> {
  await tf.setBackend(backend);
  const tensors = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const result = tf.tidy(f);
  const run = { values: Float32Array.from(result.dataSync()), shape: result.shape };
  result.dispose();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  return run;
}

export interface Errors {
  maxAbs: number;
  /** Largest absolute error over the largest reference magnitude: float32 sums are accurate relative to their scale. */
  rel: number;
}

const worst = new Map<string, Errors>();

export function errors(got: Run, want: Run): Errors {
  expect(got.shape).toEqual(want.shape);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < want.values.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got.values[i]! - want.values[i]!));
    scale = Math.max(scale, Math.abs(want.values[i]!));
    if (Number.isNaN(got.values[i])) maxAbs = Infinity;
  }
  return { maxAbs, rel: scale === 0 ? maxAbs : maxAbs / scale };
}

/**
 * Same call on cpu and on the backend under test; asserts the relative error and records the worst one seen per kernel and
 * backend. `reference` replaces the call on cpu where the cpu kernel itself is wrong (then it computes the same thing another way).
 */
export async function expectSame(kernel: string, f: () => tf.Tensor, tolerance = 1e-5, reference = f): Promise<Errors> {
  const backend = backendUnderTest();
  const want = await on('cpu', reference);
  const got = await on(backend, f);
  return expectClose(`${kernel} on ${backend}`, got, want, tolerance);
}

/** Asserts the relative error of `got` against `want` and records the worst one seen under `label`. */
export function expectClose(label: string, got: Run, want: Run, tolerance: number): Errors {
  const e = errors(got, want);
  const seen = worst.get(label);
  worst.set(label, { maxAbs: Math.max(e.maxAbs, seen?.maxAbs ?? 0), rel: Math.max(e.rel, seen?.rel ?? 0) });
  expect(e.rel).toBeLessThan(tolerance);
  return e;
}

/** One line per kernel for the test log: the measured worst case, not just "passed". */
export function reportWorst(): void {
  for (const [kernel, e] of worst)
    console.log(`${kernel}: max abs error ${e.maxAbs.toExponential(2)}, max rel error ${e.rel.toExponential(2)}`);
}
