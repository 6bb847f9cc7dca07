// Runs in the training thread: the two gradients of depthwise convolution (depthwise/separable layers), which wasm lacks.
import type * as tfjs from '@tensorflow/tfjs';
import { swappedConvPads } from './conv2d-backprop-filter.js';
import { fullConvolution } from './full-convolution.js';
import { conv2d, free, reshape, run, transpose, type Info, type Shape4, type Tf, type Wasm } from './wasm-ops.js';

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
      return filterGradient({ tf, backend } as Wasm, x, dy, info);
    },
  };
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
      const perPair = fullConvolution(w, dy, filter, info, true);
      if (m === 1) return perPair;
      const pairs = reshape(w, perPair, [n, h, wd, c, m]);
      const dx = run(w, 'Sum', { x: pairs }, { axis: [4], keepDims: false });
      free(w, perPair, pairs);
      return dx;
    },
  };
}
