// Runs in the training thread: the input gradient of a (depthwise) convolution as XNNPACK convs, shared by both kernels.
import type * as tfjs from '@tensorflow/tfjs';
import { conv2d, f32, free, output, type Info, type Pads, type Shape4, type Wasm } from './wasm-ops.js';

type Conv2DInfo = tfjs.backend_util.Conv2DInfo;

/**
 * dx[ih] = sum over kh and oh with oh*s + kh*d - top = ih of dy[oh] · filter[kh] (and likewise in width): the "full"
 * convolution of dy with the filter turned 180 degrees. Stride 1 is one conv. For stride s > 1 (tfjs then allows no
 * dilation) the rows of dx fall into s phases (ih + top) mod s, each a stride-1 conv of dy with every s-th tap of the
 * filter; s*s small convs then do exactly the useful products, where one conv over dy spread out with zeros would do
 * s*s times as many (x 64x28x28x32, 3x3x64 filter, stride 2: 15 ms against 45 ms). Returns [batch, inHeight,
 * inWidth, c] with c = inChannels, or for depthwise every (c, m) pair.
 */
export function fullConvolution(w: Wasm, dy: Info, filter: Info, info: Conv2DInfo, depthwise: boolean): Info {
  const [kh, kw] = filter.shape as Shape4;
  if (info.strideHeight === 1 && info.strideWidth === 1) {
    const rotated = rotate(w, filter, phaseTaps(kh, 1, 0), phaseTaps(kw, 1, 0), depthwise);
    const dx = conv2d(w, dy, rotated, [1, 1], [info.dilationHeight, info.dilationWidth], stride1Pads(info), depthwise);
    free(w, rotated);
    return dx;
  }
  return byPhases(w, dy, filter, info, depthwise);
}

function stride1Pads(info: Conv2DInfo): Pads {
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  return [top, info.inHeight - info.outHeight + info.padInfo.top, left, info.inWidth - info.outWidth + info.padInfo.left];
}

interface Phase {
  part: Info;
  rows: Range;
  cols: Range;
}

/** Rows of dx in one phase: ih = (first + i) * stride + phase - pad for i < count. */
interface Range {
  first: number;
  count: number;
  stride: number;
  phase: number;
  pad: number;
}

function byPhases(w: Wasm, dy: Info, filter: Info, info: Conv2DInfo, depthwise: boolean): Info {
  const n = dy.shape[0]!;
  const [kh, kw, fin, fout] = filter.shape as Shape4;
  const channels = depthwise ? fin * fout : fin;
  const dx = output(w, [n, info.inHeight, info.inWidth, channels]);
  const phases: Phase[] = [];
  for (let ph = 0; ph < info.strideHeight; ph++) {
    for (let pw = 0; pw < info.strideWidth; pw++) {
      const tapRows = phaseTaps(kh, info.strideHeight, ph);
      const tapCols = phaseTaps(kw, info.strideWidth, pw);
      const rows = phaseRange(info.inHeight, info.strideHeight, ph, info.padInfo.top);
      const cols = phaseRange(info.inWidth, info.strideWidth, pw, info.padInfo.left);
      if (tapRows.length === 0 || tapCols.length === 0 || rows.count === 0 || cols.count === 0) continue;
      const sub = rotate(w, filter, tapRows, tapCols, depthwise);
      const pads: Pads = [
        tapRows.length - 1 - rows.first,
        rows.first + rows.count - info.outHeight,
        tapCols.length - 1 - cols.first,
        cols.first + cols.count - info.outWidth,
      ];
      phases.push({ part: conv2d(w, dy, sub, [1, 1], [1, 1], pads, depthwise), rows, cols });
      free(w, sub);
    }
  }
  interleave(
    f32(w, dx),
    phases.map((p) => ({ ...p, values: f32(w, p.part) })),
    info,
    channels,
  );
  free(w, ...phases.map((p) => p.part));
  return dx;
}

/** The filter taps of one phase, last first: the order in which a stride-1 correlation meets them. */
function phaseTaps(size: number, stride: number, phase: number): number[] {
  const taps: number[] = [];
  for (let t = phase; t < size; t += stride) taps.unshift(t);
  return taps;
}

function phaseRange(size: number, stride: number, phase: number, pad: number): Range {
  const first = Math.ceil((pad - phase) / stride);
  const last = Math.floor((size - 1 + pad - phase) / stride);
  return { first, count: Math.max(last - first + 1, 0), stride, phase, pad };
}

/**
 * The chosen taps of [kh,kw,a,b], turned and in-out swapped for a conv ([rows,cols,b,a]), or for a depthwise conv
 * every (a, b) pair its own channel ([rows,cols,a*b,1]). Filters are small: one pass in JS.
 */
function rotate(w: Wasm, filter: Info, rows: number[], cols: number[], depthwise: boolean): Info {
  const [, kw, a, b] = filter.shape as Shape4;
  const tap = a * b;
  const out = output(w, depthwise ? [rows.length, cols.length, tap, 1] : [rows.length, cols.length, b, a]);
  const src = f32(w, filter);
  const dst = f32(w, out);
  let to = 0;
  for (const r of rows) {
    for (const c of cols) {
      const from = (r * kw + c) * tap;
      if (depthwise) dst.set(src.subarray(from, from + tap), to);
      else for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) dst[to + o * a + i] = src[from + i * b + o]!;
      to += tap;
    }
  }
  return out;
}

/** From this many channels a pixel is copied as one block (a typed-array copy), not value by value in JS. */
const BLOCK_COPY = 16;

/** Each phase's rows and columns into their places in dx; rows and columns of no phase (taps < stride) stay zero. */
function interleave(dx: Float32Array, phases: Array<Phase & { values: Float32Array }>, info: Conv2DInfo, c: number): void {
  const { batchSize, inHeight, inWidth } = info;
  dx.fill(0);
  for (const { values, rows, cols } of phases) {
    let from = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let i = 0; i < rows.count; i++) {
        const ih = (rows.first + i) * rows.stride + rows.phase - rows.pad;
        for (let j = 0; j < cols.count; j++, from += c) {
          const to = ((b * inHeight + ih) * inWidth + (cols.first + j) * cols.stride + cols.phase - cols.pad) * c;
          if (c >= BLOCK_COPY) dx.set(values.subarray(from, from + c), to);
          else for (let ch = 0; ch < c; ch++) dx[to + ch] = values[from + ch]!;
        }
      }
    }
  }
}
