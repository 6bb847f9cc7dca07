// Runs in the training thread: a conv's weight gradient for small patches (a first layer) as a generated WebAssembly SIMD loop.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  advanceBy,
  countDown,
  f32x4Add,
  f32x4Mul,
  get,
  i32,
  load,
  load32Splat,
  loop,
  loopOnBackend,
  end,
  set,
  store,
  type LoopFunction,
} from './wasm-asm.js';

/** Where everything is in memory, in bytes, for one conv shape; the loop is generated for it with these as constants. */
export interface SmallPatchGeometry {
  outHeight: number;
  outWidth: number;
  outChannels: number;
  /** Each tap's (kh, kw, ci) offset from a window's first input value, in dW's [kh, kw, ci] order. */
  tapOffsets: number[];
  /** One image of the (padded) input. */
  imageBytes: number;
  /** From one output row's windows to the next's: stride rows of the input. */
  rowStepBytes: number;
  /** From one window to the next along a row: stride columns of the input. */
  columnStepBytes: number;
}

/** The byte offset of each (kh, kw, ci) tap from a window's first value, in dW's order, for NHWC rows `rowWidth` pixels wide. */
export function tapOffsets(filterHeight: number, filterWidth: number, channels: number, rowWidth: number): number[] {
  return range(filterHeight).flatMap((kh) =>
    range(filterWidth).flatMap((kw) => range(channels).map((ci) => ((kh * rowWidth + kw) * channels + ci) * 4)),
  );
}

/** Adds each window's x ⊗ dy into dW (which the caller zeroes): x, dy and dW are byte addresses, `images` at least 1. */
export type FilterGradientLoop = (x: number, dy: number, dW: number, images: number) => number;

/**
 * Taps and output channels held in registers at once: 3 taps x 2 vectors (8 channels) is 6 accumulators, 2 dy vectors
 * and the splatted x value, well inside x64's 16 vector registers. More spills; fewer re-reads dy per tap.
 */
export const TAPS_PER_PASS = 3;
export const CHANNELS_PER_PASS = 8;

/** The loop for this geometry on this backend's memory (compiled once per shape), or null where it cannot run. */
export function filterGradientLoop(backend: BackendWasm, geometry: SmallPatchGeometry): FilterGradientLoop | null {
  if (geometry.outChannels % CHANNELS_PER_PASS !== 0) return null;
  return loopOnBackend<FilterGradientLoop>(backend, `filterGradient ${JSON.stringify(geometry)}`, () => filterGradientFunction(geometry));
}

// Parameters, then locals, by index.
const X = 0,
  DY = 1,
  DW = 2,
  IMAGES = 3;
const ROWS = 4,
  X_ROW = 5,
  XP = 6,
  DYP = 7,
  COLUMNS = 8;
const VECTORS = CHANNELS_PER_PASS / 4;
const ACC = 9;
const D = ACC + TAPS_PER_PASS * VECTORS;
const S = D + VECTORS;

/**
 * for each image, for each output row: for each group of taps and of 8 channels, load their sums from dW, walk the
 * row's windows adding x[tap] * dy[channels] (dy's row stays in L1 across the groups), store the sums back.
 */
function filterGradientFunction(g: SmallPatchGeometry): LoopFunction {
  const passes: number[] = [];
  for (let first = 0; first < g.tapOffsets.length; first += TAPS_PER_PASS) {
    const taps = g.tapOffsets.slice(first, first + TAPS_PER_PASS).map((offset, i) => ({ offset, index: first + i }));
    for (let channel = 0; channel < g.outChannels; channel += CHANNELS_PER_PASS) passes.push(...rowPass(g, taps, channel));
  }
  const body = [
    ...loop,
    ...get(X),
    ...set(X_ROW),
    ...i32(g.outHeight),
    ...set(ROWS),
    ...loop,
    ...passes,
    ...advanceBy(g.outWidth * g.outChannels * 4, DY),
    ...advanceBy(g.rowStepBytes, X_ROW),
    ...countDown(ROWS),
    ...end,
    ...advanceBy(g.imageBytes, X),
    ...countDown(IMAGES),
    ...end,
    ...i32(0),
  ];
  return { params: 4, i32Locals: 5, v128Locals: TAPS_PER_PASS * VECTORS + VECTORS + 1, body };
}

/** One output row's windows for a few taps and 8 channels: sums from dW into registers, accumulate, back to dW. */
function rowPass(g: SmallPatchGeometry, taps: { offset: number; index: number }[], channel: number): number[] {
  const dwOffset = (tap: number, v: number) => (tap * g.outChannels + channel + 4 * v) * 4;
  const each = (f: (t: number, tap: number, v: number) => number[]) =>
    taps.flatMap(({ index }, t) => range(VECTORS).flatMap((v) => f(t, index, v)));
  return [
    ...each((t, tap, v) => [...get(DW), ...load(dwOffset(tap, v)), ...set(ACC + t * VECTORS + v)]),
    ...get(X_ROW),
    ...set(XP),
    ...get(DY),
    ...set(DYP),
    ...i32(g.outWidth),
    ...set(COLUMNS),
    ...loop,
    ...range(VECTORS).flatMap((v) => [...get(DYP), ...load((channel + 4 * v) * 4), ...set(D + v)]),
    ...taps.flatMap(({ offset }, t) => [
      ...get(XP),
      ...load32Splat(offset),
      ...set(S),
      ...range(VECTORS).flatMap((v) => [
        ...get(ACC + t * VECTORS + v),
        ...get(S),
        ...get(D + v),
        ...f32x4Mul,
        ...f32x4Add,
        ...set(ACC + t * VECTORS + v),
      ]),
    ]),
    ...advanceBy(g.columnStepBytes, XP),
    ...advanceBy(g.outChannels * 4, DYP),
    ...countDown(COLUMNS),
    ...end,
    ...each((t, tap, v) => [...get(DW), ...get(ACC + t * VECTORS + v), ...store(dwOffset(tap, v))]),
  ];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
