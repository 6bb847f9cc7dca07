// Runs in the party (plain Node): sends a reply as Flower expects it: PushMessages with the object tree, then PushObject for each id asked for.
import { retry } from '../transport/backoff.js';
import { MAX_REASON_CHARS } from '../wire/limits.js';
import type { DeflatedMessage } from '../wire/objects/deflate.js';
import { SUPERLINK_NODE_ID, replyMetadata, type Message, type OutgoingMessage, type RecordDict } from '../wire/records/model.js';
import type { MessageError } from '../wire/proto/record-types.js';
import type { FleetClient } from './fleet-client.js';

/** Flower's ErrorCode: the work failed or the message could not be served. */
export const CLIENT_APP_RAISED_EXCEPTION = 2n;
/** Flower's ErrorCode for a precondition not met: used when this site declines (paused, leaving). */
export const MOD_FAILED_PRECONDITION = 6n;
/** Flower's ErrorCode for work that ended with its process: a party that stopped mid-task answers with it once back. */
export const CLIENT_APP_CRASHED = 8n;

/** The server did not take the reply: it no longer waits for one to that message (expired, or written off). */
export class ReplyNotStored extends Error {
  override readonly name = 'ReplyNotStored';
}

/**
 * A reply as Flower's SuperLink accepts it: from this node to the SuperLink (node 1), same run, group and type as
 * the message it answers, created now, living no longer than that message.
 */
export function replyTo(
  incoming: Message['metadata'],
  nodeId: bigint,
  answer: { content: RecordDict } | { error: MessageError },
): OutgoingMessage {
  const metadata = { ...replyMetadata(incoming), srcNodeId: nodeId, dstNodeId: SUPERLINK_NODE_ID };
  if ('content' in answer) return { metadata, content: answer.content };
  // A reason quotes what the server sent (a message type, its own error): a server takes reasons up to this length.
  const { code, reason } = answer.error;
  return { metadata, error: { code, reason: reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason } };
}

/** Pushes the reply and the objects the server asks for; returns the bytes pushed, and rejects when the server did not take it. */
export async function sendReply(
  client: FleetClient,
  nodeId: bigint,
  deflated: DeflatedMessage,
  runtimeSec: number,
  signal: AbortSignal,
): Promise<number> {
  const { messageId, objects } = deflated;
  const runId = deflated.message.metadata!.runId;
  const response = await retry(() => client.pushMessages(nodeId, deflated.message, deflated.tree, runtimeSec, { signal }), { signal });
  // A server that refuses a reply (expired, unknown instruction) says so only by leaving its id out of the results: Flower's SuperLink keys them "None".
  if (!response.results.has(messageId)) {
    const keys = [...response.results.keys()].slice(0, 4).map((key) => key.slice(0, 80));
    throw new ReplyNotStored(
      `PushMessages: the server did not store reply ${messageId} (results: ${keys.length ? keys.join(', ') : 'none'})`,
    );
  }
  const wanted = new Set(response.objectsToPush);
  const stranger = [...wanted].find((objectId) => !objects.has(objectId));
  if (stranger)
    throw new Error(`PushMessages: the server asked for object ${stranger.slice(0, 80)}, which is not part of reply ${messageId}`);
  // Children before parents, as Flower's SuperNode pushes (a post-order walk of the tree, which is the deflater's order).
  let bytes = 0;
  for (const [objectId, content] of objects) {
    if (!wanted.has(objectId)) continue;
    const stored = await retry(() => client.pushObject(nodeId, runId, objectId, content, { signal }), { signal });
    if (!stored) throw new Error(`PushObject: the server did not store object ${objectId} of reply ${messageId}`);
    bytes += content.length;
  }
  return bytes;
}
