// Runs where training runs (plain Node): the `resnet` built-in, a small Keras-style ResNet (conv, BN, ReLU, three residual stages, GAP, dense).
import type * as tfjs from '@tensorflow/tfjs';
import { convWithoutBias, imageInput } from './image-input.js';
import type { Tf } from './image-input.js';

export interface ResnetOptions {
  /** Residual blocks per stage. */
  depth?: number;
  /** The first stage's filters; stages 2 and 3 double it each time. */
  width?: number;
}

/**
 * The architecture Tributary's benchmarks hold against Keras and PyTorch (their twins use the same names): 309,418
 * parameters with width 32, depth 1 on one channel and 10 classes. Channels last, `same` padding, bias-free convs
 * before each BatchNormalization (Keras's momentum 0.99, epsilon 0.001), Glorot-uniform kernels as Keras's defaults.
 */
export function resnet(
  tf: Tf,
  inputShape: readonly number[],
  numClasses: number,
  { depth = 1, width = 32 }: ResnetOptions,
): tfjs.LayersModel {
  const input = imageInput(tf, 'resnet', inputShape, 1);
  const layers = new ResnetLayers(tf);
  let x = layers.relu('conv1_relu', layers.bn('conv1_bn', layers.conv('conv1', width, 3, 1, input)));
  for (let stage = 1; stage <= 3; stage++) {
    const filters = width * 2 ** (stage - 1);
    for (let block = 1; block <= depth; block++) {
      x = layers.block(`stage${stage}_block${block}`, x, filters, stage > 1 && block === 1 ? 2 : 1);
    }
  }
  const pooled = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x);
  const output = tf.layers
    .dense({ name: 'predictions', units: numClasses, activation: 'softmax', kernelInitializer: 'glorotUniform' })
    .apply(pooled);
  return tf.model({ name: 'resnet', inputs: input, outputs: output as tfjs.SymbolicTensor });
}

type Node = tfjs.SymbolicTensor;

class ResnetLayers {
  constructor(private readonly tf: Tf) {}

  conv(name: string, filters: number, kernelSize: number, strides: number, x: Node): Node {
    return convWithoutBias(this.tf, name, filters, kernelSize, strides, x);
  }

  bn(name: string, x: Node): Node {
    return this.tf.layers.batchNormalization({ name, momentum: 0.99, epsilon: 0.001 }).apply(x) as Node;
  }

  relu(name: string, x: Node): Node {
    return this.tf.layers.activation({ name, activation: 'relu' }).apply(x) as Node;
  }

  /** Two 3x3 convs beside a shortcut: the input itself, or a strided 1x1 conv where the shape changes. */
  block(prefix: string, x: Node, filters: number, strides: number): Node {
    let y = this.relu(`${prefix}_relu1`, this.bn(`${prefix}_bn1`, this.conv(`${prefix}_conv1`, filters, 3, strides, x)));
    y = this.bn(`${prefix}_bn2`, this.conv(`${prefix}_conv2`, filters, 3, 1, y));
    const same = strides === 1 && x.shape.at(-1) === filters;
    const shortcut = same ? x : this.bn(`${prefix}_shortcut_bn`, this.conv(`${prefix}_shortcut`, filters, 1, strides, x));
    const sum = this.tf.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as Node;
    return this.relu(`${prefix}_out`, sum);
  }
}
