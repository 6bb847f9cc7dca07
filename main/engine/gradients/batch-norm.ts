// Runs in the training thread: BatchNorm's gradient without tfjs-core's Tile, and as TensorFlow's FusedBatchNormGradV3 on tensorflow.
import type * as tfjs from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD, hasKernel } from './tensorflow-ops.js';

type Tf = typeof tfjs;
type T = tfjs.Tensor;

/**
 * The gradient of tfjs's FusedBatchNorm kernel, y = (x - mean) * rsqrt(variance + eps) * scale + offset, with respect to
 * each input. The mean and variance are inputs here: in training mode tfjs-layers computes them with tf.moments, and the
 * tape carries dmean and dvariance back through those ops, as with tfjs's own gradient.
 *
 * tfjs-core's formula tiles rsqrt(variance + eps) to the activation's full shape (Tile was 44% of a ResNet step on wasm)
 * and makes ten full-size products; this one broadcasts, and makes three (x - mean, dy * (x - mean), dy * scale * rsqrt):
 *   dx = dy * scale * r,  doffset = sum(dy),  dscale = r * sum(dy * (x - mean)),
 *   dmean = -scale * r * sum(dy),  dvariance = -0.5 * scale * r^3 * sum(dy * (x - mean)),  where r = rsqrt(variance + eps).
 * On tensorflow, for NHWC x with per-channel statistics, dx, dscale and doffset come from one native op instead.
 */
export function batchNormGradient(tf: Tf): tfjs.GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      // tfjs 4.22 cannot differentiate a batchNorm without a scale (saving the missing input for the backward pass throws), so there is one.
      const [x, mean, variance, scale] = saved as [T, T, T, T];
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const dyTensor = dy as T;
      const r = tf.rsqrt(tf.add(variance, varianceEpsilon));
      const scaleR = tf.mul(scale, r);
      const toStats = (t: T) => tf.reshape(t, mean.shape);
      const native = x.rank === 4 && mean.rank === 1 && hasKernel(tf, BATCH_NORM_GRAD);
      // Both ways give the three sums over N, H, W the other gradients are made of; the tensors outlive the thunks' tidies.
      const { dx, dScale, dOffset } = native
        ? nativeSums(tf, dyTensor, x, mean, variance, scale, varianceEpsilon)
        : broadcastSums(tf, dyTensor, x, mean, r, scaleR);
      return {
        x: () => dx(),
        offset: () => toStats(dOffset),
        scale: () => toStats(dScale),
        mean: () => toStats(tf.neg(tf.mul(scaleR, dOffset))),
        // dvariance = -0.5 * scale * r^2 * dscale, since dscale already carries one factor r.
        variance: () => toStats(tf.mul(tf.mul(tf.mul(scaleR, r), dScale), -0.5)),
      };
    },
  };
}

interface Sums {
  dx: () => T;
  dScale: T;
  dOffset: T;
}

function broadcastSums(tf: Tf, dy: T, x: T, mean: T, r: T, scaleR: T): Sums {
  const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
  const reduce = (t: T) => (axes.length > 0 ? tf.sum(t, axes) : t);
  return {
    dx: () => tf.reshape(tf.mul(dy, scaleR), x.shape),
    dScale: tf.mul(reduce(tf.mul(dy, tf.sub(x, mean))), r),
    dOffset: reduce(dy),
  };
}

function nativeSums(tf: Tf, dy: T, x: T, mean: T, variance: T, scale: T, varianceEpsilon: number): Sums {
  const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x, scale, mean, variance }, { varianceEpsilon }) as T[];
  return { dx: () => dx!, dScale: dScale!, dOffset: dOffset! };
}
