// Runs in the training thread: the ReLU and ReLU6 gradients, as TensorFlow's ReluGrad/Relu6Grad on tensorflow and tfjs's formula elsewhere.
import type * as tfjs from '@tensorflow/tfjs';
import { hasKernel, RELU6_GRAD, RELU_GRAD } from './tensorflow-ops.js';

type Tf = typeof tfjs;

/**
 * tfjs-core's ReLU gradient is dy * step(x), and tfjs-node builds Step from IsNan, Greater, Fill and Select: five native
 * ops a layer where TensorFlow has one. Elsewhere tfjs's formula stays (wasm's Step is one kernel).
 */
export function reluGradient(tf: Tf): tfjs.GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tfjs.Tensor];
      const dyTensor = dy as tfjs.Tensor;
      if (hasKernel(tf, RELU_GRAD)) return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dyTensor, x }) as tfjs.Tensor };
      return { x: () => tf.mul(dyTensor, tf.cast(tf.step(x), 'float32')) };
    },
  };
}

/** As reluGradient, for ReLU6 (MobileNet): TensorFlow passes dy where 0 < x < 6, tfjs where 0 < x <= 6 (a tie at exactly 6.0). */
export function relu6Gradient(tf: Tf): tfjs.GradConfig {
  return {
    kernelName: tf.Relu6,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tfjs.Tensor];
      const dyTensor = dy as tfjs.Tensor;
      if (hasKernel(tf, RELU6_GRAD)) return { x: () => tf.engine().runKernel(RELU6_GRAD, { dy: dyTensor, x }) as tfjs.Tensor };
      return { x: () => tf.mul(dyTensor, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32')) };
    },
  };
}
