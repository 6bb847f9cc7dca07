// Runs in the aggregator (plain Node): FedAvg's arithmetic: arrays and metrics averaged, weighted by each node's number of examples.
import { checkWeights, WeightMismatchError, type CheckedWeights, type NamedArray } from '../../engine/weights.js';

export type MetricValue = number | number[];
export type Metrics = Record<string, MetricValue>;

/** One node's contribution; `numExamples` is positive and finite (replies without one are refused before this). */
export interface Weighted {
  numExamples: number;
}

/**
 * A reply's arrays in the global model's order, checked once (the same names, order free as an ArrayRecord is a
 * mapping; the same shapes; only finite values), or why they cannot be averaged into it.
 */
export function fitReplyArrays(global: readonly NamedArray[], arrays: readonly NamedArray[]): CheckedWeights | string {
  const byName = new Map(arrays.map((array) => [array.name, array]));
  if (byName.size !== arrays.length) return 'two arrays share a name';
  const unexpected = arrays.find((array) => !global.some((g) => g.name === array.name));
  if (unexpected) return `array "${unexpected.name}" is not in the global model (its arrays are ${global.map((g) => g.name).join(', ')})`;
  const missing = global.find((expected) => !byName.has(expected.name));
  if (missing) return `array "${missing.name}" is missing`;
  try {
    return checkWeights(
      global.map((expected) => byName.get(expected.name)!),
      global,
    );
  } catch (error) {
    if (!(error instanceof WeightMismatchError) || error.index === undefined) throw error;
    return `array "${global[error.index]!.name}": ${error.problem}`;
  }
}

/**
 * The weighted mean of each array, in the global model's order and names. Sums are kept in float64 so that many
 * nodes or large example counts lose no precision before the one rounding to float32 at the end.
 */
export function federatedAverage(global: readonly NamedArray[], results: readonly (Weighted & { arrays: CheckedWeights })[]): NamedArray[] {
  if (results.length === 0) throw new Error('federatedAverage: no results to average');
  const total = totalExamples(results);
  const lookups = results.map((result) => new Map(result.arrays.map((array) => [array.name, array.data])));
  return global.map(({ name, shape }, index) => {
    const size = global[index]!.data.length;
    const sum = new Float64Array(size);
    for (let r = 0; r < results.length; r++) {
      const weight = results[r]!.numExamples;
      const data = lookups[r]!.get(name)!;
      for (let i = 0; i < size; i++) sum[i]! += weight * data[i]!;
    }
    const mean = new Float32Array(size);
    for (let i = 0; i < size; i++) mean[i] = sum[i]! / total;
    return { name, shape: [...shape], dtype: 'float32', data: mean };
  });
}

/**
 * Each metric's mean weighted by num-examples over the nodes that report it (Flower requires all nodes to report
 * the same keys; averaging over those that do keeps one odd node from hiding everyone's metrics). Lists average
 * element by element; a list whose length differs from the first one seen is left out. The weighting key itself is not averaged.
 */
export function weightedMetrics(results: readonly (Weighted & { metrics: Metrics })[], weightKey = 'num-examples'): Metrics {
  const sums = new Map<string, { sum: number[]; weight: number; list: boolean }>();
  for (const { numExamples, metrics } of results) {
    for (const [key, value] of Object.entries(metrics)) {
      if (key === weightKey) continue;
      const values = Array.isArray(value) ? value : [value];
      const entry = sums.get(key) ?? { sum: new Array<number>(values.length).fill(0), weight: 0, list: Array.isArray(value) };
      if (entry.list !== Array.isArray(value) || entry.sum.length !== values.length) continue;
      values.forEach((v, i) => (entry.sum[i]! += numExamples * v));
      entry.weight += numExamples;
      sums.set(key, entry);
    }
  }
  return Object.fromEntries(
    [...sums].map(([key, { sum, weight, list }]) => {
      const mean = sum.map((s) => s / weight);
      return [key, list ? mean : mean[0]!];
    }),
  );
}

export function totalExamples(results: readonly Weighted[]): number {
  return results.reduce((sum, result) => sum + result.numExamples, 0);
}
