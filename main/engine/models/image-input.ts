// Runs where training runs (plain Node): what the image built-ins share: their input, checked against the data's shape, and their convolution.
import type * as tfjs from '@tensorflow/tfjs';
import { ModelError } from '../model-file.js';

export type Tf = typeof tfjs;

/**
 * A functional model's input for images of the data's shape (height x width x channels), named as Keras names it.
 * Data of another rank, or images smaller than `minSide` (what the architecture's downsampling can take), is refused.
 */
export function imageInput(tf: Tf, builtin: string, inputShape: readonly number[], minSide: number): tfjs.SymbolicTensor {
  if (inputShape.length !== 3) {
    throw new ModelError(
      'model.builtin',
      `${builtin} needs images (height x width x channels), but the data's shape is [${inputShape.join(', ')}]`,
    );
  }
  const [height = 0, width = 0] = inputShape;
  if (Math.min(height, width) < minSide) {
    throw new ModelError('model.builtin', `${builtin} needs images of at least ${minSide}x${minSide}, but the data is ${height}x${width}`);
  }
  return tf.input({ name: 'input_layer', shape: [...inputShape] });
}

/** A 'same'-padded convolution without a bias (a BatchNormalization follows it), with Keras's default glorot-uniform kernel. */
export function convWithoutBias(tf: Tf, name: string, filters: number, kernelSize: number, strides: number, x: tfjs.SymbolicTensor) {
  const layer = tf.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: 'same',
    useBias: false,
    kernelInitializer: 'glorotUniform',
  });
  return layer.apply(x) as tfjs.SymbolicTensor;
}
