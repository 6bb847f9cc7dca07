// Runs in the training thread: puts the training kernels that tfjs-backend-wasm 4.22 lacks, gets wrong or runs slowly in its registry.
import type * as tfjs from '@tensorflow/tfjs';
import { castConfig, identityConfig } from './alias.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { fusedBatchNormConfig } from './batch-norm.js';
import { rowBroadcastConfig } from './broadcast-binary.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { conv3DBackpropFilterConfig, conv3DBackpropInputConfig } from './conv3d-backprop.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { oneHotConfig } from './one-hot.js';
import { meanConfig, sumConfig } from './sum.js';
import { tileConfig } from './tile.js';
import { transposeConfig } from './transpose.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import type { Tf } from './wasm-ops.js';

/**
 * Marks our kernel functions, so that a second registration leaves them in place and never mistakes one of ours for
 * the stock kernel it wraps. A global symbol, because two copies of this module may share one tfjs registry.
 */
const ours = Symbol.for('tributary.wasmTrainingKernel');
const isOurs = (kernel: tfjs.KernelConfig | undefined) => kernel !== undefined && ours in kernel.kernelFunc;

/** Kernels that keep the stock one for the cases they do not speed up, so they are made from it. */
const WRAPPERS: Array<[string, (tf: Tf, stock: tfjs.KernelConfig) => tfjs.KernelConfig]> = [
  ['BatchMatMul', batchMatMulConfig],
  ['Sum', sumConfig],
  ['Identity', identityConfig],
  ['Cast', castConfig],
  ['Transpose', transposeConfig],
  ['Mean', meanConfig],
  ['Tile', tileConfig],
  ['Add', rowBroadcastConfig('add')],
  ['Sub', rowBroadcastConfig('sub')],
  ['Multiply', rowBroadcastConfig('mul')],
  ['RealDiv', rowBroadcastConfig('div')],
  ['FusedBatchNorm', fusedBatchNormConfig],
];

/**
 * Replaces or adds, for the 'wasm' backend: Conv2DBackpropFilter, Conv2DBackpropInput, MaxPoolGrad, OneHot,
 * UnsortedSegmentSum, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, Conv3DBackpropFilterV2,
 * Conv3DBackpropInputV2, and wrapping the stock ones: BatchMatMul, Sum, Identity, Cast, Transpose, Mean, Tile, and
 * Add, Sub, Multiply, RealDiv and FusedBatchNorm.
 * Call it after importing '@tensorflow/tfjs-backend-wasm' (whose stock kernels the wrappers call), before or after
 * tf.setBackend('wasm'). Returns the kernel names it registered on this call.
 */
export function registerWasmTrainingKernels(tf: Tf): string[] {
  const wrapped = WRAPPERS.flatMap(([name, wrap]) => {
    const stock = tf.getKernel(name, 'wasm');
    if (stock === undefined)
      throw new Error(`import @tensorflow/tfjs-backend-wasm before registering its training kernels (it has no ${name})`);
    // The stock kernel's setup (wasm binds its C function there, when the backend starts) must still run for the wrapper.
    return isOurs(stock) ? [] : [{ ...(stock.setupFunc && { setupFunc: stock.setupFunc }), ...wrap(tf, stock) }];
  });
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
    ...wrapped,
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
