// Runs anywhere: model weights (the engine's NamedArray, Keras get_weights() order) to and from an ArrayRecord.
import type { NamedArray } from '../../../engine/weights.js';
import { WireError } from '../errors.js';
import { arrayRecord, type ArrayRecord } from './model.js';

/** One array per weight, named as the weight and in the same order (an ArrayRecord keeps insertion order). */
export function arrayRecordFromWeights(weights: readonly NamedArray[]): ArrayRecord {
  const record = arrayRecord(weights.map((weight) => [weight.name, { dtype: 'float32', shape: [...weight.shape], data: weight.data }]));
  if (record.items.size !== weights.length) throw new WireError('weights: two weights share a name; an ArrayRecord needs unique names');
  return record;
}

/**
 * The record's arrays in its order, each named by its key. Flower's ServerApps often name arrays "0", "1", … (an
 * ArrayRecord made from a list): match them to a model by position. Only float32 arrays are weights.
 */
export function weightsFromArrayRecord(record: ArrayRecord): NamedArray[] {
  return [...record.items].map(([name, array]) => {
    if (array.dtype !== 'float32') throw new WireError(`array ${JSON.stringify(name)}: dtype ${array.dtype}; weights must be float32`);
    return { name, shape: [...array.shape], dtype: 'float32', data: array.data };
  });
}
