// Runs anywhere: integer vectors mod mod_range, Flower's ndarrays_arithmetic for SecAgg+, kept exact in float64.
// Flower adds int64 masks and takes the result mod mod_range at the end; here every step stays in [0, mod_range),
// which gives the same residues while each value stays an exact integer (mod_range is at most 2^52).
import type { NdArray } from '../wire/index.js';

/** A C-order array of integers in [0, mod_range) (or plain non-negative integers before reduction). */
export interface IntVector {
  shape: number[];
  data: Float64Array;
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

/**
 * The vector as numpy int64, the dtype Flower's masked parameters travel in. Written word by word (low, then high, as
 * the little-endian platforms Tributary runs on lay out an int64): a BigInt per element took 1.7 s for 5M values.
 */
export function toInt64(vector: IntVector): NdArray<'int64'> {
  const data = new BigInt64Array(vector.data.length);
  const words = new Uint32Array(data.buffer);
  const values = vector.data;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value)))
      throw new RangeError(`toInt64: element ${i} is ${value}, not a whole number in 0..2^53-1`);
    words[2 * i] = value % TWO_32;
    words[2 * i + 1] = Math.floor(value / TWO_32);
  }
  return { dtype: 'int64', shape: [...vector.shape], data };
}

const TWO_32 = 2 ** 32;
