// Runs in the party (plain Node): fetches a pulled message's objects (from the cache of earlier messages, else PullObject,
// retrying those not yet available), verifies and inflates it, confirms receipt.
import { retry, sleep } from '../transport/backoff.js';
import { WireError } from '../wire/errors.js';
import type { MessageLimits } from '../wire/limits.js';
import { inflateMessage } from '../wire/objects/inflate.js';
import type { MessageProto, ObjectTree } from '../wire/proto/record-types.js';
import type { Message } from '../wire/records/model.js';
import type { FleetClient } from './fleet-client.js';
import type { ObjectCache } from './object-cache.js';

export interface ReceiveOptions {
  signal: AbortSignal;
  /** What one message may hold: its objects' bytes and count (and its arrays' bytes once assembled). */
  limits: MessageLimits;
  /** Objects of earlier messages: those it holds are not pulled again. The message's own objects go into it once it is whole. */
  cache?: ObjectCache;
  /** How long to wait for an object the server has listed but not yet stored; Flower's SuperNode waits up to 2 h. */
  maxWaitMs?: number;
  /** First wait after an object was not yet available (doubling, ±20 % jitter, at most 10 s, as Flower's SuperNode). */
  firstWaitMs?: number;
}

export interface Received {
  message: Message;
  /** Bytes of the objects pulled from the server. */
  bytes: number;
  /** Bytes of the objects the cache held, which were not pulled. */
  cachedBytes: number;
  /** A held object failed its check, so the cache was emptied and the whole message pulled again. */
  refetched: boolean;
}

/** What one pass over a message's objects took from where, and every object's bytes for the cache. */
interface Tally {
  pulledBytes: number;
  cachedBytes: number;
  objects: Map<string, Uint8Array>;
}

type PullObject = (objectId: string) => Promise<Uint8Array>;

/** Fetches and checks the whole message; a WireError names the object, record or array at fault. */
export async function receiveMessage(
  client: FleetClient,
  nodeId: bigint,
  proto: MessageProto,
  tree: ObjectTree,
  options: ReceiveOptions,
): Promise<Received> {
  const runId = proto.metadata?.runId;
  if (runId === undefined) throw new WireError('PullMessages: the message has no metadata');
  const pull: PullObject = (objectId) => pullWhenAvailable(client, nodeId, runId, objectId, options);
  const { cache, limits } = options;
  let tally = emptyTally();
  let message: Message;
  let refetched = false;
  try {
    message = await inflateOnce(proto, tree, pull, cache, limits, tally);
  } catch (error) {
    if (!(error instanceof WireError) || tally.cachedBytes === 0) throw error;
    // A held copy that fails inflate's id check was damaged on this site, not sent wrong: drop them all and pull everything.
    cache?.clear();
    [tally, refetched] = [emptyTally(), true];
    message = await inflateOnce(proto, tree, pull, undefined, limits, tally);
  }
  cache?.remember(tally.objects);
  return { message, bytes: tally.pulledBytes, cachedBytes: tally.cachedBytes, refetched };
}

/** Tells the server the message arrived, so it can drop the message's objects (pulled or not: Flower frees them all). */
export async function confirmReceived(
  client: FleetClient,
  nodeId: bigint,
  runId: bigint,
  messageId: string,
  signal: AbortSignal,
): Promise<void> {
  await retry(() => client.confirmMessageReceived(nodeId, runId, messageId, { signal }), { signal });
}

function emptyTally(): Tally {
  return { pulledBytes: 0, cachedBytes: 0, objects: new Map() };
}

/** Each object from `held` when it has it, else pulled; inflate verifies both alike (bytes against id, header against tree). */
async function inflateOnce(
  proto: MessageProto,
  tree: ObjectTree,
  pull: PullObject,
  held: ObjectCache | undefined,
  limits: MessageLimits,
  tally: Tally,
): Promise<Message> {
  const fetch = async (objectId: string) => {
    const kept = held?.get(objectId);
    const content = kept ?? (await pull(objectId));
    if (kept) tally.cachedBytes += content.byteLength;
    else tally.pulledBytes += content.byteLength;
    tally.objects.set(objectId, content);
    return content;
  };
  return inflateMessage(proto, tree, fetch, { maxBytes: limits.bytes, maxObjects: limits.objects });
}

async function pullWhenAvailable(
  client: FleetClient,
  nodeId: bigint,
  runId: bigint,
  objectId: string,
  options: ReceiveOptions,
): Promise<Uint8Array> {
  const { signal, maxWaitMs = 2 * 3600_000, firstWaitMs = 250 } = options;
  const started = Date.now();
  for (let waitMs = firstWaitMs; ; waitMs = Math.min(10_000, waitMs * 2)) {
    const response = await retry(() => client.pullObject(nodeId, runId, objectId, { signal }), { signal });
    if (!response.objectFound) throw new WireError(`object ${objectId}: the server does not know it (PullObject: object_found = false)`);
    if (response.objectAvailable) return response.objectContent;
    if (Date.now() - started > maxWaitMs)
      throw new WireError(`object ${objectId}: still not available after ${Math.round(maxWaitMs / 1000)} s`);
    await sleep(waitMs * (0.8 + 0.4 * Math.random()), signal);
  }
}
