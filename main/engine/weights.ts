// Runs where training runs (plain Node): a model's weights as named float32 arrays in Keras get_weights() order, checked once on the way in.
import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';

/** One weight as it crosses the wire. `name` is the layer-scoped name (`conv2d/kernel`), the same at every party. */
export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32';
  data: Float32Array;
}

/** One of a model's weights as the model has it: its name and shape, in Keras get_weights() order. */
export interface WeightSlot {
  name: string;
  shape: readonly number[];
}

declare const checked: unique symbol;

/**
 * Weights checked once, where they came in (off the wire), against a model's slots: count, names, shapes, float32
 * data of the right length, every value finite. Only checkWeights makes them, so whatever takes CheckedWeights
 * (the training thread) need not look at a value again.
 */
export type CheckedWeights = readonly NamedArray[] & { readonly [checked]: true };

/** Arrays that do not fit the model; `index` is the 0-based position of the first bad weight, absent for a wrong count. */
export class WeightMismatchError extends Error {
  override readonly name = 'WeightMismatchError';
  constructor(
    message: string,
    readonly index?: number,
    /** What is wrong with that weight, without saying which (the message does). */
    readonly problem?: string,
  ) {
    super(message);
  }
}

/** The same dimensions in the same order. */
export function sameShape(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Copies of the model's weights in model.weights order (trainable, then non-trainable), which is Keras's get_weights() order. */
export function getWeights(model: LayersModel): NamedArray[] {
  return model.weights.map((variable, index) => {
    const value = variable.read();
    if (value.dtype !== 'float32')
      throw new WeightMismatchError(
        `weight ${index} ${variable.originalName}: is ${value.dtype}; only float32 weights are exchanged`,
        index,
      );
    // A copy: the cpu backend hands out the variable's own array, which the next training step overwrites.
    return { name: variable.originalName, shape: [...value.shape], dtype: 'float32', data: new Float32Array(value.dataSync()) };
  });
}

/** The arrays as weights for these slots, once every one is checked, values included; the first that does not fit is a WeightMismatchError. */
export function checkWeights(arrays: readonly NamedArray[], slots: readonly WeightSlot[]): CheckedWeights {
  checkStructure(arrays, slots);
  arrays.forEach((array, index) => {
    const bad = array.data.findIndex((value) => !Number.isFinite(value));
    if (bad !== -1) throw mismatch(index, slots[index]!.name, `value ${bad} is ${array.data[bad]}; weights must be finite`);
  });
  return arrays as CheckedWeights;
}

/**
 * Sets every weight at once, after checking count, names, shapes and dtypes against the model (their values were
 * checked where they came in: see CheckedWeights); on any mismatch nothing is changed.
 */
export function setWeights(model: LayersModel, weights: CheckedWeights): void {
  checkStructure(
    weights,
    model.weights.map((variable) => ({ name: variable.originalName, shape: variable.read().shape })),
  );
  // The data is copied in: the cpu backend would otherwise keep the caller's array as the weight itself.
  tf.tidy(() => model.setWeights(weights.map((array) => tf.tensor(array.data.slice(), array.shape, 'float32'))));
}

function checkStructure(arrays: readonly NamedArray[], slots: readonly WeightSlot[]): void {
  if (arrays.length !== slots.length) {
    const names = slots.length ? ` (${slots[0]!.name} … ${slots.at(-1)!.name})` : '';
    throw new WeightMismatchError(`expected ${slots.length} weight arrays${names}, got ${arrays.length}`);
  }
  slots.forEach((slot, index) => checkArray(index, slot, arrays[index]!));
}

function checkArray(index: number, { name, shape }: WeightSlot, array: NamedArray): void {
  if (array.name !== name) throw new WeightMismatchError(`weight ${index}: expected ${name}, got ${array.name}`, index);
  const fail = (problem: string) => mismatch(index, name, problem);
  if (!sameShape(array.shape, shape)) throw fail(`shape [${array.shape?.join(', ')}] does not match the model's [${shape.join(', ')}]`);
  if (array.dtype !== 'float32') throw fail(`dtype ${array.dtype}, but the model's weights are float32`);
  const data: unknown = array.data;
  if (!(data instanceof Float32Array))
    throw fail(`expected its data as a Float32Array, got ${(data as object | undefined)?.constructor?.name ?? typeof data}`);
  const size = shape.reduce((product, d) => product * d, 1);
  if (data.length !== size) throw fail(`shape [${shape.join(', ')}] holds ${size} values, got ${data.length}`);
}

function mismatch(index: number, name: string, problem: string): WeightMismatchError {
  return new WeightMismatchError(`weight ${index} ${name}: ${problem}`, index, problem);
}
