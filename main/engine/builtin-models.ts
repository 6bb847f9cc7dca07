// Runs where training runs (plain Node): the built-in architectures, with Keras's layer names so weight names agree with a Keras party.
import type * as tfjs from '@tensorflow/tfjs';
import type { BuiltinModel } from '../../common/model-config.js';
import { ModelError } from './model-file.js';
import { cnn3d } from './models/cnn3d.js';
import { mobileNetV2 } from './models/mobilenet-v2.js';
import { resnet } from './models/resnet.js';

type Tf = typeof tfjs;
/** Moved to the contract (common/model-config.ts); re-exported while main/federation/ still imports it from here. */
export { BUILTIN_MODELS } from '../../common/model-config.js';

/** What shapes a built-in beyond the data: the `model:` keys of the same names; each built-in takes its own. */
export interface BuiltinOptions {
  depth?: number;
  width?: number;
  alpha?: number;
}

/**
 * Layer names are set, not left to tfjs: its generated names depend on how many layers the process has made, and a
 * weight's name (`conv2d/kernel`) must be the same at every party and on every run.
 */
export function buildBuiltin(
  tf: Tf,
  builtin: BuiltinModel,
  inputShape: readonly number[],
  numClasses: number,
  options: BuiltinOptions = {},
): tfjs.LayersModel {
  switch (builtin) {
    case 'mnist-cnn':
      return mnistCnn(tf, inputShape, numClasses);
    case 'mlp':
      return mlp(tf, inputShape, numClasses);
    case 'resnet':
      return resnet(tf, inputShape, numClasses, options);
    case 'mobilenetv2':
      return mobileNetV2(tf, inputShape, numClasses, options);
    case 'cnn3d':
      return cnn3d(tf, inputShape, numClasses);
  }
}

/** Keras's mnist_convnet example, layer for layer: 34,826 parameters on 28x28x1 with 10 classes. */
function mnistCnn(tf: Tf, inputShape: readonly number[], numClasses: number): tfjs.Sequential {
  const [height = 0, width = 0] = inputShape;
  if (inputShape.length !== 3) {
    throw new ModelError(
      'model.builtin',
      `mnist-cnn needs images (height x width x channels), but the data's shape is [${inputShape.join(', ')}]`,
    );
  }
  // Two 3x3 valid convolutions and two 2x2 pools leave nothing of a side shorter than 10.
  if (Math.min(height, width) < 10) {
    throw new ModelError('model.builtin', `mnist-cnn needs images of at least 10x10, but the data is ${height}x${width}`);
  }
  return tf.sequential({
    name: 'mnist_cnn',
    layers: [
      tf.layers.conv2d({ name: 'conv2d', inputShape: [...inputShape], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'max_pooling2d', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2d_1', filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'max_pooling2d_1', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ name: 'dropout', rate: 0.5 }),
      tf.layers.dense({ name: 'dense', units: numClasses, activation: 'softmax' }),
    ],
  });
}

/** Flatten, dense 128 relu, dropout 0.2, dense softmax; flatten is left out for flat (tabular) data, where tfjs refuses it. */
function mlp(tf: Tf, inputShape: readonly number[], numClasses: number): tfjs.Sequential {
  const input = { inputShape: [...inputShape] };
  const flat = inputShape.length === 1;
  return tf.sequential({
    name: 'mlp',
    layers: [
      ...(flat ? [] : [tf.layers.flatten({ name: 'flatten', ...input })]),
      tf.layers.dense({ name: 'dense', units: 128, activation: 'relu', ...(flat && input) }),
      tf.layers.dropout({ name: 'dropout', rate: 0.2 }),
      tf.layers.dense({ name: 'dense_1', units: numClasses, activation: 'softmax' }),
    ],
  });
}
