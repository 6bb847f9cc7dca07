// Runs anywhere: integer vectors mod mod_range, Flower's ndarrays_arithmetic for SecAgg+, kept exact in float64.
// Flower adds int64 masks and takes the result mod mod_range at the end; here every step stays in [0, mod_range),
// which gives the same residues while each value stays an exact integer (mod_range is at most 2^52).
import type { NdArray } from '../wire/index.js';

/** A C-order array of integers in [0, mod_range) (or plain non-negative integers before reduction). */
export interface IntVector {
  shape: number[];
  data: Float64Array;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Reduces every element into [0, modRange) (Flower's parameters_mod). */
export function reduceMod(vector: IntVector, modRange: number): IntVector {
  const data = vector.data.map((value) => ((value % modRange) + modRange) % modRange);
  return { shape: [...vector.shape], data };
}

/** target += addend (mod modRange), element by element, for two reduced vectors of one shape. */
export function addInPlace(target: IntVector, addend: IntVector, modRange: number): void {
  const [a, b] = [target.data, addend.data];
  for (let i = 0; i < a.length; i++) {
    const sum = a[i]! + b[i]!;
    a[i] = sum >= modRange ? sum - modRange : sum;
  }
}

/** target -= subtrahend (mod modRange), element by element, for two reduced vectors of one shape. */
export function subtractInPlace(target: IntVector, subtrahend: IntVector, modRange: number): void {
  const [a, b] = [target.data, subtrahend.data];
  for (let i = 0; i < a.length; i++) {
    const difference = a[i]! - b[i]!;
    a[i] = difference < 0 ? difference + modRange : difference;
  }
}

/** The vector as numpy int64, the dtype Flower's masked parameters travel in. */
export function toInt64(vector: IntVector): NdArray<'int64'> {
  return { dtype: 'int64', shape: [...vector.shape], data: BigInt64Array.from(vector.data, (value) => BigInt(value)) };
}

/** An int64 array back to an IntVector; values outside float64's exact range are refused by the caller's bounds. */
export function fromInt64(array: NdArray<'int64'>): IntVector {
  return { shape: [...array.shape], data: Float64Array.from(array.data, (value) => Number(value)) };
}
