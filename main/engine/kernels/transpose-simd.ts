// Runs in the training thread: a transpose that swaps the first and last axes ([b, m, c] to [c, m, b]) as a generated WebAssembly SIMD loop.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { advanceBy, countDown, end, get, i32, load, loop, loopOnBackend, set, shuffle32, store, type LoopFunction } from './wasm-asm.js';

/** Writes out[c, m, b] = x[b, m, c] for 4-byte values; x and out are byte addresses. */
export type SwapOuterLoop = (x: number, out: number) => number;

/** [b, m, c] with b and c in fours, the loop for it on this backend's memory (compiled once per shape), or null. */
export function swapOuterLoop(backend: BackendWasm, b: number, m: number, c: number): SwapOuterLoop | null {
  if (b % 4 !== 0 || c % 4 !== 0 || b * m * c === 0) return null;
  return loopOnBackend<SwapOuterLoop>(backend, `swapOuter ${b} ${m} ${c}`, () => swapOuterFunction(b, m, c));
}

// Parameters, then locals, by index.
const X = 0,
  OUT = 1;
const B_LEFT = 2,
  M_LEFT = 3,
  C_LEFT = 4,
  X_M = 5,
  OUT_M = 6,
  XP = 7,
  OP = 8;
const R = 9,
  T = 13;

/**
 * 4x4 blocks: four rows of x (b..b+3 at one m, c..c+3) become four rows of out (c..c+3 at that m, b..b+3) through
 * eight shuffles. Blocks go along c, then m, then b, so reads are sequential and the writes of one b-block fill
 * out's rows in order.
 */
function swapOuterFunction(b: number, m: number, c: number): LoopFunction {
  const inRow = m * c * 4; // x: from b to b + 1
  const outRow = m * b * 4; // out: from c to c + 1
  const block = [
    ...[0, 1, 2, 3].flatMap((i) => [...get(XP), ...load(i * inRow), ...set(R + i)]),
    ...pair(R, R + 1, T, T + 1, [0, 4, 1, 5], [2, 6, 3, 7]),
    ...pair(R + 2, R + 3, T + 2, T + 3, [0, 4, 1, 5], [2, 6, 3, 7]),
    ...storeShuffled(T, T + 2, [0, 1, 4, 5], 0),
    ...storeShuffled(T, T + 2, [2, 3, 6, 7], outRow),
    ...storeShuffled(T + 1, T + 3, [0, 1, 4, 5], 2 * outRow),
    ...storeShuffled(T + 1, T + 3, [2, 3, 6, 7], 3 * outRow),
  ];
  const body = [
    ...i32(b / 4),
    ...set(B_LEFT),
    ...loop,
    ...get(X),
    ...set(X_M),
    ...get(OUT),
    ...set(OUT_M),
    ...i32(m),
    ...set(M_LEFT),
    ...loop,
    ...get(X_M),
    ...set(XP),
    ...get(OUT_M),
    ...set(OP),
    ...i32(c / 4),
    ...set(C_LEFT),
    ...loop,
    ...block,
    ...advanceBy(16, XP),
    ...advanceBy(4 * outRow, OP),
    ...countDown(C_LEFT),
    ...end,
    ...advanceBy(c * 4, X_M),
    ...advanceBy(b * 4, OUT_M),
    ...countDown(M_LEFT),
    ...end,
    ...advanceBy(4 * inRow, X),
    ...advanceBy(16, OUT),
    ...countDown(B_LEFT),
    ...end,
    ...i32(0),
  ];
  return { params: 2, i32Locals: 7, v128Locals: 8, body };
}

function pair(
  a: number,
  b: number,
  low: number,
  high: number,
  lowLanes: [number, number, number, number],
  highLanes: [number, number, number, number],
): number[] {
  return [...get(a), ...get(b), ...shuffle32(lowLanes), ...set(low), ...get(a), ...get(b), ...shuffle32(highLanes), ...set(high)];
}

function storeShuffled(a: number, b: number, lanes: [number, number, number, number], offset: number): number[] {
  return [...get(OP), ...get(a), ...get(b), ...shuffle32(lanes), ...store(offset)];
}
