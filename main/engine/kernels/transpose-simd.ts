// Runs in the training thread: a transpose that swaps the first and last axes ([b, m, c] to [c, m, b]) as a generated WebAssembly SIMD loop.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loopThreadCount, runSplit } from './loop-threads.js';
import { advanceBy, compiledLoop, countDown, end, get, i32, load, loop, set, shuffle32, store, type LoopFunction } from './wasm-asm.js';

/** Writes out[c, m, b] = x[b, m, c] for 4-byte values; x and out are byte addresses. */
export type SwapOuterLoop = (x: number, out: number) => void;

/** Below this many values per thread, waking a helper costs more than it saves. */
const MIN_SPLIT_SIZE = 1 << 16;

/**
 * [b, m, c] with b and c in fours, the loop for it on this backend's memory (compiled once per shape), or null. Large
 * tensors are split by m over the kernel threads (loop-threads.ts).
 */
export function swapOuterLoop(backend: BackendWasm, b: number, m: number, c: number): SwapOuterLoop | null {
  if (b % 4 !== 0 || c % 4 !== 0 || b * m * c === 0) return null;
  const compiled = compiledLoop(backend, `swapOuter ${b} ${m} ${c}`, () => swapOuterFunction(b, m, c));
  if (compiled === null) return null;
  const threads = Math.max(1, Math.min(loopThreadCount(backend), m, Math.floor((b * m * c) / MIN_SPLIT_SIZE)));
  const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((m * i) / threads));
  return (x, out) =>
    runSplit(
      backend,
      bounds.slice(1).map((to, i) => ({ loop: compiled, args: [x + bounds[i]! * c * 4, out + bounds[i]! * b * 4, to - bounds[i]!] })),
    );
}

// Parameters, then locals, by index.
const X = 0,
  OUT = 1,
  M_LEFT = 2;
const B_LEFT = 3,
  C_LEFT = 4,
  X_B = 5,
  OUT_B = 6,
  XP = 7,
  OP = 8;
const R = 9,
  T = 13;

/**
 * 4x4 blocks: four rows of x (b..b+3 at one m, c..c+3) become four rows of out (c..c+3 at that m, b..b+3) through
 * eight shuffles. One m at a time (its b x c values stay in the L1 cache), each block along c, then along b: every
 * 64-byte line of out is filled while it is in the cache (with b outermost it was fetched four times over: 7.4 ms
 * against 4.7 ms for [32,4096,32] on one thread). The third argument is how many m to do, so that threads can share them.
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
    ...loop,
    ...get(X),
    ...set(X_B),
    ...get(OUT),
    ...set(OUT_B),
    ...i32(b / 4),
    ...set(B_LEFT),
    ...loop,
    ...get(X_B),
    ...set(XP),
    ...get(OUT_B),
    ...set(OP),
    ...i32(c / 4),
    ...set(C_LEFT),
    ...loop,
    ...block,
    ...advanceBy(16, XP),
    ...advanceBy(4 * outRow, OP),
    ...countDown(C_LEFT),
    ...end,
    ...advanceBy(4 * inRow, X_B),
    ...advanceBy(16, OUT_B),
    ...countDown(B_LEFT),
    ...end,
    ...advanceBy(c * 4, X),
    ...advanceBy(b * 4, OUT),
    ...countDown(M_LEFT),
    ...end,
    ...i32(0),
  ];
  return { params: 3, i32Locals: 6, v128Locals: 8, body };
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
