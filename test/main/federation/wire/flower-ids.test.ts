// Tests (Node): deflateMessage builds the very objects Flower 1.29 builds: same bytes, same ids, same trees, same order.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deflateMessage, fleetRpcs, parseObject, type DeflatedMessage } from '../../../../main/federation/wire/index.js';
import { emptyMessage, errorMessage, scenarioMetadata, trainMessage } from './flower-scenario.js';

const flower = JSON.parse(readFileSync(new URL('./fixtures/flower-ids.json', import.meta.url), 'utf8'));
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

const train = deflateMessage(trainMessage());

describe('ids match the ones Flower computed for the same messages', () => {
  it.each([
    ['train', train],
    ['empty', deflateMessage(emptyMessage())],
    ['error', deflateMessage(errorMessage())],
  ] as [string, DeflatedMessage][])('%s: message id, object tree and push order', (name, deflated) => {
    expect(deflated.messageId).toBe(flower[name].messageId);
    expect(deflated.tree).toEqual(flower[name].tree);
    expect([...deflated.objects.keys()]).toEqual(flower[name].objectOrder);
    for (const [id, bytes] of deflated.objects) expect(sha256(bytes)).toBe(id);
  });

  it('writes ConfigRecord and MetricRecord objects byte for byte, every value type included', () => {
    const records = [...train.objects.values()].filter((bytes) => bytes.length < 1000).map(hex);
    expect(records).toContain(flower.configObjectHex);
    expect(records).toContain(flower.metricsObjectHex);
  });

  it('writes the RecordDict and Array objects Flower writes (json.dumps spacing, ASCII escapes, insertion order)', () => {
    const byText = new Map([...train.objects.values()].map((bytes) => [latin1(bytes).split('\0')[0], latin1(bytes)]));
    expect(byText.get(flower.recordDictObject.split('\0')[0])).toBe(flower.recordDictObject);
    expect(flower.recordDictObject).toContain('"\\u043a\\u043b\\u044e\\u0447": "'); // "ключ", as Python's ensure_ascii writes it
    for (const object of Object.values(flower.arrayObjects) as string[]) expect(byText.get(object.split('\0')[0])).toBe(object);
  });
});

describe("the object format, derived by hand from Flower's Python", () => {
  it('Array: header "Array <chunk ids> <body length>", 0x00, json.dumps of dtype, shape, stype, arraychunk_ids', () => {
    const kernel = train.tree.children[0]!.children[0]!.children[0]!;
    const chunk = kernel.children[0]!.objectId;
    const body = '{"dtype": "float32", "shape": [3, 3, 1, 2], "stype": "numpy.ndarray", "arraychunk_ids": [0]}';
    const expected = `Array ${chunk} ${body.length}\0${body}`;
    expect(latin1(train.objects.get(kernel.objectId)!)).toBe(expected);
    expect(kernel.objectId).toBe(sha256(Buffer.from(expected, 'latin1')));
  });

  it('ArrayChunk: raw .npy bytes, 5 MiB each; identical chunks are one child, indexed twice', () => {
    const big = train.tree.children[0]!.children[0]!.children.at(-1)!;
    expect(big.children).toHaveLength(3); // 16,000,128 bytes: header+zeros, zeros, zeros (same id), a shorter tail
    const text = latin1(train.objects.get(big.objectId)!);
    expect(text).toMatch(/"shape": \[4000000\], "stype": "numpy.ndarray", "arraychunk_ids": \[0, 1, 1, 2\]}$/);
    const sizes = big.children.map((child) => parseObject(child.objectId, train.objects.get(child.objectId)!).body.length);
    expect(sizes).toEqual([5242880, 5242880, 16_000_128 - 3 * 5242880]);
  });

  it('Message: header with its one child, body = protobuf Message holding metadata without message_id', () => {
    const error = deflateMessage(errorMessage());
    const varint = (value: bigint) => {
      const out: number[] = [];
      for (; value > 127n; value >>= 7n) out.push(Number(value & 127n) | 128);
      return [...out, Number(value)];
    };
    const str = (field: number, text: string) => [(field << 3) | 2, ...varint(BigInt(Buffer.byteLength(text))), ...Buffer.from(text)];
    const double = (field: number, value: number) => [(field << 3) | 1, ...new Uint8Array(new Float64Array([value]).buffer)];
    const metadata = [
      0x08,
      ...varint(scenarioMetadata.runId),
      0x18,
      ...varint(scenarioMetadata.srcNodeId),
      0x20,
      1,
      ...str(5, 'ab'.repeat(32)),
      ...str(6, '3'),
      ...double(7, 43190.5),
      ...str(8, 'train'),
      ...double(9, 1767225600.25),
    ];
    const errorBody = [0x08, 6, ...str(2, 'paused by the site')]; // sint64 3 zigzags to 6
    const body = [0x0a, ...varint(BigInt(metadata.length)), ...metadata, 0x1a, errorBody.length, ...errorBody];
    const expected = Buffer.concat([Buffer.from(`Message  ${body.length}\0`), Buffer.from(body)]);
    expect(hex(error.objects.get(error.messageId)!)).toBe(expected.toString('hex'));
    expect(expected.toString('hex')).toBe(flower.error.messageObjectHex);
    expect(latin1(train.objects.get(train.messageId)!)).toMatch(new RegExp(`^Message ${train.tree.children[0]!.objectId} \\d+\0`));
  });
});

describe('the PushMessages entry', () => {
  it('carries metadata with the message id and an empty RecordDict as content', () => {
    expect(train.message).toEqual({ metadata: { ...scenarioMetadata, messageId: train.messageId }, content: { items: [] } });
    const request = fleetRpcs.PushMessages.request.encode({ messagesList: [train.message], messageObjectTrees: [train.tree] });
    const decoded = fleetRpcs.PushMessages.request.decode(request);
    expect(decoded.messagesList[0]).toEqual(train.message);
    expect(decoded.messageObjectTrees[0]).toEqual(train.tree);
  });

  it('carries the error, and no content, for an error reply', () => {
    const error = deflateMessage(errorMessage());
    expect(error.message).toEqual({
      metadata: { ...scenarioMetadata, messageId: error.messageId },
      error: { code: 3n, reason: 'paused by the site' },
    });
  });
});
