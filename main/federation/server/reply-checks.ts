// Runs in the aggregator (plain Node): the checks Flower's link state makes on a reply before storing it, in its words.
import { errorProblem, metadataProblem } from '../wire/limits.js';
import type { MessageProto, Metadata } from '../wire/proto/record-types.js';
import { SUPERLINK_NODE_ID } from './node-registry.js';

/** Flower's MESSAGE_TTL_TOLERANCE: float rounding when a reply's TTL is compared with what its instruction has left. */
const MESSAGE_TTL_TOLERANCE_S = 0.1;
/** Flower refuses created_at before 28 February 2025: a field left at 0 or in milliseconds shows up here. */
const EARLIEST_CREATED_AT_S = 1740700800;

/**
 * What is wrong with a reply as it stands alone (Flower's validate_message for replies), plus two checks Flower
 * leaves to later failures: the message id must be its object tree's root, and the sender the calling node.
 */
export function replyProblems(message: MessageProto, treeRootId: string | undefined, callerNodeId: bigint, nowS: number): string[] {
  const metadata = message.metadata;
  if (!metadata) return ['the message has no metadata'];
  const problems = metadataProblems(metadata, nowS);
  const nonsense =
    (metadata.messageId !== '' && metadataProblem(metadata, { ownId: 'checked' })) || (message.error && errorProblem(message.error));
  if (nonsense) problems.push(nonsense);
  if ((message.content !== undefined) === (message.error !== undefined))
    problems.push('Either message `content` or `error` MUST be set (but not both)');
  if (metadata.replyToMessageId === '') problems.push('`metadata.reply_to_message_id` MUST be set.');
  if (metadata.srcNodeId === SUPERLINK_NODE_ID) problems.push(`\`metadata.src_node_id\` is ${SUPERLINK_NODE_ID} (SuperLink node ID)`);
  if (metadata.dstNodeId !== SUPERLINK_NODE_ID) problems.push(`\`metadata.dst_node_id\` is not ${SUPERLINK_NODE_ID} (SuperLink node ID)`);
  if (metadata.srcNodeId !== callerNodeId)
    problems.push(`\`metadata.src_node_id\` ${metadata.srcNodeId} is not the calling node ${callerNodeId}`);
  if (treeRootId !== metadata.messageId)
    problems.push(`\`metadata.message_id\` ${metadata.messageId} is not the root of its object tree (${treeRootId ?? 'no tree'})`);
  return problems;
}

function metadataProblems(metadata: Metadata, nowS: number): string[] {
  const problems: string[] = [];
  if (metadata.messageId === '') problems.push('empty `metadata.message_id`');
  if (metadata.createdAt < EARLIEST_CREATED_AT_S)
    problems.push('`metadata.created_at` must be a float that records the unix timestamp in seconds when the message was created.');
  if (metadata.ttl <= 0) problems.push('`metadata.ttl` must be higher than zero');
  else if (metadata.createdAt + metadata.ttl <= nowS) problems.push('Message TTL has expired');
  if (metadata.srcNodeId === 0n) problems.push('`metadata.src_node_id` is not set.');
  if (metadata.dstNodeId === 0n) problems.push('`metadata.dst_node_id` is not set.');
  if (metadata.messageType === '') problems.push('`metadata.message_type` MUST be set');
  return problems;
}

/** What Flower's store_message_res checks against the instruction the reply answers. */
export function replyMismatch(reply: Metadata, instruction: Metadata): string | undefined {
  if (instruction.dstNodeId !== reply.srcNodeId) return `it answers a message sent to node ${instruction.dstNodeId}`;
  if (reply.runId !== instruction.runId) return `\`metadata.run_id\` ${reply.runId} is not the instruction's ${instruction.runId}`;
  const maxTtl = instruction.createdAt + instruction.ttl - reply.createdAt;
  if (reply.ttl - maxTtl > MESSAGE_TTL_TOLERANCE_S)
    return `TTL ${reply.ttl.toFixed(2)} exceeds the allowed maximum TTL ${maxTtl.toFixed(2)}`;
  return undefined;
}
