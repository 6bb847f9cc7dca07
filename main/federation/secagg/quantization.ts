// Runs anywhere: Flower's SecAgg+ quantisation (clip, shift, scale, stochastic rounding) and its dequantisation.
import type { IntVector } from './modular.js';

/** The weights as the party trained them; float32 is computed in float32 steps, as numpy does. */
export interface FloatVector {
  shape: number[];
  data: Float32Array | Float64Array;
}

/** Uniform numbers in [0, 1) for stochastic rounding (numpy's global np.random.rand in Flower). */
export type Uniform = () => number;

/**
 * Flower's quantize(parameters * dq_ratio): each value scaled by `factor`, clipped to +-clippingRange, shifted to
 * [0, 2 clippingRange], scaled to [0, targetRange] and rounded up, then down again with probability (ceil - x), so
 * the expected value is x. One uniform draw per element in C order.
 */
export function quantize(vector: FloatVector, factor: number, clippingRange: number, targetRange: number, uniform: Uniform): IntVector {
  // numpy keeps float32 arrays in float32 when a Python float joins in: round each step the same way.
  const round = vector.data instanceof Float32Array ? Math.fround : (value: number) => value;
  const [scale, clip, quantizer] = [round(factor), round(clippingRange), round(targetRange / (2 * clippingRange))];
  const data = new Float64Array(vector.data.length);
  for (let i = 0; i < data.length; i++) {
    const scaled = round(vector.data[i]! * scale);
    const clipped = Math.min(Math.max(scaled, -clip), clip);
    const x = round(round(clipped + clip) * quantizer);
    const up = Math.ceil(x);
    data[i] = uniform() < up - x ? up - 1 : up;
  }
  return { shape: [...vector.shape], data };
}

/** Flower's dequantize: integers in [0, targetRange] back to [-clippingRange, clippingRange], in float64. */
export function dequantize(vector: IntVector, clippingRange: number, targetRange: number): Float64Array {
  const quantizer = (2 * clippingRange) / targetRange;
  return vector.data.map((value) => value * quantizer - clippingRange);
}
