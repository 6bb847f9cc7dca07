// Runs in the party (plain Node): fetches a pulled message's objects (retrying those not yet available), verifies and inflates it, confirms receipt.
import { retry, sleep } from '../transport/backoff.js';
import { WireError } from '../wire/errors.js';
import { inflateMessage } from '../wire/objects/inflate.js';
import type { MessageProto, ObjectTree } from '../wire/proto/record-types.js';
import type { Message } from '../wire/records/model.js';
import type { FleetClient } from './fleet-client.js';

export interface ReceiveOptions {
  signal: AbortSignal;
  /** Ceiling on one message's bytes (its objects, and its arrays once assembled). */
  maxBytes: number;
  /** How long to wait for an object the server has listed but not yet stored; Flower's SuperNode waits up to 2 h. */
  maxWaitMs?: number;
  /** First wait after an object was not yet available (doubling, ±20 % jitter, at most 10 s, as Flower's SuperNode). */
  firstWaitMs?: number;
}

export interface Received {
  message: Message;
  /** Bytes of every object fetched. */
  bytes: number;
}

/** Fetches and checks the whole message; a WireError names the object, record or array at fault. */
export async function receiveMessage(client: FleetClient, nodeId: bigint, proto: MessageProto, tree: ObjectTree, options: ReceiveOptions): Promise<Received> {
  const runId = proto.metadata?.runId;
  if (runId === undefined) throw new WireError('PullMessages: the message has no metadata');
  let bytes = 0;
  const fetch = async (objectId: string) => {
    const content = await pullWhenAvailable(client, nodeId, runId, objectId, options);
    bytes += content.length;
    return content;
  };
  const message = await inflateMessage(proto, tree, fetch, { maxBytes: options.maxBytes });
  return { message, bytes };
}

/** Tells the server the message arrived, so it can drop the message's objects. */
export async function confirmReceived(client: FleetClient, nodeId: bigint, runId: bigint, messageId: string, signal: AbortSignal): Promise<void> {
  await retry(() => client.confirmMessageReceived(nodeId, runId, messageId, { signal }), { signal });
}

async function pullWhenAvailable(client: FleetClient, nodeId: bigint, runId: bigint, objectId: string, options: ReceiveOptions): Promise<Uint8Array> {
  const { signal, maxWaitMs = 2 * 3600_000, firstWaitMs = 250 } = options;
  const started = Date.now();
  for (let waitMs = firstWaitMs; ; waitMs = Math.min(10_000, waitMs * 2)) {
    const response = await retry(() => client.pullObject(nodeId, runId, objectId, { signal }), { signal });
    if (!response.objectFound) throw new WireError(`object ${objectId}: the server does not know it (PullObject: object_found = false)`);
    if (response.objectAvailable) return response.objectContent;
    if (Date.now() - started > maxWaitMs) throw new WireError(`object ${objectId}: still not available after ${Math.round(maxWaitMs / 1000)} s`);
    await sleep(waitMs * (0.8 + 0.4 * Math.random()), signal);
  }
}
