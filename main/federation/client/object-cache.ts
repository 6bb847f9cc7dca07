// Runs in the party (plain Node): the objects of the last message(s) received, by id, in memory only, so a message that repeats them is not downloaded again.

export interface ObjectCacheLimits {
  /** Bytes held at most; the party gives its message limit, so the cache never holds more than one message may weigh. */
  maxBytes: number;
  /**
   * Messages whose objects are held. One is enough for FedAvg: a round's train message carries the global model that
   * the previous round's evaluate message carried, and nothing older ever comes back (a party left out of an
   * evaluate last held the model before, which the next train does not repeat either).
   */
  maxMessages?: number;
}

export interface ObjectCacheStats {
  messages: number;
  objects: number;
  bytes: number;
}

/**
 * Object ids are SHA-256 hashes of the bytes, so a held object is the object any message names by that id. Every
 * object of a message is kept, not only arrays: the Array and ArrayChunk objects are nearly all of the bytes, the
 * ArrayRecord repeats too, and the rest weigh a few hundred bytes, so choosing by type would save nothing. Whoever
 * is served from the cache still checks each object against its id (inflate does, as for a pulled one).
 */
export class ObjectCache {
  readonly #maxBytes: number;
  readonly #maxMessages: number;
  /** One map per message kept, newest first. */
  #messages: Map<string, Uint8Array>[] = [];

  constructor({ maxBytes, maxMessages = 1 }: ObjectCacheLimits) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes ${maxBytes} is not a byte count`);
    if (!Number.isSafeInteger(maxMessages) || maxMessages < 0) throw new RangeError(`maxMessages ${maxMessages} is not a count`);
    this.#maxBytes = maxBytes;
    this.#maxMessages = maxMessages;
  }

  get(objectId: string): Uint8Array | undefined {
    for (const objects of this.#messages) {
      const bytes = objects.get(objectId);
      if (bytes) return bytes;
    }
    return undefined;
  }

  /** Holds a whole, checked message's objects as the newest (as many as fit), then drops the oldest messages beyond either limit. */
  remember(objects: ReadonlyMap<string, Uint8Array>): void {
    if (this.#maxMessages === 0) return;
    this.#messages.unshift(fitting(objects, this.#maxBytes));
    while (this.#messages.length > this.#maxMessages || this.stats().bytes > this.#maxBytes) this.#messages.pop();
  }

  clear(): void {
    this.#messages = [];
  }

  /** An object held for two messages counts twice (it is one buffer), so the byte bound holds however messages overlap. */
  stats(): ObjectCacheStats {
    let [objects, bytes] = [0, 0];
    for (const message of this.#messages) {
      objects += message.size;
      for (const content of message.values()) bytes += content.byteLength;
    }
    return { messages: this.#messages.length, objects, bytes };
  }
}

/** The objects, in the order given, that fit in `maxBytes`; one too big is skipped and smaller ones after it still go in. */
function fitting(objects: ReadonlyMap<string, Uint8Array>, maxBytes: number): Map<string, Uint8Array> {
  const kept = new Map<string, Uint8Array>();
  let bytes = 0;
  for (const [id, content] of objects) {
    if (bytes + content.byteLength > maxBytes) continue;
    kept.set(id, content);
    bytes += content.byteLength;
  }
  return kept;
}
