// Runs where training runs (plain Node): a model's weights as named float32 arrays in Keras get_weights() order, checked on the way in.
import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';

/** One weight as it crosses the wire. `name` is the layer-scoped name (`conv2d/kernel`), the same at every party. */
export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32';
  data: Float32Array;
}

/** Arrays that do not fit the model; `index` is the 0-based position of the first bad weight, absent for a wrong count. */
export class WeightMismatchError extends Error {
  override readonly name = 'WeightMismatchError';
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
  }
}

/** Copies of the model's weights in model.weights order (trainable, then non-trainable), which is Keras's get_weights() order. */
export function getWeights(model: LayersModel): NamedArray[] {
  return model.weights.map((variable, index) => {
    const value = variable.read();
    if (value.dtype !== 'float32') throw new WeightMismatchError(`weight ${index} ${variable.originalName}: is ${value.dtype}; only float32 weights are exchanged`, index);
    // A copy: the cpu backend hands out the variable's own array, which the next training step overwrites.
    return { name: variable.originalName, shape: [...value.shape], dtype: 'float32', data: new Float32Array(value.dataSync()) };
  });
}

/** Sets every weight at once, after checking count, names, shapes, dtypes and values; on any mismatch nothing is changed. */
export function setWeights(model: LayersModel, arrays: readonly NamedArray[]): void {
  const variables = model.weights;
  if (arrays.length !== variables.length) {
    const names = variables.length ? ` (${variables[0]!.originalName} … ${variables.at(-1)!.originalName})` : '';
    throw new WeightMismatchError(`expected ${variables.length} weight arrays${names}, got ${arrays.length}`);
  }
  variables.forEach((variable, index) => checkArray(index, variable.originalName, variable.read().shape, arrays[index]!));
  // The data is copied in: the cpu backend would otherwise keep the caller's array as the weight itself.
  tf.tidy(() => model.setWeights(arrays.map((array) => tf.tensor(array.data.slice(), array.shape, 'float32'))));
}

function checkArray(index: number, name: string, shape: readonly number[], array: NamedArray): void {
  const fail = (problem: string) => new WeightMismatchError(`weight ${index} ${name}: ${problem}`, index);
  if (array.name !== name) throw new WeightMismatchError(`weight ${index}: expected ${name}, got ${array.name}`, index);
  if (!sameShape(array.shape, shape)) throw fail(`expected shape [${shape.join(', ')}], got [${array.shape?.join(', ')}]`);
  if (array.dtype !== 'float32') throw fail(`expected dtype float32, got ${array.dtype}`);
  const data: unknown = array.data;
  if (!(data instanceof Float32Array)) throw fail(`expected its data as a Float32Array, got ${(data as object | undefined)?.constructor?.name ?? typeof data}`);
  const size = shape.reduce((product, d) => product * d, 1);
  if (data.length !== size) throw fail(`shape [${shape.join(', ')}] holds ${size} values, got ${data.length}`);
  const bad = data.findIndex((value) => !Number.isFinite(value));
  if (bad !== -1) throw fail(`value ${bad} is ${data[bad]}; weights must be finite`);
}

function sameShape(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((d, i) => d === b[i]);
}
