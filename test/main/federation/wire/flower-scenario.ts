// Tests (Node): the messages whose ids Flower 1.29's own record classes computed (fixtures/flower-ids.json).
import { arrayRecord, configRecord, metricRecord, recordDict, type OutgoingMessage } from '../../../../main/federation/wire/index.js';

/**
 * The Python side built the same content with numpy arrays, ArrayRecord, MetricRecord, ConfigRecord, RecordDict
 * and Message(metadata=...), then read `object_id`, `get_object_tree` and `get_all_nested_objects` (run outside
 * this repository against the framework-1.29.0 tag). Every value here is chosen to exercise one rule.
 */
export const scenarioMetadata = {
  runId: 12345678901234567890n, // above 2^63: uint64 all the way
  srcNodeId: 9876543210987654321n,
  dstNodeId: 1n,
  replyToMessageId: 'ab'.repeat(32),
  groupId: '3',
  ttl: 43190.5,
  messageType: 'train',
  createdAt: 1767225600.25,
};

const f32 = (values: number[], shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(values) });

export function trainMessage(): OutgoingMessage {
  const arrays = arrayRecord([
    [
      'conv2d/kernel',
      f32(
        Array.from({ length: 18 }, (_, i) => i * 0.5),
        [3, 3, 1, 2],
      ),
    ],
    ['dense/bias', f32(new Array<number>(10).fill(0), [10])],
    ['größe', { dtype: 'float64', shape: [], data: new Float64Array([3.5]) }], // non-ASCII key, 0-d array
    ['ints', { dtype: 'int64', shape: [2, 2], data: new BigInt64Array([-1n, 2n, 3n, 2n ** 40n]) }],
    ['i32', { dtype: 'int32', shape: [3], data: new Int32Array([7, -8, 9]) }],
    ['bytes', { dtype: 'uint8', shape: [4], data: new Uint8Array([0, 1, 254, 255]) }],
    ['mask', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['empty', f32([], [0, 3])],
    ['10', f32([1, 1], [2])], // an integer-like name must keep its place
    ['bias-again', f32(new Array<number>(10).fill(0), [10])], // same Array object as dense/bias: one child
    ['big', { dtype: 'float32', shape: [4_000_000], data: new Float32Array(4_000_000) }], // 4 chunks, two identical
  ]);
  const metrics = metricRecord([
    ['num-examples', 600n],
    ['train_loss', 0.25],
    ['losses', [0.5, 0.25]],
    ['counts', [1n, -2n]],
    ['big', 2n ** 63n + 5n], // uint64
    ['ulist', [2n ** 64n - 1n, 1n]], // uint list
    ['empty', []], // a double list in a MetricRecord
    ['zero', 0], // a oneof keeps its zero
  ]);
  const config = configRecord([
    ['server-round', 3n],
    ['lr', 0.01],
    ['flag', true],
    ['name', 'naïve ✓ 😀 "q"\n'],
    ['blob', new Uint8Array([1, 2, 3])],
    ['strs', ['a', 'b']],
    ['bools', [true, false]],
    ['blobs', [new TextEncoder().encode('x'), new Uint8Array(0)]],
    ['empty', []], // a bool list in a ConfigRecord
    ['neg', -7n],
    ['ints', [1n, 2n, 3n]],
  ]);
  const content = recordDict({ arrays, metrics, config, ключ: metricRecord({ a: 1 }) });
  return { metadata: scenarioMetadata, content };
}

export function emptyMessage(): OutgoingMessage {
  return { metadata: scenarioMetadata, content: recordDict([]) };
}

export function errorMessage(): OutgoingMessage {
  return { metadata: scenarioMetadata, error: { code: 3n, reason: 'paused by the site' } };
}
