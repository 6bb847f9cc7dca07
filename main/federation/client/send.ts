// Runs in the party (plain Node): sends a reply as Flower expects it: PushMessages with the object tree, then PushObject for each id asked for.
import { retry } from '../transport/backoff.js';
import { deflateMessage } from '../wire/objects/deflate.js';
import { SUPERLINK_NODE_ID, replyMetadata, type Message, type OutgoingMessage, type RecordDict } from '../wire/records/model.js';
import type { MessageError } from '../wire/proto/record-types.js';
import type { FleetClient } from './fleet-client.js';

/** Flower's ErrorCode: the work failed or the message could not be served. */
export const CLIENT_APP_RAISED_EXCEPTION = 2n;
/** Flower's ErrorCode for a precondition not met: used when this site declines (paused, leaving). */
export const MOD_FAILED_PRECONDITION = 6n;
/** Flower's ErrorCode for work that ended with its process: a party that stopped mid-task answers with it once back. */
export const CLIENT_APP_CRASHED = 8n;

export interface Sent {
  messageId: string;
  /** Bytes of the objects pushed (those the server asked for): what left the site. */
  bytes: number;
}

/**
 * A reply as Flower's SuperLink accepts it: from this node to the SuperLink (node 1), same run, group and type as
 * the message it answers, created now, living no longer than that message.
 */
export function replyTo(incoming: Message['metadata'], nodeId: bigint, answer: { content: RecordDict } | { error: MessageError }): OutgoingMessage {
  const metadata = { ...replyMetadata(incoming), srcNodeId: nodeId, dstNodeId: SUPERLINK_NODE_ID };
  return { metadata, ...answer };
}

/** Pushes the reply and the objects the server asks for; rejects when the server did not take it. */
export async function sendReply(client: FleetClient, nodeId: bigint, reply: OutgoingMessage, runtimeSec: number, signal: AbortSignal): Promise<Sent> {
  const deflated = deflateMessage(reply);
  const { messageId, objects } = deflated;
  const response = await retry(() => client.pushMessages(nodeId, deflated.message, deflated.tree, runtimeSec, { signal }), { signal });
  // A server that refuses a reply (expired, unknown instruction) says so only by leaving its id out of the results: Flower's SuperLink keys them "None".
  if (!response.results.has(messageId)) {
    const keys = [...response.results.keys()];
    throw new Error(`PushMessages: the server did not store reply ${messageId} (results: ${keys.length ? keys.join(', ') : 'none'}); the message it answers may have expired`);
  }
  const wanted = new Set(response.objectsToPush);
  const stranger = [...wanted].find((objectId) => !objects.has(objectId));
  if (stranger) throw new Error(`PushMessages: the server asked for object ${stranger}, which is not part of reply ${messageId}`);
  // Children before parents, as Flower's SuperNode pushes (a post-order walk of the tree, which is the deflater's order).
  let bytes = 0;
  for (const [objectId, content] of objects) {
    if (!wanted.has(objectId)) continue;
    const stored = await retry(() => client.pushObject(nodeId, reply.metadata.runId, objectId, content, { signal }), { signal });
    if (!stored) throw new Error(`PushObject: the server did not store object ${objectId} of reply ${messageId}`);
    bytes += content.length;
  }
  return { messageId, bytes };
}
