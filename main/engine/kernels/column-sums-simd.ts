// Runs in the training thread: the column sums of a [rows, columns] float32 matrix (a bias gradient) as a generated WebAssembly SIMD loop.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  advanceBy,
  compiledLoop,
  countDown,
  end,
  f64x2Add,
  f64x2PromoteLow,
  get,
  highHalf,
  i32,
  load,
  loop,
  set,
  store,
  tee,
  zero,
  type LoopFunction,
} from './wasm-asm.js';
import { loopThreadCount, runSplit } from './loop-threads.js';

/** Adds the columns of x (`rows` of `columns` float32, rows at least 1) into float64 sums at `sums`: byte addresses. */
export type ColumnSumsLoop = (x: number, rows: number, sums: number) => void;

/** Columns summed in one pass down the rows: 16 floats are 8 float64x2 sums, which stay in registers. */
const COLUMNS_PER_PASS = 16;
/** Below this many floats, waking a helper thread costs more than it saves. */
const MIN_SPLIT_SIZE = 1 << 16;

/**
 * The loop for this many columns (a multiple of 4) on this backend's memory, or null where it cannot run. With
 * helper threads (loop-threads.ts), the passes are shared out between them: each column is still summed by one
 * thread in row order, so the sums are the same to the last bit.
 */
export function columnSumsLoop(backend: BackendWasm, columns: number): ColumnSumsLoop | null {
  if (columns % 4 !== 0 || columns === 0) return null;
  const passes = Math.ceil(columns / COLUMNS_PER_PASS);
  const threads = Math.min(loopThreadCount(backend), passes);
  const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((passes * i) / threads));
  const ranges = bounds.slice(1).map((to, i) => [bounds[i]!, to] as const);
  const whole = compiledLoop(backend, `columnSums ${columns}`, () => columnSumsFunction(columns, 0, passes));
  const loops =
    threads === 1
      ? [whole]
      : ranges.map(([from, to]) =>
          compiledLoop(backend, `columnSums ${columns} ${from}-${to}`, () => columnSumsFunction(columns, from, to)),
        );
  if (whole === null || loops.some((loop) => loop === null)) return null;
  return (x, rows, sums) => {
    const args = [x, rows, sums];
    runSplit(backend, rows * columns < MIN_SPLIT_SIZE ? [{ loop: whole, args }] : loops.map((loop) => ({ loop: loop!, args })));
  };
}

// Parameters, then locals, by index.
const X = 0,
  ROWS = 1,
  SUMS = 2;
const XP = 3,
  LEFT = 4;
const T = 5,
  ACC = 6;

/**
 * For each group of 16 columns: one pass down all the rows, each float widened to float64 and added in row order,
 * as the cpu backend sums (so the result is the same to the last bit), then the sums stored.
 */
function columnSumsFunction(columns: number, fromPass: number, toPass: number): LoopFunction {
  const passes: number[] = [];
  for (let pass = fromPass; pass < toPass; pass++) {
    const first = pass * COLUMNS_PER_PASS;
    passes.push(...columnPass(columns, first, Math.min(COLUMNS_PER_PASS, columns - first) / 4));
  }
  return { params: 3, i32Locals: 2, v128Locals: 1 + (COLUMNS_PER_PASS / 4) * 2, body: [...passes, ...i32(0)] };
}

function columnPass(columns: number, first: number, vectors: number): number[] {
  const sums = Array.from({ length: vectors * 2 }, (_, i) => ACC + i);
  const widenAndAdd = (v: number) => [
    ...get(XP),
    ...load((first + 4 * v) * 4),
    ...tee(T),
    ...f64x2PromoteLow,
    ...get(sums[2 * v]!),
    ...f64x2Add,
    ...set(sums[2 * v]!),
    ...get(T),
    ...get(T),
    ...highHalf,
    ...f64x2PromoteLow,
    ...get(sums[2 * v + 1]!),
    ...f64x2Add,
    ...set(sums[2 * v + 1]!),
  ];
  return [
    ...sums.flatMap((s) => [...zero, ...set(s)]),
    ...get(X),
    ...set(XP),
    ...get(ROWS),
    ...set(LEFT),
    ...loop,
    ...Array.from({ length: vectors }, (_, v) => widenAndAdd(v)).flat(),
    ...advanceBy(columns * 4, XP),
    ...countDown(LEFT),
    ...end,
    ...sums.flatMap((s, i) => [...get(SUMS), ...get(s), ...store((first + 2 * i) * 8)]),
  ];
}
