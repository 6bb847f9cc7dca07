// Runs in the training thread: puts the training kernels that tfjs-backend-wasm 4.22 lacks or gets wrong in its registry.
import type * as tfjs from '@tensorflow/tfjs';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { conv3DBackpropFilterConfig, conv3DBackpropInputConfig } from './conv3d-backprop.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { oneHotConfig } from './one-hot.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import type { Tf } from './wasm-ops.js';

/**
 * Marks our kernel functions, so that a second registration leaves them in place and never mistakes our BatchMatMul
 * for the stock one it wraps. A global symbol, because two copies of this module may share one tfjs registry.
 */
const ours = Symbol.for('tributary.wasmTrainingKernel');
const isOurs = (kernel: tfjs.KernelConfig | undefined) => kernel !== undefined && ours in kernel.kernelFunc;

/**
 * Replaces or adds, for the 'wasm' backend: Conv2DBackpropFilter, Conv2DBackpropInput, MaxPoolGrad, BatchMatMul,
 * OneHot, UnsortedSegmentSum, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput,
 * Conv3DBackpropFilterV2 and Conv3DBackpropInputV2.
 * Call it after importing '@tensorflow/tfjs-backend-wasm' (whose stock BatchMatMul the new one calls), before or after
 * tf.setBackend('wasm'). Returns the kernel names it registered on this call.
 */
export function registerWasmTrainingKernels(tf: Tf): string[] {
  const stockMatMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (stockMatMul === undefined) throw new Error('import @tensorflow/tfjs-backend-wasm before registering its training kernels');
  const configs = [
    conv2DBackpropFilterConfig(tf),
    conv2DBackpropInputConfig(tf),
    maxPoolGradConfig(tf),
    oneHotConfig(tf),
    unsortedSegmentSumConfig(tf),
    depthwiseBackpropFilterConfig(tf),
    depthwiseBackpropInputConfig(tf),
    conv3DBackpropFilterConfig(tf),
    conv3DBackpropInputConfig(tf),
    ...(isOurs(stockMatMul) ? [] : [batchMatMulConfig(tf, stockMatMul)]),
  ];
  const registered: string[] = [];
  for (const config of configs) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (isOurs(current)) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    Object.defineProperty(config.kernelFunc, ours, { value: true });
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
