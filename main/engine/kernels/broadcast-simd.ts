// Runs in the training thread: a float32 binary op of each row of a [rows, c] matrix with one c-vector, as a generated WebAssembly SIMD loop.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loopThreadCount, runSplit } from './loop-threads.js';
import {
  advanceBy,
  compiledLoop,
  countDown,
  end,
  f32x4Add,
  f32x4Div,
  f32x4Mul,
  f32x4Sub,
  get,
  i32,
  load,
  loop,
  set,
  store,
  type LoopFunction,
} from './wasm-asm.js';

export type RowOp = 'add' | 'sub' | 'mul' | 'div';

/** out[r, j] = op(matrix[r, j], vector[j]), or op(vector[j], matrix[r, j]) when the vector is the left operand; byte addresses. */
export type RowsLoop = (matrix: number, vector: number, out: number, rows: number) => void;

const OPS: Record<RowOp, number[]> = { add: f32x4Add, sub: f32x4Sub, mul: f32x4Mul, div: f32x4Div };

/** Below this many rows per thread, waking a helper costs more than it saves (a row of 32 floats takes ~10 ns). */
const MIN_ROWS_PER_THREAD = 4096;

/**
 * The loop for vectors of `columns` floats (a multiple of 4) on this backend's memory (compiled once per shape), or
 * null. Large matrices are split by rows over the kernel threads (loop-threads.ts).
 */
export function rowsLoop(backend: BackendWasm, op: RowOp, vectorLeft: boolean, columns: number): RowsLoop | null {
  if (columns % 4 !== 0 || columns === 0) return null;
  const loop = compiledLoop(backend, `rows ${op} ${vectorLeft} ${columns}`, () => rowsFunction(OPS[op], vectorLeft, columns));
  if (loop === null) return null;
  const threads = loopThreadCount(backend);
  return (matrix, vector, out, rows) => {
    const parts = Math.max(1, Math.min(threads, Math.floor(rows / MIN_ROWS_PER_THREAD)));
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((rows * i) / parts));
    const rowBytes = columns * 4;
    const part = (from: number, to: number) => ({ loop, args: [matrix + from * rowBytes, vector, out + from * rowBytes, to - from] });
    runSplit(
      backend,
      bounds.slice(1).map((to, i) => part(bounds[i]!, to)),
    );
  };
}

// Parameters, then locals, by index.
const MATRIX = 0,
  VECTOR = 1,
  OUT = 2,
  ROWS = 3;
const VP = 4,
  LEFT = 5;

/** Row after row, four columns at a time; rows at least 1. Each f32x4 lane rounds as the scalar float32 op does. */
function rowsFunction(op: number[], vectorLeft: boolean, columns: number): LoopFunction {
  const operands = vectorLeft ? [...get(VP), ...load(), ...get(MATRIX), ...load()] : [...get(MATRIX), ...load(), ...get(VP), ...load()];
  const body = [
    ...loop,
    ...get(VECTOR),
    ...set(VP),
    ...i32(columns / 4),
    ...set(LEFT),
    ...loop,
    ...get(OUT),
    ...operands,
    ...op,
    ...store(),
    ...advanceBy(16, MATRIX, OUT, VP),
    ...countDown(LEFT),
    ...end,
    ...countDown(ROWS),
    ...end,
    ...i32(0),
  ];
  return { params: 4, i32Locals: 2, v128Locals: 0, body };
}

/** out[i] = op(a[i], b[i]) for `count` floats (a multiple of 4): byte addresses. */
export type ElementwiseLoop = (a: number, b: number, out: number, count: number) => void;

/** Below this many floats per thread, waking a helper costs more than it saves. */
const MIN_ELEMENTS_PER_THREAD = 1 << 17;

/** The same-shape loop for `op` on this backend's memory, split over the kernel threads by ranges, or null. */
export function elementwiseLoop(backend: BackendWasm, op: RowOp): ElementwiseLoop | null {
  const loop = compiledLoop(backend, `elementwise ${op}`, () => elementwiseFunction(OPS[op]));
  if (loop === null) return null;
  const threads = loopThreadCount(backend);
  return (a, b, out, count) => {
    const parts = Math.max(1, Math.min(threads, Math.floor(count / MIN_ELEMENTS_PER_THREAD)));
    // Part boundaries on whole vectors.
    const bounds = Array.from({ length: parts + 1 }, (_, i) => 4 * Math.round((count / 4) * (i / parts)));
    const part = (from: number, to: number) => ({ loop, args: [a + from * 4, b + from * 4, out + from * 4, (to - from) / 4] });
    runSplit(
      backend,
      bounds.slice(1).map((to, i) => part(bounds[i]!, to)),
    );
  };
}

/** Four floats at a time, `vectors` times (at least 1). */
function elementwiseFunction(op: number[]): LoopFunction {
  const body = [
    ...loop,
    ...get(OUT),
    ...get(MATRIX),
    ...load(),
    ...get(VECTOR),
    ...load(),
    ...op,
    ...store(),
    ...advanceBy(16, MATRIX, VECTOR, OUT),
    ...countDown(ROWS),
    ...end,
    ...i32(0),
  ];
  return { params: 4, i32Locals: 0, v128Locals: 0, body };
}

/** out[r, j] = (x[r, j] - p[j]) * p[columns + j] + p[2 * columns + j]: BatchNorm with its per-channel mean, factor and offset at p. */
export type ChannelAffineLoop = (x: number, p: number, out: number, rows: number) => void;

/** The loop for rows of `columns` floats (a multiple of 4), split by rows over the kernel threads, or null. */
export function channelAffineLoop(backend: BackendWasm, columns: number): ChannelAffineLoop | null {
  if (columns % 4 !== 0 || columns === 0) return null;
  const loop = compiledLoop(backend, `channelAffine ${columns}`, () => channelAffineFunction(columns));
  if (loop === null) return null;
  const threads = loopThreadCount(backend);
  return (x, p, out, rows) => {
    const parts = Math.max(1, Math.min(threads, Math.floor(rows / MIN_ROWS_PER_THREAD)));
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((rows * i) / parts));
    const rowBytes = columns * 4;
    const part = (from: number, to: number) => ({ loop, args: [x + from * rowBytes, p, out + from * rowBytes, to - from] });
    runSplit(
      backend,
      bounds.slice(1).map((to, i) => part(bounds[i]!, to)),
    );
  };
}

function channelAffineFunction(columns: number): LoopFunction {
  const bytes = columns * 4;
  const body = [
    ...loop,
    ...get(VECTOR),
    ...set(VP),
    ...i32(columns / 4),
    ...set(LEFT),
    ...loop,
    ...get(OUT),
    ...get(MATRIX),
    ...load(),
    ...get(VP),
    ...load(),
    ...f32x4Sub,
    ...get(VP),
    ...load(bytes),
    ...f32x4Mul,
    ...get(VP),
    ...load(2 * bytes),
    ...f32x4Add,
    ...store(),
    ...advanceBy(16, MATRIX, OUT, VP),
    ...countDown(LEFT),
    ...end,
    ...countDown(ROWS),
    ...end,
    ...i32(0),
  ];
  return { params: 4, i32Locals: 2, v128Locals: 0, body };
}
