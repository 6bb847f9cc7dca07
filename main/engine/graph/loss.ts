// Runs in the training thread on the tensorflow backend: tfjs-layers' categorical cross-entropy and accuracy as graph ops, with the loss's gradient.
import { DT_FLOAT, DT_INT32, FLOAT, attr } from './graph-builder.js';
import type { GraphBuilder } from './graph-builder.js';
import { UnsupportedLayer } from './emitter.js';
import { cast, div, mul, reduce, sub, unary } from './ops.js';

/** The step's loss (a scalar), its gradient with respect to the model's output, and the batch's accuracy (null without the metric). */
export interface LossOps {
  loss: string;
  dOutput: string;
  accuracy: string | null;
}

/** tfjs-layers' epsilon() on float32 backends: the clip of the probabilities inside the cross-entropy. */
const EPSILON = 1e-7;

/**
 * tfjs-layers' categoricalCrossentropy on a probability output p and one-hot targets t, averaged over the batch:
 * q = p / sum(p), loss = mean(-sum(t log(clip(q, eps, 1 - eps)))). Its gradient is what tfjs's autodiff takes through
 * those same ops (clip passes the gradient where eps <= q <= 1 - eps; the division's gradient reaches p twice), so the
 * step matches the eager one, not just the textbook (p - t) / n.
 */
export function lossOps(g: GraphBuilder, loss: string, withAccuracy: boolean, p: string, t: string): LossOps {
  if (loss !== 'categoricalCrossentropy') throw new UnsupportedLayer(`loss ${loss}`);
  const sum = reduce(g, 'Sum', p, -1, true);
  const q = div(g, p, sum);
  const clipped = g.op('ClipByValue', [q, g.float(EPSILON), g.float(1 - EPSILON)], { T: FLOAT });
  const perSample = unary(g, 'Neg', reduce(g, 'Sum', mul(g, t, unary(g, 'Log', clipped)), -1));
  const invN = unary(g, 'Reciprocal', cast(g, g.op('Size', [perSample], { T: FLOAT, out_type: attr.type(DT_INT32) }), DT_INT32, DT_FLOAT));
  // d/dq: -t / (n clipped), where the clip passed q through.
  const dClipped = div(g, mul(g, unary(g, 'Neg', t), invN), clipped);
  const inside = g.op('LogicalAnd', [
    g.op('GreaterEqual', [q, g.float(EPSILON)], { T: FLOAT }),
    g.op('LessEqual', [q, g.float(1 - EPSILON)], { T: FLOAT }),
  ]);
  const dq = g.op('SelectV2', [inside, dClipped, g.float(0)], { T: FLOAT });
  // q = p / sum: dp = dq / sum - sum(dq p) / sum^2, the second term broadcast over the classes.
  const dOutput = sub(g, div(g, dq, sum), div(g, reduce(g, 'Sum', mul(g, dq, p), -1, true), unary(g, 'Square', sum)));
  return {
    loss: reduce(g, 'Mean', perSample, 0),
    dOutput,
    accuracy: withAccuracy ? accuracy(g, p, t) : null,
  };
}

/** categoricalAccuracy: the batch's share of rows whose largest prediction is the target's class. */
function accuracy(g: GraphBuilder, p: string, t: string): string {
  const argMax = (x: string) => g.op('ArgMax', [x, g.int(-1)], { T: FLOAT, Tidx: attr.type(DT_INT32), output_type: attr.type(DT_INT32) });
  const equal = g.op('Equal', [argMax(t), argMax(p)], { T: attr.type(DT_INT32), incompatible_shape_error: attr.bool(true) });
  return reduce(g, 'Mean', cast(g, equal, 10, DT_FLOAT), 0);
}
