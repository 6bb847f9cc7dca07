// Runs in the party (plain Node): checks, once, that the arrays a server sent fit this site's model, before any reaches the training thread.
import { checkWeights, WeightMismatchError, type CheckedWeights, type NamedArray, type WeightSlot } from '../../engine/weights.js';
import type { NamedNdArray } from './task.js';

/** The server's arrays do not fit the model; the message names the array and what is wrong with it. */
export class ModelMismatchError extends Error {
  override readonly name = 'ModelMismatchError';
}

/**
 * The arrays as the model's weights, in its order, checked here and nowhere after. Names must be the model's own
 * (Tributary, Keras layer names) or "0", "1", ... in order (Flower's ArrayRecord made from a list of ndarrays, e.g.
 * Keras get_weights()); shapes must match exactly, the dtype must be float32 and every value finite. Nothing is
 * converted, nothing is guessed.
 */
export function fitToModel(arrays: readonly NamedNdArray[], slots: readonly WeightSlot[], record: string): CheckedWeights {
  if (arrays.length !== slots.length) {
    const span = slots.length ? ` (${slots[0]!.name} … ${slots.at(-1)!.name})` : '';
    throw new ModelMismatchError(
      `ArrayRecord "${record}": the model has ${slots.length} weight arrays${span}, the message has ${arrays.length}`,
    );
  }
  const positional = arrays.every(({ name }, index) => name === String(index));
  const weights = arrays.map((array, index) => asWeight(array, slots[index]!, index, positional, record));
  try {
    return checkWeights(weights, slots);
  } catch (error) {
    if (!(error instanceof WeightMismatchError) || error.index === undefined) throw error;
    const index = error.index;
    throw new ModelMismatchError(
      `ArrayRecord "${record}", array "${arrays[index]!.name}" (weight ${index}, ${slots[index]!.name}): ${error.problem}`,
    );
  }
}

/** The array under the model's name for its place, once its name and dtype say it can be that weight. */
function asWeight({ name, array }: NamedNdArray, slot: WeightSlot, index: number, positional: boolean, record: string): NamedArray {
  if (!positional && name !== slot.name) {
    throw new ModelMismatchError(
      `ArrayRecord "${record}": weight ${index} of the model is "${slot.name}", the message has "${name}" there`,
    );
  }
  if (array.dtype !== 'float32') {
    const which = `ArrayRecord "${record}", array "${name}" (weight ${index}, ${slot.name})`;
    throw new ModelMismatchError(`${which}: dtype ${array.dtype}, but the model's weights are float32`);
  }
  return { name: slot.name, shape: array.shape, dtype: 'float32', data: array.data };
}
