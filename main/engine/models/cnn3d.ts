// Runs where training runs (plain Node): the `cnn3d` built-in, a small 3-D convnet for volumes (a Nifti handler's slices: volume), Keras-named.
import type * as tfjs from '@tensorflow/tfjs';
import { ModelError } from '../model-file.js';
import type { Tf } from './image-input.js';

/** Two 'same' 3x3x3 convolutions (8 and 16 filters, relu) each followed by a 2x2x2 max-pool, flatten, dense softmax. */
export function cnn3d(tf: Tf, inputShape: readonly number[], numClasses: number): tfjs.Sequential {
  if (inputShape.length !== 4) {
    throw new ModelError(
      'model.builtin',
      `cnn3d needs volumes (depth x height x width x channels, as a Nifti handler gives with slices: volume and a Dicom one with slice: volume), ` +
        `but the data's shape is [${inputShape.join(', ')}]`,
    );
  }
  const [depth = 0, height = 0, width = 0] = inputShape;
  // Two 2x2x2 pools leave nothing of a side shorter than 4.
  if (Math.min(depth, height, width) < 4) {
    throw new ModelError('model.builtin', `cnn3d needs volumes of at least 4x4x4, but the data is ${depth}x${height}x${width}`);
  }
  const conv = (name: string, filters: number, input?: readonly number[]) =>
    tf.layers.conv3d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu', ...(input && { inputShape: [...input] }) });
  return tf.sequential({
    name: 'cnn3d',
    layers: [
      conv('conv3d', 8, inputShape),
      tf.layers.maxPooling3d({ name: 'max_pooling3d', poolSize: 2 }),
      conv('conv3d_1', 16),
      tf.layers.maxPooling3d({ name: 'max_pooling3d_1', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense', units: numClasses, activation: 'softmax' }),
    ],
  });
}
