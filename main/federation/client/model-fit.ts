// Runs in the party (plain Node): checks that the arrays a server sent fit this site's model before any reaches the training thread.
import type { NamedArray } from '../../engine/weights.js';
import type { NamedNdArray } from './task.js';

/** One of the model's weights, as the model has it: its name and shape in Keras get_weights() order. */
export interface WeightSlot {
  name: string;
  shape: number[];
}

/** The server's arrays do not fit the model; the message names the array and what is wrong with it. */
export class ModelMismatchError extends Error {
  override readonly name = 'ModelMismatchError';
}

/**
 * The arrays as the model's weights, in its order. Names must be the model's own (Tributary, Keras layer names) or
 * "0", "1", ... in order (Flower's ArrayRecord made from a list of ndarrays, e.g. Keras get_weights()); shapes must
 * match exactly, the dtype must be float32 and every value finite. Nothing is converted, nothing is guessed.
 */
export function fitToModel(arrays: readonly NamedNdArray[], slots: readonly WeightSlot[], record: string): NamedArray[] {
  if (arrays.length !== slots.length) {
    const span = slots.length ? ` (${slots[0]!.name} … ${slots.at(-1)!.name})` : '';
    throw new ModelMismatchError(`ArrayRecord "${record}": the model has ${slots.length} weight arrays${span}, the message has ${arrays.length}`);
  }
  const positional = arrays.every(({ name }, index) => name === String(index));
  return arrays.map((array, index) => fitOne(array, slots[index]!, index, positional, record));
}

function fitOne({ name, array }: NamedNdArray, slot: WeightSlot, index: number, positional: boolean, record: string): NamedArray {
  const fail = (problem: string) => new ModelMismatchError(`ArrayRecord "${record}", array "${name}" (weight ${index}, ${slot.name}): ${problem}`);
  if (!positional && name !== slot.name) {
    throw new ModelMismatchError(`ArrayRecord "${record}": weight ${index} of the model is "${slot.name}", the message has "${name}" there`);
  }
  if (!sameShape(array.shape, slot.shape)) throw fail(`shape [${array.shape.join(', ')}] does not match the model's [${slot.shape.join(', ')}]`);
  if (array.dtype !== 'float32') throw fail(`dtype ${array.dtype}, but the model's weights are float32`);
  const bad = array.data.findIndex((value) => !Number.isFinite(value));
  if (bad !== -1) throw fail(`value ${bad} is ${array.data[bad]}; weights must be finite`);
  return { name: slot.name, shape: [...slot.shape], dtype: 'float32', data: array.data };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
