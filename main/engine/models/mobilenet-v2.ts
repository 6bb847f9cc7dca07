// Runs where training runs (plain Node): the `mobilenetv2` built-in, keras.applications.MobileNetV2 (Keras 3.15) layer for layer.
import type * as tfjs from '@tensorflow/tfjs';
import { convWithoutBias, imageInput } from './image-input.js';
import type { Tf } from './image-input.js';

type Node = tfjs.SymbolicTensor;

/** Keras's inverted residual blocks: [output filters before alpha, stride, expansion], block_0 to block_16. */
const BLOCKS: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  [24, 2, 6],
  [24, 1, 6],
  [32, 2, 6],
  [32, 1, 6],
  [32, 1, 6],
  [64, 2, 6],
  [64, 1, 6],
  [64, 1, 6],
  [64, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [160, 2, 6],
  [160, 1, 6],
  [160, 1, 6],
  [320, 1, 6],
];

/**
 * `keras.applications.MobileNetV2(input_shape, alpha, weights=None, classes, classifier_activation='softmax')`: the same
 * layers, names, output shapes and parameter count (2,270,218 at 96x96x1, alpha 1.0, 10 classes). Keras refuses images
 * under 32x32, and so does this.
 */
export function mobileNetV2(
  tf: Tf,
  inputShape: readonly number[],
  numClasses: number,
  { alpha = 1 }: { alpha?: number },
): tfjs.LayersModel {
  const input = imageInput(tf, 'mobilenetv2', inputShape, 32);
  const layers = new MobileNetLayers(tf);
  let x = layers.conv('Conv1', makeDivisible(32 * alpha), 3, 2, input);
  x = layers.relu6('Conv1_relu', layers.bn('bn_Conv1', x));
  BLOCKS.forEach(([filters, stride, expansion], id) => {
    x = layers.invertedResidual(x, { filters: makeDivisible(Math.trunc(filters * alpha)), stride, expansion, id });
  });
  // The paper keeps the last conv at 1280 for alpha <= 1.
  x = layers.conv('Conv_1', alpha > 1 ? makeDivisible(1280 * alpha) : 1280, 1, 1, x);
  x = layers.relu6('out_relu', layers.bn('Conv_1_bn', x));
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as Node;
  const output = tf.layers
    .dense({ name: 'predictions', units: numClasses, activation: 'softmax', kernelInitializer: 'glorotUniform' })
    .apply(x);
  return tf.model({ name: `mobilenetv2_${alpha.toFixed(2)}_${inputShape[0]}`, inputs: input, outputs: output as Node });
}

/** Keras's _make_divisible: the nearest multiple of 8, at least 8, and not more than 10% under v. */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/**
 * Keras's imagenet_utils.correct_pad for a 3x3 kernel, [[top, bottom], [left, right]]: (1 - adjust, 1) with adjust = 1 -
 * side % 2, so no row or column before an even side and one before an odd side, one after either.
 */
function correctPad([height, width]: readonly (number | null)[]): [[number, number], [number, number]] {
  return [
    [height! % 2, 1],
    [width! % 2, 1],
  ];
}

interface BlockOptions {
  filters: number;
  stride: number;
  expansion: number;
  id: number;
}

class MobileNetLayers {
  constructor(private readonly tf: Tf) {}

  conv(name: string, filters: number, kernelSize: number, strides: number, x: Node): Node {
    return convWithoutBias(this.tf, name, filters, kernelSize, strides, x);
  }

  bn(name: string, x: Node): Node {
    return this.tf.layers.batchNormalization({ name, momentum: 0.999, epsilon: 0.001 }).apply(x) as Node;
  }

  relu6(name: string, x: Node): Node {
    return this.tf.layers.reLU({ name, maxValue: 6 }).apply(x) as Node;
  }

  /** Expand (1x1, except block 0), depthwise 3x3, project (1x1, linear); the input is added back where the shape allows. */
  invertedResidual(input: Node, { filters, stride, expansion, id }: BlockOptions): Node {
    const inChannels = input.shape.at(-1)!;
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
    let x = input;
    if (id !== 0)
      x = this.relu6(`${prefix}expand_relu`, this.bn(`${prefix}expand_BN`, this.conv(`${prefix}expand`, expansion * inChannels, 1, 1, x)));
    if (stride === 2) x = this.tf.layers.zeroPadding2d({ name: `${prefix}pad`, padding: correctPad(x.shape.slice(1, 3)) }).apply(x) as Node;
    const depthwise = this.tf.layers.depthwiseConv2d({
      name: `${prefix}depthwise`,
      kernelSize: 3,
      strides: stride,
      padding: stride === 1 ? 'same' : 'valid',
      useBias: false,
      depthwiseInitializer: 'glorotUniform',
    });
    x = this.relu6(`${prefix}depthwise_relu`, this.bn(`${prefix}depthwise_BN`, depthwise.apply(x) as Node));
    x = this.bn(`${prefix}project_BN`, this.conv(`${prefix}project`, filters, 1, 1, x));
    return inChannels === filters && stride === 1 ? (this.tf.layers.add({ name: `${prefix}add` }).apply([input, x]) as Node) : x;
  }
}
