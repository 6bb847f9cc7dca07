// Test helper (plain Node): scripted node behaviours: honest training with a known update, and the ways a reply goes wrong.
import {
  arrayRecord,
  metricRecord,
  type AnyRecord,
  type ArrayRecord,
  type RecordDict,
} from '../../../../main/federation/wire/records/model.js';
import type { AnyNdArray } from '../../../../main/federation/wire/npy/dtypes.js';
import type { Behaviour } from './fake-node.js';

function receivedArrays(content: RecordDict | undefined): ArrayRecord {
  const record = content?.get('arrays');
  if (record?.kind !== 'arrays') throw new Error('the message has no "arrays" ArrayRecord');
  return record;
}

/** Every received array plus `delta`; "train" reports num-examples and train_loss, "evaluate" eval_loss and eval_acc. */
export function honest(delta: number, numExamples: number, change: (value: number) => number = (v) => v + delta): Behaviour {
  return async (message) => {
    const count = BigInt(numExamples);
    if (message.metadata.messageType === 'evaluate') {
      return new Map([['metrics', metricRecord({ 'num-examples': count, eval_loss: delta, eval_acc: delta / 10 })]]);
    }
    const arrays = [...receivedArrays(message.content).items].map(([name, array]): [string, AnyNdArray] => [
      name,
      { dtype: 'float32', shape: array.shape, data: (array.data as Float32Array).map(change) },
    ]);
    return new Map<string, AnyRecord>([
      ['arrays', arrayRecord(arrays)],
      ['metrics', metricRecord({ 'num-examples': count, train_loss: delta })],
    ]);
  };
}

/** Trains honestly except that one value of its update is NaN. */
export const nanWeights: Behaviour = honest(1, 10, () => Number.NaN);

/** Replies to "train" with arrays but no num-examples. */
export const noNumExamples: Behaviour = async (message) =>
  new Map<string, AnyRecord>([
    ['arrays', receivedArrays(message.content)],
    ['metrics', metricRecord({ train_loss: 1 })],
  ]);

/** Declines the work with an error reply, as a paused party does. */
export const declines: Behaviour = async () => ({ code: 2n, reason: 'paused by the operator' });

export const silent: Behaviour = async () => 'silent';
export const unregisters: Behaviour = async () => 'unregister';
