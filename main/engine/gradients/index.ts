// Runs in the training thread: Tributary's gradients for BatchNorm, Mean, ReLU and ReLU6, TensorFlow's fused ops as kernels, an early-freeing tape.
//
// Why they exist: tfjs-core 4.22 builds these gradients op by op, the same on every backend. BatchNorm's tiles a
// per-channel vector to the activation's full shape (Tile was 44% of a ResNet step on wasm) and makes ten full-size
// products; Mean's (twice a BatchNorm, for the batch moments) makes a full-size ones tensor in JavaScript; ReLU's is
// Step, which tfjs-node builds from four native ops. Ours broadcast on every backend and, on
// tensorflow, call TensorFlow's own FusedBatchNormGradV3, ReluGrad and Relu6Grad. docs/engine.md says what they gave.
import type * as tfjs from '@tensorflow/tfjs';
import { relu6Gradient, reluGradient } from './activations.js';
import { batchNormGradient } from './batch-norm.js';
import { freeBackpropEarly } from './early-free.js';
import { meanGradient } from './mean.js';
import { TENSORFLOW_KERNELS } from './tensorflow-ops.js';

type Tf = typeof tfjs;

/** Marks our gradient functions, so that a second registration is a no-op; global, since two copies of this module may share a registry. */
const ours = Symbol.for('tributary.trainingGradient');

/**
 * Registers, for every backend, the gradients of FusedBatchNorm, Mean, Relu and Relu6 (tfjs keeps one gradient per kernel
 * name, so these replace tfjs-core's), and the tensorflow backend's ReluGrad, Relu6Grad and FusedBatchNormGradV3 kernels
 * they call there, and makes the backward pass free each op's tensors once past it (early-free.ts). Call it once per
 * thread, before training; it does not need tfjs-node to be loaded or present.
 * Returns the gradient names it registered on this call.
 */
export function registerTrainingGradients(tf: Tf): string[] {
  freeBackpropEarly(tf);
  for (const kernel of TENSORFLOW_KERNELS) {
    if (tf.getKernel(kernel.kernelName, kernel.backendName) === undefined) tf.registerKernel(kernel);
  }
  const registered: string[] = [];
  for (const gradient of [batchNormGradient(tf), meanGradient(tf), reluGradient(tf), relu6Gradient(tf)]) {
    const current = tf.getGradient(gradient.kernelName);
    if (current !== undefined && ours in current.gradFunc) continue;
    Object.defineProperty(gradient.gradFunc, ours, { value: true });
    tf.registerGradient(gradient);
    registered.push(gradient.kernelName);
  }
  return registered;
}
