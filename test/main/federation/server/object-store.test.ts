// Tests (plain Node): the object store: ids checked against bytes, preregistration, reference-counted deletes.
import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../../../../main/federation/server/object-store.js';
import { FleetRpcError } from '../../../../main/federation/transport/fleet-handler.js';
import { buildObject, objectId, type WireObject } from '../../../../main/federation/wire/objects/object-bytes.js';
import type { ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const chunk = (text: string) => buildObject('ArrayChunk', [], bytes(text));
const parent = (type: 'Array' | 'Message', children: WireObject[]) =>
  buildObject(
    type,
    children.map((c) => c.id),
    bytes('{}'),
  );
const tree = (object: WireObject, children: ObjectTree[] = []): ObjectTree => ({ objectId: object.id, children });

describe('ObjectStore', () => {
  it('preregisters a tree children first and lists only what is still missing', () => {
    const store = new ObjectStore();
    const [a, b] = [chunk('a'), chunk('b')];
    const array = parent('Array', [a, b]);
    const t = tree(array, [tree(a), tree(b)]);
    expect(store.preregister(t)).toEqual([a.id, b.id, array.id]);
    expect(store.get(a.id)).toEqual(new Uint8Array(0)); // known, not yet available: PullObject says found but unavailable
    expect(store.get(objectId(bytes('never')))).toBeUndefined();
    expect(store.put(a.id, a.bytes)).toBe('stored');
    expect(store.preregister(t)).toEqual([b.id, array.id]);
    expect(store.tree(array.id)).toEqual(t);
  });

  it('stores bytes only under the id they hash to, and only when preregistered', () => {
    const store = new ObjectStore();
    const [a, b] = [chunk('a'), chunk('b')];
    store.preregister(tree(a));
    const arrived: string[] = [];
    store.onStored = (id) => arrived.push(id);
    expect(store.put(a.id, b.bytes)).toBe('id-mismatch');
    expect(store.isAvailable(a.id)).toBe(false);
    expect(store.put(b.id, b.bytes)).toBe('not-preregistered');
    expect(store.put(a.id, a.bytes)).toBe('stored');
    expect(store.put(a.id, a.bytes)).toBe('stored');
    expect(arrived).toEqual([a.id]);
    expect(store.stats()).toEqual({ objects: 1, bytes: a.bytes.length });
  });

  it('refuses bytes that hash right but are no object (FAILED_PRECONDITION), and malformed ids', () => {
    const store = new ObjectStore();
    const junk = bytes('no header here');
    const error = (() => {
      try {
        store.put(objectId(junk), junk);
      } catch (thrown) {
        return thrown as FleetRpcError;
      }
    })();
    expect(error).toBeInstanceOf(FleetRpcError);
    expect(error?.status).toBe('FAILED_PRECONDITION');
    expect(error?.message).toMatch(/unexpected structure/);
    expect(() => store.preregister({ objectId: 'not-an-id', children: [] })).toThrow(/Invalid object ID format/);
  });

  it('deletes a message with the descendants no other message holds, so shared content goes with the last message', () => {
    const store = new ObjectStore();
    const shared = chunk('model');
    const array = parent('Array', [shared]);
    const [m1, m2] = [parent('Message', [array]), buildObject('Message', [array.id], bytes('other'))];
    for (const message of [m1, m2]) store.preregister(tree(message, [tree(array, [tree(shared)])]));
    for (const object of [shared, array, m1, m2]) store.put(object.id, object.bytes);
    expect(store.stats().objects).toBe(4);
    store.delete(array.id); // held by both messages: stays
    store.delete(m1.id);
    expect([store.has(m1.id), store.has(array.id), store.has(shared.id)]).toEqual([false, true, true]);
    store.delete(m2.id);
    expect(store.stats()).toEqual({ objects: 0, bytes: 0 });
    store.delete(m2.id); // unknown ids are ignored, as ConfirmMessageReceived twice must be harmless
  });
});
