// Runs in the training thread: MaxPoolGrad for wasm, exact where the stock kernel is wrong (maxima <= 0, padding).
import type * as tfjs from '@tensorflow/tfjs';
import { rows2x2, type Rows2x2 } from './max-pool-grad-simd.js';
import { f32, output, type Info, type Shape4, type Tf, type Wasm } from './wasm-ops.js';

type Conv2DInfo = tfjs.backend_util.Conv2DInfo;

/**
 * Each window's gradient goes to the window's first maximum in row-major order, counting only pixels inside the
 * input (padding is never a maximum); a window with no pixel above -Infinity passes nothing on. This is the cpu
 * backend's rule (maxPoolPositions), so both backends train the same.
 */
export function maxPoolGradConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.MaxPoolGrad,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, input, output: pooled } = inputs as { dy: Info; input: Info; output: Info };
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tfjs.MaxPoolGradAttrs;
      const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
      const w = { tf, backend } as Wasm;
      const dx = output(w, input.shape);
      const arrays = { x: f32(w, input), pooled: f32(w, pooled), dy: f32(w, dy), dx: f32(w, dx) };
      if (info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth)
        scatterDisjoint(arrays, info, rows2x2(backend as never));
      else scatterToMaxima(arrays, info);
      return dx;
    },
  };
}

interface Arrays {
  x: Float32Array;
  /** The forward MaxPool's output: each window's maximum, found again below by equality. */
  pooled: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
}

/** The pixels of one window inside the input: rows [y0, y1), columns [x0, x1). */
interface Window {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function windowAt(info: Conv2DInfo, oy: number, ox: number): Window {
  const y = oy * info.strideHeight - info.padInfo.top;
  const x = ox * info.strideWidth - info.padInfo.left;
  return {
    y0: Math.max(y, 0),
    y1: Math.min(y + info.filterHeight, info.inHeight),
    x0: Math.max(x, 0),
    x1: Math.min(x + info.filterWidth, info.inWidth),
  };
}

/**
 * Windows that do not overlap (stride >= filter, as in the usual 2x2 pool) own their pixels, so each pixel of dx is
 * written once, with its window's dy or 0, and nothing is accumulated. The choice is a bit mask (dy's bits or zero)
 * with no branch on the data, which the random position of each maximum would mispredict. Runs of full 2x2 windows
 * with channels in fours go to the SIMD loop; the rest, and rows where it met a NaN or -Infinity maximum, to JS.
 * MNIST's first pool at batch 64: 0.3 ms with SIMD, 2.1 ms in JS, 5.9 ms for scatterToMaxima.
 */
function scatterDisjoint(arrays: Arrays, info: Conv2DInfo, simd: Rows2x2 | null): void {
  const { batchSize, outHeight, outWidth, inChannels: c } = info;
  const bits = { dy: int32(arrays.dy), dx: int32(arrays.dx) };
  if (!coversInput(info)) arrays.dx.fill(0);
  const full = simd !== null && c % 4 === 0 && info.filterHeight === 2 && info.filterWidth === 2 ? fullColumns(info) : { from: 0, to: 0 };
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const row = { arrays, bits, info, b, oy };
      const fullRow = full.from < full.to && windowAt(info, oy, 0).y1 - windowAt(info, oy, 0).y0 === 2;
      if (!fullRow) {
        pickRow(row, 0, outWidth);
        continue;
      }
      pickRow(row, 0, full.from);
      if (simdRow(simd!, row, full.from, full.to) !== 0) pickRow(row, full.from, full.to);
      pickRow(row, full.to, outWidth);
    }
  }
}

interface Row {
  arrays: Arrays;
  bits: Bits;
  info: Conv2DInfo;
  b: number;
  oy: number;
}

/** The windows ox in [from, to) of one row of windows, in JS. */
function pickRow({ arrays, bits, info, b, oy }: Row, from: number, to: number): void {
  const c = info.inChannels;
  const row = info.inWidth * c;
  const image = b * info.inHeight * row;
  for (let ox = from, out = ((b * info.outHeight + oy) * info.outWidth + from) * c; ox < to; ox++, out += c) {
    const win = windowAt(info, oy, ox);
    const first = image + win.y0 * row + win.x0 * c;
    if (win.y1 - win.y0 === 2 && win.x1 - win.x0 === 2) pick2x2(arrays, bits, first, row, out, c);
    else pickInWindow(arrays, bits, first, row, out, c, win);
  }
}

/** The same windows (all full 2x2) in the SIMD loop, by byte address in the backend's memory; 1 if it met an invalid maximum. */
function simdRow(simd: Rows2x2, { arrays, info, b, oy }: Row, from: number, to: number): number {
  const c = info.inChannels;
  const win = windowAt(info, oy, from);
  const pixel = ((b * info.inHeight + win.y0) * info.inWidth + win.x0) * c * 4;
  const out = ((b * info.outHeight + oy) * info.outWidth + from) * c * 4;
  const { x, dx, pooled, dy } = arrays;
  return simd(
    x.byteOffset + pixel,
    dx.byteOffset + pixel,
    pooled.byteOffset + out,
    dy.byteOffset + out,
    to - from,
    c / 4,
    info.inWidth * c * 4,
  );
}

/** The windows ox in [from, to) that lie wholly inside the input's width (all but edge ones cut by 'same' padding). */
function fullColumns(info: Conv2DInfo): { from: number; to: number } {
  let from = 0;
  let to = info.outWidth;
  const width = (ox: number) => windowAt(info, 0, ox).x1 - windowAt(info, 0, ox).x0;
  while (from < to && width(from) < info.filterWidth) from++;
  while (to > from && width(to - 1) < info.filterWidth) to--;
  return { from, to };
}

/** Whether the windows together cover every pixel of the input (else the pixels no window reaches are zeroed first). */
function coversInput(info: Conv2DInfo): boolean {
  const last = windowAt(info, info.outHeight - 1, info.outWidth - 1);
  return (
    info.strideHeight === info.filterHeight &&
    info.strideWidth === info.filterWidth &&
    last.y1 === info.inHeight &&
    last.x1 === info.inWidth
  );
}

function int32(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

type Bits = { dy: Int32Array; dx: Int32Array };

/** The common window, unrolled: each mask is all ones where its pixel equals the maximum and no earlier pixel did. */
function pick2x2({ x, pooled, dx }: Arrays, bits: Bits, p00: number, row: number, out: number, c: number): void {
  const p01 = p00 + c;
  const p10 = p00 + row;
  const p11 = p10 + c;
  for (let ch = 0; ch < c; ch++) {
    const max = pooled[out + ch]!;
    if (!(max > -Infinity)) {
      pickByCpuRule(x, dx, bits, out + ch, { first: p00 + ch, row, c, width: 2, height: 2 });
      continue;
    }
    const g = bits.dy[out + ch]!;
    const e00 = -(x[p00 + ch]! === max);
    const e01 = -(x[p01 + ch]! === max) & ~e00;
    const e10 = -(x[p10 + ch]! === max) & ~(e00 | e01);
    const e11 = -(x[p11 + ch]! === max) & ~(e00 | e01 | e10);
    bits.dx[p00 + ch] = g & e00;
    bits.dx[p01 + ch] = g & e01;
    bits.dx[p10 + ch] = g & e10;
    bits.dx[p11 + ch] = g & e11;
  }
}

/** Any other window (larger, or cut by the input's edge): `taken` becomes all ones once a pixel has had the gradient. */
function pickInWindow({ x, pooled, dx }: Arrays, bits: Bits, first: number, row: number, out: number, c: number, win: Window): void {
  const width = (win.x1 - win.x0) * c;
  const end = first + (win.y1 - win.y0) * row;
  for (let ch = 0; ch < c; ch++) {
    const max = pooled[out + ch]!;
    if (!(max > -Infinity)) {
      pickByCpuRule(x, dx, bits, out + ch, { first: first + ch, row, c, width: win.x1 - win.x0, height: win.y1 - win.y0 });
      continue;
    }
    const g = bits.dy[out + ch]!;
    let taken = 0;
    for (let r = first + ch; r < end + ch; r += row) {
      for (let p = r; p < r + width; p += c) {
        const e = -(x[p]! === max) & ~taken;
        bits.dx[p] = g & e;
        taken |= e;
      }
    }
  }
}

/** A window's pixels for one channel: `height` rows of `width` pixels from `first`, rows `row` apart, pixels `c` apart. */
interface Strided {
  first: number;
  row: number;
  c: number;
  width: number;
  height: number;
}

/** A window whose maximum is NaN or -Infinity: zeros, and the gradient where the cpu rule puts it, if anywhere. */
function pickByCpuRule(x: Float32Array, dx: Float32Array, bits: Bits, out: number, s: Strided): void {
  for (let y = 0; y < s.height; y++) for (let col = 0; col < s.width; col++) dx[s.first + y * s.row + col * s.c] = 0;
  const at = firstMaximum(x, s);
  if (at >= 0) bits.dx[at] = bits.dy[out]!;
}

/**
 * Overlapping windows (stride < filter), which share pixels and so add up. Channels innermost, as they lie in memory,
 * so each window is read once for all its channels. The first pixel equal to the window's known maximum is its first
 * maximum; walking the window backwards and selecting by arithmetic, not by a branch, finds it without the
 * mispredictions of tracking a running maximum. A window whose maximum is NaN or -Infinity takes the cpu rule directly.
 */
function scatterToMaxima({ x, pooled, dy, dx }: Arrays, info: Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const at = new Int32Array(c);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const { x0, x1, y0, y1 } = windowAt(info, oy, ox);
        const out = ((b * outHeight + oy) * outWidth + ox) * c;
        at.fill(-1);
        for (let y = y1 - 1; y >= y0; y--) {
          for (let col = x1 - 1; col >= x0; col--) {
            const pixel = image + (y * inWidth + col) * c;
            for (let ch = 0; ch < c; ch++) at[ch] = at[ch]! + (pixel + ch - at[ch]!) * +(x[pixel + ch] === pooled[out + ch]);
          }
        }
        for (let ch = 0; ch < c; ch++) {
          const first = image + (y0 * inWidth + x0) * c + ch;
          const i =
            pooled[out + ch]! > -Infinity ? at[ch]! : firstMaximum(x, { first, row: inWidth * c, c, width: x1 - x0, height: y1 - y0 });
          if (i >= 0) dx[i] = dx[i]! + dy[out + ch]!;
        }
      }
    }
  }
}

/** The cpu backend's rule: the first pixel strictly above all before it, starting from -Infinity; -1 if none is. */
function firstMaximum(x: Float32Array, s: Strided): number {
  let best = -Infinity;
  let at = -1;
  for (let y = 0; y < s.height; y++) {
    for (let col = 0; col < s.width; col++) {
      const i = s.first + y * s.row + col * s.c;
      if (x[i]! > best) {
        best = x[i]!;
        at = i;
      }
    }
  }
  return at;
}
