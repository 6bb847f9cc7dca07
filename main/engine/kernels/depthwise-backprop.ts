// Runs in the training thread: the two gradients of depthwise convolution (depthwise/separable layers), which wasm lacks.
import type * as tfjs from '@tensorflow/tfjs';
import { swappedConvPads } from './conv2d-backprop-filter.js';
import { fullConvolution } from './full-convolution.js';
import { depthwiseFilterLoop, depthwiseInputLoop, type DepthwiseGeometry } from './depthwise-simd.js';
import { loopThreadCount, runSplit } from './loop-threads.js';
import { conv2d, f32, free, output, reshape, run, transpose, type Info, type Shape4, type Tf, type Wasm } from './wasm-ops.js';

/**
 * The same swap as Conv2DBackpropFilter, done per channel: batch and channel together form the depthwise channels
 * ([1,H,W,b*c], filter dy as [oh,ow,b*c,m]), so one XNNPACK depthwise conv gives every (b,c) term; a sum over b ends it.
 */
export function depthwiseBackpropFilterConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tfjs.DepthwiseConv2dNativeBackpropFilterAttrs;
      const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, dilations, pad, dimRoundingMode, true);
      const w = { tf, backend } as Wasm;
      return viaSimdLoop(w, x, dy, info) ?? filterGradient(w, x, dy, info);
    },
  };
}

/** Below this many multiply-adds per thread, waking a helper costs more than it saves. */
const MIN_SPLIT_WORK = 1 << 20;

/**
 * Channel multiplier 1 (MobileNet's depthwise layers), channels in fours: a SIMD loop over x and dy in place, 4 channels
 * by all taps at a time ([32,48,48,32], 3x3: 272-540 ms through XNNPACK's huge-kernel conv, 18-36 ms here), its images
 * split over the kernel threads, each into its own sums. Undefined where it does not apply (negative pads, windows
 * past the padded input, other multipliers, no SIMD): then the swapped conv below.
 */
function viaSimdLoop(w: Wasm, x: Info, dy: Info, info: tfjs.backend_util.Conv2DInfo): Info | undefined {
  const geometry = simdGeometry(info);
  const loop = geometry && depthwiseFilterLoop(w.backend, geometry);
  if (!geometry || !loop) return undefined;
  const { top, bottom, left, right } = info.padInfo;
  const pads = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const padded = top + bottom + left + right > 0 ? run(w, 'PadV2', { x }, { paddings: pads, constantValue: 0 }) : undefined;
  const n = info.batchSize;
  const threads = threadsFor(w, info);
  const size = geometry.tapOffsets.length * info.inChannels;
  const sums = output(w, [threads, size]);
  const dW = output(w, info.filterShape);
  f32(w, sums).fill(0);
  const [xAt, dyAt, sumsAt] = [f32(w, padded ?? x).byteOffset, f32(w, dy).byteOffset, f32(w, sums).byteOffset];
  const dyImage = info.outHeight * info.outWidth * info.inChannels * 4;
  const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((n * i) / threads));
  const part = (i: number) => [
    xAt + bounds[i]! * geometry.imageBytes,
    dyAt + bounds[i]! * dyImage,
    sumsAt + i * size * 4,
    bounds[i + 1]! - bounds[i]!,
  ];
  runSplit(
    w.backend,
    Array.from({ length: threads }, (_, i) => ({ loop, args: part(i) })),
  );
  const [partial, out] = [f32(w, sums), f32(w, dW)];
  out.set(partial.subarray(0, size));
  for (let i = 1; i < threads; i++) for (let j = 0; j < size; j++) out[j] = out[j]! + partial[i * size + j]!;
  free(w, sums, ...(padded ? [padded] : []));
  return dW;
}

/** The SIMD loops' geometry over the padded input, or undefined where they do not apply (multiplier > 1, negative pads, windows past the padding). */
function simdGeometry(info: tfjs.backend_util.Conv2DInfo): DepthwiseGeometry | undefined {
  const { top, bottom, left, right } = info.padInfo;
  const width = info.inWidth + left + right;
  const height = info.inHeight + top + bottom;
  const reaches =
    (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight <= height &&
    (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth <= width;
  if (info.filterShape[3] !== 1 || Math.min(top, bottom, left, right) < 0 || !reaches || info.batchSize === 0) return undefined;
  const c = info.inChannels;
  const [, kw] = info.filterShape;
  const taps = Array.from({ length: info.filterHeight * kw }, (_, t) => {
    const [row, column] = [Math.floor(t / kw) * info.dilationHeight, (t % kw) * info.dilationWidth];
    return (row * width + column) * c * 4;
  });
  return {
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    channels: c,
    tapOffsets: taps,
    imageBytes: height * width * c * 4,
    rowStepBytes: info.strideHeight * width * c * 4,
    columnStepBytes: info.strideWidth * c * 4,
  };
}

/** Threads for a loop over the images: as many as there are, unless each would get too little work. */
function threadsFor(w: Wasm, info: tfjs.backend_util.Conv2DInfo): number {
  const work = info.batchSize * info.outHeight * info.outWidth * info.inChannels * info.filterHeight * info.filterWidth;
  return Math.max(1, Math.min(loopThreadCount(w.backend), info.batchSize, Math.floor(work / MIN_SPLIT_WORK)));
}

/**
 * With a stride (multiplier 1, channels in fours), dy times each tap added into a zeroed, padded dx, then cropped:
 * XNNPACK's route takes stride*stride odd-sized depthwise convs and an interleave ([32,48,48,96] stride 2: 153-203 ms
 * against 102 ms, loaded machine).
 * Stride 1 keeps the one XNNPACK conv, which is as fast. Images split over the kernel threads, each into its own dx.
 */
function inputViaSimdLoop(w: Wasm, dy: Info, filter: Info, info: tfjs.backend_util.Conv2DInfo): Info | undefined {
  if (info.strideHeight === 1 && info.strideWidth === 1) return undefined;
  const geometry = simdGeometry(info);
  const loop = geometry && depthwiseInputLoop(w.backend, geometry);
  if (!geometry || !loop) return undefined;
  const { top, bottom, left, right } = info.padInfo;
  const n = info.batchSize;
  const [height, width] = [info.inHeight + top + bottom, info.inWidth + left + right];
  const padded = output(w, [n, height, width, info.inChannels]);
  f32(w, padded).fill(0);
  const threads = threadsFor(w, info);
  const [dyAt, filterAt, dxAt] = [f32(w, dy).byteOffset, f32(w, filter).byteOffset, f32(w, padded).byteOffset];
  const dyImage = info.outHeight * info.outWidth * info.inChannels * 4;
  const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((n * i) / threads));
  const part = (i: number) => [dyAt + bounds[i]! * dyImage, filterAt, dxAt + bounds[i]! * geometry.imageBytes, bounds[i + 1]! - bounds[i]!];
  runSplit(
    w.backend,
    Array.from({ length: threads }, (_, i) => ({ loop, args: part(i) })),
  );
  if (height === info.inHeight && width === info.inWidth) return padded;
  const dx = run(w, 'Slice', { x: padded }, { begin: [0, top, left, 0], size: [n, info.inHeight, info.inWidth, info.inChannels] });
  free(w, padded);
  return dx;
}

function filterGradient(w: Wasm, x: Info, dy: Info, info: tfjs.backend_util.Conv2DInfo): Info {
  const [n, h, wd, c] = x.shape as Shape4;
  const [kh, kw, , m] = info.filterShape;
  const xT = transpose(w, x, [1, 2, 0, 3]);
  const xFlat = reshape(w, xT, [1, h, wd, n * c]);
  const dyT = transpose(w, dy, [1, 2, 0, 3]);
  const dyFlat = reshape(w, dyT, [info.outHeight, info.outWidth, n * c, m]);
  const strides: [number, number] = [info.dilationHeight, info.dilationWidth];
  const perImage = conv2d(w, xFlat, dyFlat, strides, [info.strideHeight, info.strideWidth], swappedConvPads(info), true);
  const byImage = reshape(w, perImage, [kh, kw, n, c * m]);
  const summed = run(w, 'Sum', { x: byImage }, { axis: [2], keepDims: false });
  const dW = reshape(w, summed, info.filterShape);
  free(w, xT, xFlat, dyT, dyFlat, perImage, byImage, summed);
  return dW;
}

/**
 * The full convolution of dy with the turned filter as depthwise convs, one depthwise channel per (c, m) pair; with a
 * channel multiplier m > 1 the m outputs of each input channel are then summed.
 */
export function depthwiseBackpropInputConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: Info; filter: Info };
      const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as tfjs.DepthwiseConv2dNativeBackpropInputAttrs;
      const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, true);
      const w = { tf, backend } as Wasm;
      const [n, h, wd, c] = inputShape;
      const m = filter.shape[3]!;
      const simd = inputViaSimdLoop(w, dy, filter, info);
      if (simd !== undefined) return simd;
      const perPair = fullConvolution(w, dy, filter, info, true);
      if (m === 1) return perPair;
      const pairs = reshape(w, perPair, [n, h, wd, c, m]);
      const dx = run(w, 'Sum', { x: pairs }, { axis: [4], keepDims: false });
      free(w, perPair, pairs);
      return dx;
    },
  };
}
