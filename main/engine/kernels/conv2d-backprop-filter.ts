// Runs in the training thread: Conv2DBackpropFilter (every conv layer's weight gradient) for wasm: XNNPACK, or a SIMD loop for small patches.
import type * as tfjs from '@tensorflow/tfjs';
import { filterGradientLoop, tapOffsets } from './filter-gradient-simd.js';
import { conv2d, f32, free, output, reshape, run, transpose, type Info, type Pads, type Shape4, type Tf, type Wasm } from './wasm-ops.js';

/**
 * dW[kh,kw,ci,co] = sum over b,oh,ow of x[b, oh*s + kh - top, ow*s + kw - left, ci] * dy[b,oh,ow,co]: one GEMM that
 * contracts over b*oh*ow, run by XNNPACK. XNNPACK repacks its weight operand on every call (about 3 ns a float, more
 * than the GEMM itself for a first layer), so the smaller of dy and x's patches takes that role.
 */
export function conv2DBackpropFilterConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tfjs.Conv2DBackpropFilterAttrs;
      const w = { tf, backend } as Wasm;
      const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
      const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, format);
      if (format === 'channelsLast') return filterGradient(w, x, dy, info);
      const xNhwc = transpose(w, x, [0, 2, 3, 1]);
      const dyNhwc = transpose(w, dy, [0, 2, 3, 1]);
      const dW = filterGradient(w, xNhwc, dyNhwc, info);
      free(w, xNhwc, dyNhwc);
      return dW;
    },
  };
}

export function filterGradient(w: Wasm, x: Info, dy: Info, info: tfjs.backend_util.Conv2DInfo): Info {
  const patchSize = info.filterHeight * info.filterWidth * info.inChannels;
  if (patchSize >= info.outChannels) return viaSwappedConv(w, x, dy, info);
  return viaSimdLoop(w, x, dy, info) ?? viaPatches(w, x, dy, info);
}

/**
 * Small patches (a first layer: MNIST's 3x3x1 against 32 channels) straight from x and dy, no patches and no GEMM:
 * XNNPACK's GEMM would pack its operand and needs dy transposed, 2.7 ms a step where this loop takes 0.45 ms.
 * Undefined where the loop does not apply (channels not in eights, negative pads, windows past the padded input, no SIMD).
 */
function viaSimdLoop(w: Wasm, x: Info, dy: Info, info: tfjs.backend_util.Conv2DInfo): Info | undefined {
  const { top, bottom, left, right } = info.padInfo;
  const width = info.inWidth + left + right;
  const height = info.inHeight + top + bottom;
  const reaches =
    (info.outHeight - 1) * info.strideHeight + info.filterHeight <= height &&
    (info.outWidth - 1) * info.strideWidth + info.filterWidth <= width;
  if (Math.min(top, bottom, left, right) < 0 || !reaches || info.batchSize === 0) return undefined;
  const c = info.inChannels;
  const loop = filterGradientLoop(w.backend, {
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    tapOffsets: tapOffsets(info.filterHeight, info.filterWidth, c, width),
    imageBytes: height * width * c * 4,
    rowStepBytes: info.strideHeight * width * c * 4,
    columnStepBytes: info.strideWidth * c * 4,
  });
  if (loop === null) return undefined;
  const padded =
    top + bottom + left + right > 0
      ? run(
          w,
          'PadV2',
          { x },
          {
            paddings: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            constantValue: 0,
          },
        )
      : undefined;
  const dW = output(w, [info.filterHeight, info.filterWidth, c, info.outChannels]);
  const sums = f32(w, dW);
  sums.fill(0);
  loop(f32(w, padded ?? x).byteOffset, f32(w, dy).byteOffset, sums.byteOffset, info.batchSize);
  if (padded !== undefined) free(w, padded);
  return dW;
}

/**
 * A convolution of x with channels and batch swapped ([ci,H,W,b]) by dy as the filter ([oh,ow,b,co]), where the
 * forward stride becomes the dilation; XNNPACK reads x in place (no patches) and packs dy.
 */
function viaSwappedConv(w: Wasm, x: Info, dy: Info, info: tfjs.backend_util.Conv2DInfo): Info {
  const xT = transpose(w, x, [3, 1, 2, 0]);
  const dyT = transpose(w, dy, [1, 2, 0, 3]);
  const grad = conv2d(w, xT, dyT, [1, 1], [info.strideHeight, info.strideWidth], swappedConvPads(info));
  const dW = transpose(w, grad, [1, 2, 0, 3]);
  free(w, xT, dyT, grad);
  return dW;
}

/** Pads that make the swapped convolution's output exactly filterHeight x filterWidth (negative: rows it never reads). */
export function swappedConvPads(info: tfjs.backend_util.Conv2DInfo): Pads {
  const { top, left } = info.padInfo;
  const span = (out: number, stride: number, filter: number, dilation: number) => (out - 1) * stride + (filter - 1) * dilation + 1;
  const bottom = span(info.outHeight, info.strideHeight, info.filterHeight, info.dilationHeight) - info.inHeight - top;
  const right = span(info.outWidth, info.strideWidth, info.filterWidth, info.dilationWidth) - info.inWidth - left;
  return [top, bottom, left, right];
}

/** dWᵀ = dyᵀ · patches(x), packing the patches: [b*oh*ow, kh*kw*ci] is smaller than dy when ci is small. */
function viaPatches(w: Wasm, x: Info, dy: Info, info: tfjs.backend_util.Conv2DInfo): Info {
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const patches = im2col(w, x, info);
  const rows = patches.shape[0]! * patches.shape[1]! * patches.shape[2]!;
  const patches2 = reshape(w, patches, [rows, patches.shape[3]!]);
  const dy2 = reshape(w, dy, [rows, outChannels]);
  const product = run(w, 'BatchMatMul', { a: dy2, b: patches2 }, { transposeA: true, transposeB: false });
  const grid = reshape(w, product, [outChannels, filterHeight, filterWidth, inChannels]);
  const dW = transpose(w, grid, [1, 2, 3, 0]);
  free(w, patches, patches2, dy2, product, grid);
  return dW;
}

/**
 * The patches as the forward conv with a one-hot filter (output channel t copies tap t): XNNPACK handles stride and
 * padding, and the 2.5x-faster-than-JS copy is exact for finite x (an infinite x turns its patch row into NaN).
 */
function im2col(w: Wasm, x: Info, info: tfjs.backend_util.Conv2DInfo): Info {
  const size = info.filterHeight * info.filterWidth * info.inChannels;
  const oneHot = output(w, [info.filterHeight, info.filterWidth, info.inChannels, size]);
  const values = f32(w, oneHot);
  values.fill(0);
  for (let t = 0; t < size; t++) values[t * size + t] = 1;
  const { top, bottom, left, right } = info.padInfo;
  const patches = conv2d(w, x, oneHot, [info.strideHeight, info.strideWidth], [1, 1], [top, bottom, left, right]);
  free(w, oneHot);
  return patches;
}
