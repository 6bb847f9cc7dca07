// Tests (Node): inflateMessage gives back exactly what deflateMessage was given, fetching each object once.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deflateMessage,
  inflateMessage,
  parseObject,
  type AnyNdArray,
  type ArrayRecord,
  type ConfigRecord,
  type MetricRecord,
  type RecordDict,
} from '../../../../main/federation/wire/index.js';
import { fetchFrom } from './craft.js';
import { emptyMessage, errorMessage, scenarioMetadata, trainMessage } from './flower-scenario.js';

const source = trainMessage();

/** Arrays compared by dtype, shape and a hash of their bytes: deep-equal on 4M floats is slow. */
function comparable(content: RecordDict | undefined) {
  return [...(content ?? [])].map(([name, record]) => [
    name,
    record.kind,
    [...record.items].map(([key, value]) => {
      if (record.kind !== 'arrays') return [key, value];
      const { dtype, shape, data } = value as AnyNdArray;
      return [
        key,
        dtype,
        shape,
        data.constructor.name,
        createHash('sha256')
          .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
          .digest('hex'),
      ];
    }),
  ]);
}
const deflated = deflateMessage(source, { chunkSize: 1000 }); // small chunks: many of them, reassembled

describe('inflateMessage', () => {
  it('returns the content it was given: records, names, order, dtypes, shapes, values', async () => {
    const message = await inflateMessage(deflated.message, deflated.tree, fetchFrom(deflated.objects));
    expect(message.metadata).toEqual({ ...scenarioMetadata, messageId: deflated.messageId });
    expect(message.error).toBeUndefined();
    expect(comparable(message.content)).toEqual(comparable(source.content));
    const arrays = message.content!.get('arrays') as ArrayRecord;
    expect([...arrays.items.keys()]).toEqual([
      'conv2d/kernel',
      'dense/bias',
      'größe',
      'ints',
      'i32',
      'bytes',
      'mask',
      'empty',
      '10',
      'bias-again',
      'big',
    ]);
    expect([...message.content!.keys()]).toEqual(['arrays', 'metrics', 'config', 'ключ']);
    expect((message.content!.get('metrics') as MetricRecord).items.get('big')).toBe(2n ** 63n + 5n);
    expect((message.content!.get('config') as ConfigRecord).items.get('server-round')).toBe(3n);
  });

  it('decodes an Array that two names share once, into one array', async () => {
    const message = await inflateMessage(deflated.message, deflated.tree, fetchFrom(deflated.objects));
    const arrays = (message.content!.get('arrays') as ArrayRecord).items;
    expect(arrays.get('bias-again')).toBe(arrays.get('dense/bias'));
  });

  it('fetches each object once, the structure (objects with children) before any leaf, a few at a time', async () => {
    const calls: string[] = [];
    let inFlight = 0;
    let most = 0;
    const fetch = async (id: string) => {
      calls.push(id);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return deflated.objects.get(id)!;
    };
    await inflateMessage(deflated.message, deflated.tree, fetch, { concurrency: 3 });
    expect(calls.toSorted()).toEqual([...deflated.objects.keys()].toSorted());
    const hasChildren = (id: string) => parseObject(id, deflated.objects.get(id)!).childIds.length > 0;
    const firstLeaf = calls.findIndex((id) => !hasChildren(id));
    expect(calls.slice(0, firstLeaf).every(hasChildren) && calls.slice(firstLeaf).every((id) => !hasChildren(id))).toBe(true);
    expect(calls).toContain(deflated.messageId);
    expect(most).toBe(3);
  });

  it('round-trips an empty RecordDict and an error message', async () => {
    for (const outgoing of [emptyMessage(), errorMessage()]) {
      const { message, tree, objects } = deflateMessage(outgoing);
      const back = await inflateMessage(message, tree, fetchFrom(objects));
      expect(back).toEqual({ ...outgoing, metadata: { ...outgoing.metadata, messageId: tree.objectId } });
    }
  });

  it("accepts a tree that lists a node's children in another order than its header", async () => {
    const reversed = {
      ...deflated.tree,
      children: deflated.tree.children.map((dict) => ({ ...dict, children: dict.children.toReversed() })),
    };
    const message = await inflateMessage(deflated.message, reversed, fetchFrom(deflated.objects));
    expect([...message.content!.keys()]).toEqual(['arrays', 'metrics', 'config', 'ключ']);
  });
});
