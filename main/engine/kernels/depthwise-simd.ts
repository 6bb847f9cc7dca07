// Runs in the training thread: the weight and input gradients of a depthwise conv (channel multiplier 1) as generated WebAssembly SIMD loops.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  advanceBy,
  compiledLoop,
  countDown,
  end,
  f32x4Add,
  f32x4Mul,
  get,
  i32,
  load,
  loop,
  set,
  store,
  type CompiledLoop,
  type LoopFunction,
} from './wasm-asm.js';

/** One depthwise conv shape, in bytes where it says so; the loops are generated for it with these as constants. */
export interface DepthwiseGeometry {
  outHeight: number;
  outWidth: number;
  channels: number;
  /** Each (kh, kw) tap's byte offset from a window's first pixel in the padded input, in dW's order. */
  tapOffsets: number[];
  /** One image of the padded input. */
  imageBytes: number;
  /** From one output row's windows to the next's. */
  rowStepBytes: number;
  /** From one window to the next along a row. */
  columnStepBytes: number;
}

/** Adds x[window + tap] * dy into dW[tap] for every window of `images` images (the caller zeroes dW): byte addresses. */
export type DepthwiseFilterLoop = (x: number, dy: number, dW: number, images: number) => number;

/** More taps than this (a 7x7 filter) would spill most accumulators; such filters keep the XNNPACK path. */
const MAX_TAPS = 49;

/** The compiled loop for this geometry (channels in fours), or null where it does not apply. */
export function depthwiseFilterLoop(backend: BackendWasm, g: DepthwiseGeometry): CompiledLoop | null {
  if (g.channels % 4 !== 0 || g.tapOffsets.length > MAX_TAPS) return null;
  return compiledLoop(backend, `depthwiseFilter ${JSON.stringify(g)}`, () => depthwiseFilterFunction(g));
}

// Parameters, then locals, by index.
const X = 0,
  DY = 1,
  DW = 2,
  IMAGES = 3;
const ROWS = 4,
  X_ROW = 5,
  LEFT = 6,
  DWP = 7,
  XC = 8,
  DYC = 9,
  XP = 10,
  DYP = 11,
  COLUMNS = 12;
const D = 13;
const ACC = 14;

/**
 * For each image, each output row, each 4 channels: the taps' sums from dW into registers (one per tap), a walk along
 * the row's windows adding x[window + tap] * dy[window], the sums back to dW. The kh input rows and the dy row of one
 * output row stay in the cache while its channels are done 4 at a time.
 */
function depthwiseFilterFunction(g: DepthwiseGeometry): LoopFunction {
  const c = g.channels * 4; // bytes per pixel
  const taps = g.tapOffsets.map((offset, t) => ({ offset, acc: ACC + t }));
  const body = [
    ...loop,
    ...get(X),
    ...set(X_ROW),
    ...i32(g.outHeight),
    ...set(ROWS),
    ...loop,
    ...get(DW),
    ...set(DWP),
    ...get(X_ROW),
    ...set(XC),
    ...get(DY),
    ...set(DYC),
    ...i32(g.channels / 4),
    ...set(LEFT),
    ...loop,
    ...taps.flatMap(({ acc }, t) => [...get(DWP), ...load(t * c), ...set(acc)]),
    ...get(XC),
    ...set(XP),
    ...get(DYC),
    ...set(DYP),
    ...i32(g.outWidth),
    ...set(COLUMNS),
    ...loop,
    ...get(DYP),
    ...load(),
    ...set(D),
    ...taps.flatMap(({ offset, acc }) => [...get(acc), ...get(XP), ...load(offset), ...get(D), ...f32x4Mul, ...f32x4Add, ...set(acc)]),
    ...advanceBy(g.columnStepBytes, XP),
    ...advanceBy(c, DYP),
    ...countDown(COLUMNS),
    ...end,
    ...taps.flatMap(({ acc }, t) => [...get(DWP), ...get(acc), ...store(t * c)]),
    ...advanceBy(16, DWP, XC, DYC),
    ...countDown(LEFT),
    ...end,
    ...advanceBy(g.outWidth * c, DY),
    ...advanceBy(g.rowStepBytes, X_ROW),
    ...countDown(ROWS),
    ...end,
    ...advanceBy(g.imageBytes, X),
    ...countDown(IMAGES),
    ...end,
    ...i32(0),
  ];
  return { params: 4, i32Locals: 9, v128Locals: 1 + taps.length, body };
}

/** Adds dy[window] * filter[tap] into dx[window + tap] for every window of `images` images (the caller zeroes the padded dx). */
export type DepthwiseInputLoop = (dy: number, filter: number, dx: number, images: number) => number;

/** The compiled input-gradient loop for this geometry (offsets into the padded dx), or null where it does not apply. */
export function depthwiseInputLoop(backend: BackendWasm, g: DepthwiseGeometry): CompiledLoop | null {
  if (g.channels % 4 !== 0 || g.tapOffsets.length > MAX_TAPS) return null;
  return compiledLoop(backend, `depthwiseInput ${JSON.stringify(g)}`, () => depthwiseInputFunction(g));
}

// The input gradient's parameters: dy, the filter, the padded dx, images; its locals are the filter loop's.
const FILTER = 1,
  DX = 2,
  DY_IN = 0;

/**
 * The filter loop's walk turned around: for each image, output row and 4 channels, the taps' filter values in
 * registers, and along the row each dy vector times each tap added into its place in dx (windows overlap when the
 * stride is below the filter size, so a place is added to by several windows, in order, on one thread).
 */
function depthwiseInputFunction(g: DepthwiseGeometry): LoopFunction {
  const c = g.channels * 4;
  const taps = g.tapOffsets.map((offset, t) => ({ offset, weight: ACC + t }));
  const body = [
    ...loop,
    ...get(DX),
    ...set(X_ROW),
    ...i32(g.outHeight),
    ...set(ROWS),
    ...loop,
    ...get(FILTER),
    ...set(DWP),
    ...get(X_ROW),
    ...set(XC),
    ...get(DY_IN),
    ...set(DYC),
    ...i32(g.channels / 4),
    ...set(LEFT),
    ...loop,
    ...taps.flatMap(({ weight }, t) => [...get(DWP), ...load(t * c), ...set(weight)]),
    ...get(XC),
    ...set(XP),
    ...get(DYC),
    ...set(DYP),
    ...i32(g.outWidth),
    ...set(COLUMNS),
    ...loop,
    ...get(DYP),
    ...load(),
    ...set(D),
    ...taps.flatMap(({ offset, weight }) => [
      ...get(XP),
      ...get(XP),
      ...load(offset),
      ...get(D),
      ...get(weight),
      ...f32x4Mul,
      ...f32x4Add,
      ...store(offset),
    ]),
    ...advanceBy(g.columnStepBytes, XP),
    ...advanceBy(c, DYP),
    ...countDown(COLUMNS),
    ...end,
    ...advanceBy(16, DWP, XC, DYC),
    ...countDown(LEFT),
    ...end,
    ...advanceBy(g.outWidth * c, DY_IN),
    ...advanceBy(g.rowStepBytes, X_ROW),
    ...countDown(ROWS),
    ...end,
    ...advanceBy(g.imageBytes, DX),
    ...countDown(IMAGES),
    ...end,
    ...i32(0),
  ];
  return { params: 4, i32Locals: 9, v128Locals: 1 + taps.length, body };
}
