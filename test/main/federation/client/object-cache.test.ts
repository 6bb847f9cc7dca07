// Tests (plain Node): the party's object cache keeps the last message's objects by id, within its byte and message bounds.
import { describe, expect, it } from 'vitest';
import { ObjectCache } from '../../../../main/federation/client/object-cache.js';
import { buildObject, type WireObject } from '../../../../main/federation/wire/objects/object-bytes.js';

const chunk = (size: number, fill: number): WireObject => buildObject('ArrayChunk', [], new Uint8Array(size).fill(fill));
const messageOf = (...objects: WireObject[]) => new Map(objects.map((object) => [object.id, object.bytes]));

describe('ObjectCache', () => {
  it('holds the last message only by default: the next one replaces it', () => {
    const cache = new ObjectCache({ maxBytes: 10_000 });
    const [a, b, c] = [chunk(100, 1), chunk(100, 2), chunk(100, 3)];
    cache.remember(messageOf(a, b));
    expect(cache.get(a.id)).toBe(a.bytes);
    cache.remember(messageOf(b, c));
    expect([cache.get(a.id), cache.get(b.id), cache.get(c.id)]).toEqual([undefined, b.bytes, c.bytes]);
    expect(cache.stats()).toEqual({ messages: 1, objects: 2, bytes: b.bytes.length + c.bytes.length });
  });

  it('never holds more than maxBytes: a message too big keeps what fits, and older messages go first', () => {
    const [small, big, tiny] = [chunk(300, 1), chunk(800, 2), chunk(100, 3)];
    const cache = new ObjectCache({ maxBytes: 1000, maxMessages: 3 });
    cache.remember(messageOf(small, big, tiny)); // big does not fit beside small; tiny still does
    expect([cache.get(small.id), cache.get(big.id), cache.get(tiny.id)]).toEqual([small.bytes, undefined, tiny.bytes]);
    cache.remember(messageOf(big));
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    expect([cache.get(big.id), cache.get(small.id)]).toEqual([big.bytes, undefined]); // the older message made room
    expect(cache.stats().messages).toBe(1);
  });

  it('keeps up to maxMessages messages, dropping the oldest', () => {
    const cache = new ObjectCache({ maxBytes: 10_000, maxMessages: 2 });
    const [a, b, c] = [chunk(10, 1), chunk(10, 2), chunk(10, 3)];
    for (const object of [a, b, c]) cache.remember(messageOf(object));
    expect([cache.get(a.id), cache.get(b.id), cache.get(c.id)]).toEqual([undefined, b.bytes, c.bytes]);
  });

  it('holds nothing with a bound of 0, and nothing after clear()', () => {
    const a = chunk(10, 1);
    for (const limits of [{ maxBytes: 0 }, { maxBytes: 100, maxMessages: 0 }]) {
      const cache = new ObjectCache(limits);
      cache.remember(messageOf(a));
      expect(cache.get(a.id)).toBeUndefined();
    }
    const cache = new ObjectCache({ maxBytes: 100 });
    cache.remember(messageOf(a));
    cache.clear();
    expect(cache.stats()).toEqual({ messages: 0, objects: 0, bytes: 0 });
    expect(() => new ObjectCache({ maxBytes: -1 })).toThrow(RangeError);
  });
});
