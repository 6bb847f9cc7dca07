// Runs in the training thread on the tensorflow backend: BatchNormalization as FusedBatchNormV3 and FusedBatchNormGradV3, with tfjs-layers' moving averages.
import type * as tfjs from '@tensorflow/tfjs';
import { FLOAT, attr } from './graph-builder.js';
import { config, field, refuseUnless } from './emitter.js';
import type { EmitContext, Emitted, Layer, LayerVariable } from './emitter.js';
import { mul, sub } from './ops.js';

/**
 * A trainable layer normalises with the batch's statistics and moves its moving mean and variance towards them as
 * tfjs-layers does: moving -= (moving - batch) * (1 - momentum), with the batch's biased variance (tf.moments's), which
 * FusedBatchNormV3 returns as reserve_space_2 on CPU. A frozen layer runs in inference mode (Keras's rule, freeze.ts):
 * the moving statistics normalise, and stay as they are. The gradient, through the batch statistics or not, is one
 * FusedBatchNormGradV3.
 */
export function batchNormalization(ctx: EmitContext, layer: Layer, [x]: readonly string[]): Emitted {
  const { g } = ctx;
  const c = config(layer);
  const rank = (layer.input as tfjs.SymbolicTensor).shape.length;
  const axis = [c['axis']].flat() as number[];
  refuseUnless(layer, 'axis', axis.length === 1 && (axis[0] === -1 || axis[0] === rank - 1) && rank === 4, c['axis']);
  const channels = (layer.input as tfjs.SymbolicTensor).shape[rank - 1]!;
  const gamma = field<LayerVariable | undefined>(layer, 'gamma');
  const beta = field<LayerVariable | undefined>(layer, 'beta');
  const movingMean = field<LayerVariable>(layer, 'movingMean');
  const movingVariance = field<LayerVariable>(layer, 'movingVariance');
  const training = layer.trainable;
  const scale = gamma ? ctx.weight(gamma) : g.float(new Array<number>(channels).fill(1), [channels]);
  const offset = beta ? ctx.weight(beta) : g.float(new Array<number>(channels).fill(0), [channels]);
  const attrs = {
    T: FLOAT,
    U: FLOAT,
    epsilon: attr.float(c['epsilon'] as number),
    data_format: attr.str('NHWC'),
    is_training: attr.bool(training),
  };
  const mean = ctx.weight(movingMean);
  const variance = ctx.weight(movingVariance);
  const bn = g.op('FusedBatchNormV3', [x!, scale, offset, mean, variance], { ...attrs, exponential_avg_factor: attr.float(1) });
  if (training) {
    const decay = g.float(1 - (c['momentum'] as number));
    const moved = (moving: string, batch: string) => sub(g, moving, mul(g, sub(g, moving, batch), decay));
    ctx.update(movingMean, moved(mean, g.out(bn, 3)));
    ctx.update(movingVariance, moved(variance, g.out(bn, 4)));
  }
  const [saved1, saved2] = training ? [g.out(bn, 3), g.out(bn, 4)] : [mean, variance];
  return {
    output: g.out(bn, 0),
    backward: (dy) => {
      const grad = g.op('FusedBatchNormGradV3', [dy, x!, scale, saved1, saved2, g.out(bn, 5)], attrs);
      if (gamma && ctx.trains(gamma)) ctx.gradient(gamma, g.out(grad, 1));
      if (beta && ctx.trains(beta)) ctx.gradient(beta, g.out(grad, 2));
      return [g.out(grad, 0)];
    },
  };
}
