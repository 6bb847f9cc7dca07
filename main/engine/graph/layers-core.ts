// Runs in the training thread on the tensorflow backend: Dense, Conv2D and DepthwiseConv2D as graph ops, forward and backward.
import type * as tfjs from '@tensorflow/tfjs';
import { FLOAT, attr } from './graph-builder.js';
import type { Attr } from './graph-builder.js';
import { activate } from './activations.js';
import { config, field, refuseUnless } from './emitter.js';
import type { EmitContext, Emitted, Layer, LayerVariable } from './emitter.js';
import { shapeOf } from './ops.js';

const T = { T: FLOAT };

/** y = activation(x W + b): MatMul, BiasAdd; back: dx = dy W^T, dW = x^T dy, db = BiasAddGrad(dy). Rank-2 input only. */
export function dense(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const rank = (layer.input as tfjs.SymbolicTensor).shape.length;
  refuseUnless(layer, 'an input of rank', rank === 2, rank);
  const kernel = field<LayerVariable>(layer, 'kernel');
  const bias = field<LayerVariable | null>(layer, 'bias');
  const mm = g.op('MatMul', [x!, ctx.weight(kernel)], { ...T, transpose_a: attr.bool(false), transpose_b: attr.bool(false) });
  return withBiasAndActivation(ctx, layer, mm, bias, (dz, needed) => {
    if (ctx.trains(kernel))
      ctx.gradient(kernel, g.op('MatMul', [x!, dz], { ...T, transpose_a: attr.bool(true), transpose_b: attr.bool(false) }));
    return needed ? g.op('MatMul', [dz, ctx.weight(kernel)], { ...T, transpose_a: attr.bool(false), transpose_b: attr.bool(true) }) : null;
  });
}

/** Conv2D, NHWC, any stride, 'same' or 'valid' (tfjs pads 'same' as TensorFlow does); back: Conv2DBackpropInput/Filter. */
export function conv2d(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  return convolution(ctx, layer, x!, 'kernel', { forward: 'Conv2D', input: 'Conv2DBackpropInput', filter: 'Conv2DBackpropFilter' });
}

/** DepthwiseConv2D (depth multiplier any); back: DepthwiseConv2dNativeBackpropInput/Filter. */
export function depthwiseConv2d(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  return convolution(ctx, layer, x!, 'depthwiseKernel', {
    forward: 'DepthwiseConv2dNative',
    input: 'DepthwiseConv2dNativeBackpropInput',
    filter: 'DepthwiseConv2dNativeBackpropFilter',
  });
}

interface ConvOps {
  forward: string;
  input: string;
  filter: string;
}

function convolution(ctx: EmitContext, layer: Layer, x: string, kernelField: string, ops: ConvOps): Emitted {
  const { g } = ctx;
  const c = config(layer);
  const dilation = [c['dilationRate']].flat() as number[];
  refuseUnless(
    layer,
    'dilationRate',
    dilation.every((d) => d === 1),
    c['dilationRate'],
  );
  refuseUnless(layer, 'dataFormat', c['dataFormat'] === 'channelsLast', c['dataFormat']);
  const [sh, sw] = pair(c['strides']);
  const attrs: Record<string, Attr> = {
    ...T,
    strides: attr.ints([1, sh, sw, 1]),
    padding: attr.str((c['padding'] as string).toUpperCase()),
    data_format: attr.str('NHWC'),
    dilations: attr.ints([1, 1, 1, 1]),
  };
  const kernel = field<LayerVariable>(layer, kernelField);
  const w = ctx.weight(kernel);
  const z = g.op(ops.forward, [x, w], attrs);
  return withBiasAndActivation(ctx, layer, z, field<LayerVariable | null>(layer, 'bias'), (dz, needed) => {
    if (ctx.trains(kernel)) ctx.gradient(kernel, g.op(ops.filter, [x, g.int(kernel.shape as number[]), dz], attrs));
    return needed ? g.op(ops.input, [shapeOf(g, x), w, dz], attrs) : null;
  });
}

/** Adds the bias and applies the layer's activation; the backward pass takes both off and hands the rest to `back`. */
function withBiasAndActivation(
  ctx: EmitContext,
  layer: Layer,
  z: string,
  bias: LayerVariable | null,
  back: (dz: string, needed: boolean) => string | null,
): Emitted {
  const { g } = ctx;
  const withBias = bias ? g.op('BiasAdd', [z, ctx.weight(bias)], { ...T, data_format: attr.str('NHWC') }) : z;
  const activated = activate(g, config(layer)['activation'] as string, withBias);
  return {
    output: activated.y,
    backward: (dy, [needed]) => {
      const dz = activated.back(dy);
      if (bias && ctx.trains(bias)) ctx.gradient(bias, g.op('BiasAddGrad', [dz], { ...T, data_format: attr.str('NHWC') }));
      return [back(dz, needed!)];
    },
  };
}

/** A Keras size given as one number or as [height, width]. */
export function pair(value: unknown): [number, number] {
  const list = [value].flat() as number[];
  return [list[0]!, list[1] ?? list[0]!];
}
