// Runs in the training thread on the tensorflow backend: tfjs's Adam, SGD and RMSProp updates as graph ops, formula for formula.
import type * as tfjs from '@tensorflow/tfjs';
import type { GraphBuilder } from './graph-builder.js';
import { UnsupportedLayer } from './emitter.js';
import { add, div, mul, sub, unary } from './ops.js';

/** One per-weight state array of a tfjs optimizer: the field it keeps it in and the name suffix tfjs gives it. */
export interface Slot {
  field: string;
  suffix: string;
}

/** How a tfjs optimizer's step is emitted: its per-weight slots, its scalar state variables, and the update. */
export interface OptimizerPlan {
  slots: readonly Slot[];
  /** Fields holding scalar variables updated once a step (Adam's accBeta1, accBeta2). */
  scalars: readonly string[];
  /** The weight's and its slots' new values, given the learning rate tensor and the step's scalar state. */
  update(g: GraphBuilder, lr: string, weight: string, gradient: string, slots: readonly string[], scalars: readonly string[]): string[];
  /** The scalar state's new values. */
  step(g: GraphBuilder, scalars: readonly string[]): string[];
}

type Config = Record<string, number | boolean | null>;

/** The plan for a compiled model's optimizer, or UnsupportedLayer naming what is not covered. */
export function optimizerPlan(optimizer: tfjs.Optimizer): OptimizerPlan {
  const name = optimizer.getClassName();
  const c = optimizer.getConfig() as Config;
  const fields = optimizer as unknown as Config;
  if (name === 'Adam') return adam(c['beta1'] as number, c['beta2'] as number, c['epsilon'] as number);
  if (name === 'SGD') return sgd;
  if (name === 'RMSProp' && !fields['centered']) return rmsprop(c['decay'] as number, c['momentum'] as number, c['epsilon'] as number);
  throw new UnsupportedLayer(`optimizer ${name}${name === 'RMSProp' ? ' (centered)' : ''}`);
}

/** value += -lr * g. */
const sgd: OptimizerPlan = {
  slots: [],
  scalars: [],
  update: (g, lr, w, grad) => [add(g, mul(g, unary(g, 'Neg', lr), grad), w)],
  step: () => [],
};

/** tfjs's AdamOptimizer.applyGradients: bias correction by accBeta1 = beta1^t and accBeta2 = beta2^t, epsilon outside the root. */
function adam(beta1: number, beta2: number, epsilon: number): OptimizerPlan {
  return {
    slots: [
      { field: 'accumulatedFirstMoment', suffix: 'm' },
      { field: 'accumulatedSecondMoment', suffix: 'v' },
    ],
    scalars: ['accBeta1', 'accBeta2'],
    update: (g, lr, w, grad, [m, v], [accBeta1, accBeta2]) => {
      const m1 = add(g, mul(g, m!, g.float(beta1)), mul(g, grad, g.float(1 - beta1)));
      const v1 = add(g, mul(g, v!, g.float(beta2)), mul(g, unary(g, 'Square', grad), g.float(1 - beta2)));
      const mHat = div(g, m1, sub(g, g.float(1), accBeta1!));
      const vHat = div(g, v1, sub(g, g.float(1), accBeta2!));
      const stepSize = div(g, mHat, add(g, unary(g, 'Sqrt', vHat), g.float(epsilon)));
      return [add(g, mul(g, stepSize, unary(g, 'Neg', lr)), w), m1, v1];
    },
    step: (g, [accBeta1, accBeta2]) => [mul(g, accBeta1!, g.float(beta1)), mul(g, accBeta2!, g.float(beta2))],
  };
}

/** tfjs's RMSPropOptimizer, not centered: ms = ms * decay + g^2 (1 - decay); mom = mom * momentum + lr g / sqrt(ms + eps); value -= mom. */
function rmsprop(decay: number, momentum: number, epsilon: number): OptimizerPlan {
  return {
    slots: [
      { field: 'accumulatedMeanSquares', suffix: 'rms' },
      { field: 'accumulatedMoments', suffix: 'momentum' },
    ],
    scalars: [],
    update: (g, lr, w, grad, [ms, mom]) => {
      const ms1 = add(g, mul(g, ms!, g.float(decay)), mul(g, unary(g, 'Square', grad), g.float(1 - decay)));
      const scaled = div(g, mul(g, grad, lr), unary(g, 'Sqrt', add(g, ms1, g.float(epsilon))));
      const mom1 = add(g, mul(g, mom!, g.float(momentum)), scaled);
      return [sub(g, w, mom1), ms1, mom1];
    },
    step: () => [],
  };
}
