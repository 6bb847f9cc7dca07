// Tests (Node): record values take the protobuf field Flower would pick, weights keep their order, replies get Flower's metadata.
import { describe, expect, it } from 'vitest';
import type { NamedArray } from '../../../../main/engine/weights.js';
import {
  WireError,
  arrayRecord,
  arrayRecordFromWeights,
  replyMetadata,
  weightsFromArrayRecord,
  type ConfigValue,
  type Metadata,
  type MetricValue,
} from '../../../../main/federation/wire/index.js';
import { configValueToProto, metricValueToProto, valueFromProto } from '../../../../main/federation/wire/records/values.js';

describe('record values', () => {
  it.each([
    ['a number as a double', 0.5, { double: 0.5 }],
    ['a bigint as sint64', -3n, { sint64: -3n }],
    ['a bigint past 2^63 - 1 as uint64', 2n ** 63n, { uint64: 2n ** 63n }],
    ['a boolean', true, { bool: true }],
    ['a string', 'sgd', { string: 'sgd' }],
    ['bytes', new Uint8Array([1]), { bytes: new Uint8Array([1]) }],
    ['a number list', [1, 2.5], { doubleList: { vals: [1, 2.5] } }],
    ['a bigint list', [1n, -1n], { sintList: { vals: [1n, -1n] } }],
    ['a bigint list reaching past 2^63 - 1', [1n, 2n ** 64n - 1n], { uintList: { vals: [1n, 2n ** 64n - 1n] } }],
    ['a string list', ['a'], { stringList: { vals: ['a'] } }],
    ['an empty config list, as Flower (a bool list)', [], { boolList: { vals: [] } }],
  ] as [string, ConfigValue, unknown][])('config: %s', (_case, value, proto) => {
    expect(configValueToProto(value, 'k')).toEqual(proto);
    expect(valueFromProto(configValueToProto(value, 'k'))).toEqual(value);
  });

  it('metrics: an empty list is a double list, and only numbers and bigints are metrics', () => {
    expect(metricValueToProto([], 'k')).toEqual({ doubleList: { vals: [] } });
    expect(metricValueToProto(600n, 'num-examples')).toEqual({ sint64: 600n });
    expect(() => metricValueToProto('x' as unknown as MetricValue, 'k')).toThrow(
      /metric "k": a metric is a number, a bigint or a list of one of them, got "x"/,
    );
    expect(() => metricValueToProto([true] as unknown as MetricValue, 'k')).toThrow(WireError);
  });

  it.each([
    ['a mixed list', [1, 1n], /record key "k": list items must share one type; item 1 is bigint 1, item 0 is number 1/],
    ['a bigint past 64 bits', 2n ** 64n, /record key "k": 18446744073709551616 does not fit in 64 bits/],
    ['a list mixing negatives with uint64', [-1n, 2n ** 63n], /a list mixing negative integers and integers above 2\^63 - 1 cannot travel/],
    ['an object', { a: 1 }, /record key "k": a Object is not a record value/],
    ['undefined', undefined, /record key "k": undefined undefined is not a record value/],
  ])('config: refuses %s, naming the key', (_case, value, message) => {
    expect(() => configValueToProto(value as ConfigValue, 'k')).toThrow(message);
  });
});

describe('weights', () => {
  const weights: NamedArray[] = [
    { name: 'dense/kernel', shape: [2, 1], dtype: 'float32', data: new Float32Array([1, 2]) },
    { name: 'dense/bias', shape: [1], dtype: 'float32', data: new Float32Array([3]) },
  ];

  it('cross as an ArrayRecord in get_weights() order and come back as they went', () => {
    const record = arrayRecordFromWeights(weights);
    expect([...record.items.keys()]).toEqual(['dense/kernel', 'dense/bias']);
    expect(weightsFromArrayRecord(record)).toEqual(weights);
  });

  it('refuse two weights with one name, and arrays that are not float32', () => {
    expect(() => arrayRecordFromWeights([weights[0]!, weights[0]!])).toThrow(/two weights share a name/);
    const ints = arrayRecord([['0', { dtype: 'int32', shape: [1], data: new Int32Array([1]) }]]);
    expect(() => weightsFromArrayRecord(ints)).toThrow(/^array "0": dtype int32; weights must be float32$/);
  });
});

describe('replyMetadata', () => {
  it("answers as Flower's Message(reply_to=...) does: back to the sender, living no longer than the instruction", () => {
    const incoming: Metadata = {
      runId: 2n ** 63n + 1n,
      messageId: 'm'.repeat(64),
      srcNodeId: 1n,
      dstNodeId: 2n ** 62n,
      replyToMessageId: '',
      groupId: '4',
      ttl: 600,
      messageType: 'train',
      createdAt: 1000,
    };
    expect(replyMetadata(incoming, 1100.5)).toEqual({
      runId: 2n ** 63n + 1n,
      srcNodeId: 2n ** 62n,
      dstNodeId: 1n,
      replyToMessageId: 'm'.repeat(64),
      groupId: '4',
      ttl: 499.5,
      messageType: 'train',
      createdAt: 1100.5,
    });
  });
});
