// Runs in the aggregator (plain Node): how large a SecAgg+ reply for a given model can be, so larger ones are refused unread.
import { elementCount } from '../wire/npy/dtypes.js';
import { formatNpyHeader } from '../wire/npy/header.js';
import { MAX_SETTING_BYTES, MAX_STRUCTURE_OBJECT_BYTES, messageLimits, type MessageLimits } from '../wire/limits.js';

/** A list item's protobuf framing (tag and length) and the record's own keys ("stage", "masked_params") and object header. */
const ITEM_FRAMING_BYTES = 16;
const RECORD_OVERHEAD_BYTES = 1024;
/** The reply's other records (fitres.metrics, .num_examples, .status, an empty fitres.parameters) and its Message and RecordDict. */
const OTHER_RECORDS_BYTES = 4 * 1024 * 1024;

/**
 * SecAgg+'s collect_masked_vectors reply carries the update as int64 .npy files inside one ConfigRecord (Flower's
 * `masked_params`: the weight ratio [1], then one per weight array), past the 64 KiB a config value and the 1 MiB a
 * ConfigRecord may otherwise have. These limits allow exactly that for this model's shapes, and no more; the
 * other stages' replies (keys, shares, node ids) fit well within them.
 */
export function secAggReplyLimits(shapes: readonly (readonly number[])[]): MessageLimits {
  const plain = messageLimits(shapes);
  const npyBytes = [[1], ...shapes].map((shape) => formatNpyHeader('<i8', shape).length + 8 * elementCount(shape));
  const record = npyBytes.reduce((sum, bytes) => sum + bytes + ITEM_FRAMING_BYTES, RECORD_OVERHEAD_BYTES);
  return {
    bytes: record + OTHER_RECORDS_BYTES,
    objects: plain.objects,
    objectBytes: Math.max(plain.objectBytes, record),
    structureObjectBytes: Math.max(MAX_STRUCTURE_OBJECT_BYTES, record),
    settingBytes: Math.max(MAX_SETTING_BYTES, ...npyBytes),
  };
}

/** What the Fleet API must let through when rounds may be plain FedAvg or SecAgg+: the larger of each. */
export function widestLimits(a: MessageLimits, b: MessageLimits): MessageLimits {
  return {
    bytes: Math.max(a.bytes, b.bytes),
    objects: Math.max(a.objects, b.objects),
    objectBytes: Math.max(a.objectBytes, b.objectBytes),
  };
}
