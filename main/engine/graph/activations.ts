// Runs in the training thread on the tensorflow backend: activation functions as graph ops, with their gradients as TensorFlow's own ops.
import { FLOAT, attr } from './graph-builder.js';
import type { GraphBuilder } from './graph-builder.js';
import { UnsupportedLayer } from './emitter.js';

/** An activation's output and how to carry a gradient back through it. */
export interface Activated {
  y: string;
  back(dy: string): string;
}

const T = { T: FLOAT };

/**
 * The Keras activations tfjs layers name in their config. Each gradient is what tfjs's autodiff computes: ReluGrad is
 * dy * (y > 0), Relu6Grad dy * (0 < x < 6), SigmoidGrad dy * y * (1 - y), TanhGrad dy * (1 - y^2), and softmax's
 * dy * y - y * sum(dy * y) over the last axis, as tfjs-core writes it.
 */
export function activate(g: GraphBuilder, name: string, x: string): Activated {
  switch (name) {
    case 'linear':
      return { y: x, back: (dy) => dy };
    case 'relu': {
      const y = g.op('Relu', [x], T);
      return { y, back: (dy) => g.op('ReluGrad', [dy, y], T) };
    }
    case 'relu6': {
      const y = g.op('Relu6', [x], T);
      return { y, back: (dy) => g.op('Relu6Grad', [dy, x], T) };
    }
    case 'sigmoid': {
      const y = g.op('Sigmoid', [x], T);
      return { y, back: (dy) => g.op('SigmoidGrad', [y, dy], T) };
    }
    case 'tanh': {
      const y = g.op('Tanh', [x], T);
      return { y, back: (dy) => g.op('TanhGrad', [y, dy], T) };
    }
    case 'softmax': {
      const y = g.op('Softmax', [x], T);
      return { y, back: (dy) => softmaxBack(g, y, dy) };
    }
    default:
      throw new UnsupportedLayer(`activation ${JSON.stringify(name)}`);
  }
}

function softmaxBack(g: GraphBuilder, y: string, dy: string): string {
  const dyY = g.op('Mul', [dy, y], T);
  const sum = g.op('Sum', [dyY, g.int(-1)], { ...T, Tidx: attr.type(3), keep_dims: attr.bool(true) });
  return g.op('Sub', [dyY, g.op('Mul', [y, sum], T)], T);
}
