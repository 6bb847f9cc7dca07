// Runs in the training thread: a float32 binary op of each row of a [rows, c] matrix with one c-vector, as a generated WebAssembly SIMD loop.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  advanceBy,
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
  loopOnBackend,
  set,
  store,
  type LoopFunction,
} from './wasm-asm.js';

export type RowOp = 'add' | 'sub' | 'mul' | 'div';

/** out[r, j] = op(matrix[r, j], vector[j]), or op(vector[j], matrix[r, j]) when the vector is the left operand; byte addresses. */
export type RowsLoop = (matrix: number, vector: number, out: number, rows: number) => number;

const OPS: Record<RowOp, number[]> = { add: f32x4Add, sub: f32x4Sub, mul: f32x4Mul, div: f32x4Div };

/** The loop for vectors of `columns` floats (a multiple of 4) on this backend's memory (compiled once per shape), or null. */
export function rowsLoop(backend: BackendWasm, op: RowOp, vectorLeft: boolean, columns: number): RowsLoop | null {
  if (columns % 4 !== 0 || columns === 0) return null;
  return loopOnBackend<RowsLoop>(backend, `rows ${op} ${vectorLeft} ${columns}`, () => rowsFunction(OPS[op], vectorLeft, columns));
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
