// Runs in the training thread on the tensorflow backend: pooling, padding, flatten, add, dropout and activation layers as graph ops, forward and backward.
import type * as tfjs from '@tensorflow/tfjs';
import { FLOAT, attr } from './graph-builder.js';
import { activate } from './activations.js';
import { config, refuseUnless } from './emitter.js';
import type { EmitContext, Emitted, Layer } from './emitter.js';
import { pair } from './layers-core.js';
import { div, mul, reduce, reshape, shapeOf, unary } from './ops.js';

const T = { T: FLOAT };

const inputShape = (layer: Layer): (number | null)[] => (layer.input as tfjs.SymbolicTensor).shape;

/** Activation('relu'), ReLU (maxValue 6 or none), as one op each. */
export function activation(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const c = config(layer);
  let name = c['activation'] as string | undefined;
  if (layer.getClassName() === 'ReLU') {
    refuseUnless(layer, 'maxValue', c['maxValue'] == null || c['maxValue'] === 6, c['maxValue']);
    name = c['maxValue'] === 6 ? 'relu6' : 'relu';
  }
  const activated = activate(ctx.g, name!, x!);
  return { output: activated.y, backward: (dy) => [activated.back(dy)] };
}

/** Flatten: a reshape to [batch, rest], and back to the input's shape. */
export function flatten(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const rest = inputShape(layer)
    .slice(1)
    .reduce<number>((a, b) => a * b!, 1);
  return { output: reshape(g, x!, g.int([-1, rest])), backward: (dy) => [reshape(g, dy, shapeOf(g, x!))] };
}

/** Add: the sum's gradient goes to every input as it is. */
export function addLayer(ctx: EmitContext, _layer: Layer, inputs: readonly string[]): Emitted {
  const { g } = ctx;
  return { output: g.op('AddN', inputs, { ...T, N: attr.int(inputs.length) }), backward: (dy) => inputs.map(() => dy) };
}

/** ZeroPadding2D: Pad; back: the slice of dy where the input was. */
export function zeroPadding2d(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const c = config(layer);
  refuseUnless(layer, 'data_format', c['dataFormat'] === undefined || c['dataFormat'] === 'channelsLast', c['dataFormat']);
  const padding = c['padding'] as [[number, number], [number, number]];
  const pads = g.int([0, 0, ...padding[0], ...padding[1], 0, 0], [4, 2]);
  const output = g.op('Pad', [x!, pads], { ...T, Tpaddings: attr.type(3) });
  const begin = g.int([0, padding[0][0], padding[1][0], 0]);
  return { output, backward: (dy) => [g.op('Slice', [dy, begin, shapeOf(g, x!)], { ...T, Index: attr.type(3) })] };
}

/** MaxPooling2D / AveragePooling2D: MaxPool, AvgPool; back: MaxPoolGrad, AvgPoolGrad. */
export function pooling2d(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const c = config(layer);
  refuseUnless(layer, 'data_format', c['dataFormat'] === 'channelsLast', c['dataFormat']);
  const [kh, kw] = pair(c['poolSize']);
  const [sh, sw] = pair(c['strides'] ?? c['poolSize']);
  const attrs = {
    ...T,
    ksize: attr.ints([1, kh, kw, 1]),
    strides: attr.ints([1, sh, sw, 1]),
    padding: attr.str((c['padding'] as string).toUpperCase()),
    data_format: attr.str('NHWC'),
  };
  if (layer.getClassName() === 'MaxPooling2D') {
    const y = g.op('MaxPool', [x!], attrs);
    return { output: y, backward: (dy) => [g.op('MaxPoolGrad', [x!, y, dy], attrs)] };
  }
  const y = g.op('AvgPool', [x!], attrs);
  return { output: y, backward: (dy) => [g.op('AvgPoolGrad', [shapeOf(g, x!), dy], attrs)] };
}

/** GlobalAveragePooling2D: the mean over height and width; back: dy / (h w), broadcast over them. */
export function globalAveragePooling2d(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const c = config(layer);
  refuseUnless(layer, 'data_format', c['dataFormat'] === undefined || c['dataFormat'] === 'channelsLast', c['dataFormat']);
  const [, h, w, channels] = inputShape(layer);
  return {
    output: reduce(g, 'Mean', x!, [1, 2]),
    backward: (dy) => {
      const scaled = reshape(g, div(g, dy, g.float(h! * w!)), g.int([-1, 1, 1, channels!]));
      return [g.op('BroadcastTo', [scaled, shapeOf(g, x!)], { ...T, Tidx: attr.type(3) })];
    },
  };
}

/**
 * Dropout as tfjs's tf.dropout computes it in training: keep = floor(u + (1 - rate)) / (1 - rate), y = x * keep, with
 * u uniform in [0, 1); here u comes from a stateless generator with a per-step seed, so the masks differ from tfjs's.
 */
export function dropout(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const c = config(layer);
  refuseUnless(layer, 'noiseShape', c['noiseShape'] == null, c['noiseShape']);
  const rate = c['rate'] as number;
  if (rate === 0) return { output: x!, backward: (dy) => [dy] };
  const keepProb = 1 - rate;
  const u = g.op('StatelessRandomUniform', [shapeOf(g, x!), ctx.seed()], { dtype: FLOAT, T: attr.type(3), Tseed: attr.type(3) });
  const keep = div(g, unary(g, 'Floor', g.op('AddV2', [u, g.float(keepProb)], T)), g.float(keepProb));
  return { output: mul(g, x!, keep), backward: (dy) => [mul(g, dy, keep)] };
}
