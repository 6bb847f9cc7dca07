// Runs in the aggregator (plain Node): one phase's messages to its nodes, the shared content deflated once.
import { buildObject } from '../wire/objects/object-bytes.js';
import { deflateMessage } from '../wire/objects/deflate.js';
import { wireCodecs } from '../wire/proto/codecs.js';
import type { Metadata } from '../wire/proto/record-types.js';
import type { RecordDict } from '../wire/records/model.js';
import type { LinkState } from './link-state.js';
import { SUPERLINK_NODE_ID } from './node-registry.js';

/** Flower's DEFAULT_TTL: an instruction lives 12 hours; the round timeout, not the TTL, is what ends a round. */
const MESSAGE_TTL_S = 43_200;

/** One RecordDict for every node, or each node's own (SecAgg+'s stages: its neighbours' keys, the shares sent to it). */
export type PhaseContent = RecordDict | ((node: bigint) => RecordDict);

/**
 * Stores one instruction per node and returns instruction id -> node. When every message carries the same RecordDict,
 * so it is deflated (npy-encoded, chunked, hashed) once; each node's Message object differs only in its metadata
 * and points at that same RecordDict, which the object store then holds once for all of them.
 */
export function sendInstructions(
  state: LinkState,
  nodes: readonly bigint[],
  content: PhaseContent,
  messageType: string,
  round: number,
): Map<string, bigint> {
  const sent = new Map<string, bigint>();
  const createdAt = Date.now() / 1000;
  const metadataFor = (dstNodeId: bigint): Omit<Metadata, 'messageId'> => ({
    runId: state.runId,
    srcNodeId: SUPERLINK_NODE_ID,
    dstNodeId,
    replyToMessageId: '',
    groupId: String(round),
    ttl: MESSAGE_TTL_S,
    messageType,
    createdAt,
  });
  if (typeof content === 'function') {
    // Each its own: the object store still holds an object shared by several (the global model's arrays) once.
    for (const node of nodes) {
      const deflated = deflateMessage({ metadata: metadataFor(node), content: content(node) });
      state.addInstruction(deflated.message.metadata!, deflated.tree, deflated.objects);
      sent.set(deflated.messageId, node);
    }
    return sent;
  }
  const [first, ...rest] = nodes;
  if (first === undefined) return sent;
  const deflated = deflateMessage({ metadata: metadataFor(first), content });
  state.addInstruction(deflated.message.metadata!, deflated.tree, deflated.objects);
  sent.set(deflated.messageId, first);
  const contentTree = deflated.tree.children[0]!;
  for (const node of rest) {
    const metadata = metadataFor(node);
    // The Message object as deflateMessage builds it: metadata without its own id, over the one RecordDict.
    const message = buildObject('Message', [contentTree.objectId], wireCodecs.Message.encode({ metadata: { ...metadata, messageId: '' } }));
    state.addInstruction(
      { ...metadata, messageId: message.id },
      { objectId: message.id, children: [contentTree] },
      new Map([[message.id, message.bytes]]),
    );
    sent.set(message.id, node);
  }
  return sent;
}
