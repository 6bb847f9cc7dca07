// Runs in the party (plain Node): sorts a PullMessages answer into the one message to serve and those to refuse, each with why.
import { TransportError } from '../transport/transport-error.js';
import { WireError } from '../wire/errors.js';
import { metadataProblem } from '../wire/limits.js';
import { OBJECT_ID_PATTERN } from '../wire/objects/object-bytes.js';
import type { PullMessagesResponse } from '../wire/proto/fleet-types.js';
import type { MessageProto, Metadata, ObjectTree } from '../wire/proto/record-types.js';

/** A message with metadata that holds up: what serveMessage takes. */
export type Instruction = MessageProto & { metadata: Metadata };

/** A message (or an answer) that is not served. `metadata` is there when its ids are, so it can be answered with an error. */
export interface Unserved {
  metadata?: Metadata;
  reason: string;
}

export interface Sorted {
  serve?: { proto: Instruction; tree: ObjectTree };
  refuse: Unserved[];
}

/** The answer could not be read as one: not protobuf, too large, not the media type. The server answered, wrongly. */
export function isGarbageAnswer(error: unknown): error is Error {
  return error instanceof WireError || (error instanceof TransportError && (error.code === 'TOO_LARGE' || error.code === 'BAD_RESPONSE'));
}

/**
 * Flower's SuperNode serves the first message of an answer (a SuperLink hands out one at a time), and so does the
 * party; every other message in it is refused, as is one whose metadata or object tree is missing or nonsense.
 */
export function sortPulled(answer: PullMessagesResponse | Error): Sorted {
  if (answer instanceof Error) return { refuse: [{ reason: `PullMessages answer refused: ${answer.message}` }] };
  const { messagesList: messages, messageObjectTrees: trees } = answer;
  const refuse: Unserved[] = [];
  if (trees.length > messages.length)
    refuse.push({ reason: `PullMessages answer refused: ${trees.length} object trees for ${messages.length} messages` });
  let serve: Sorted['serve'];
  messages.forEach((proto, index) => {
    const problem = problemOf(proto, trees[index], index, messages.length);
    if (problem) refuse.push(problem);
    else serve = { proto: proto as Instruction, tree: trees[index]! };
  });
  return serve ? { serve, refuse } : { refuse };
}

function problemOf(proto: MessageProto, tree: ObjectTree | undefined, index: number, count: number): Unserved | undefined {
  const { metadata } = proto;
  const which = count > 1 ? `message ${index + 1} of ${count}` : 'its message';
  if (!metadata) return { reason: `PullMessages answer refused: ${which} has no metadata` };
  const problem = metadataProblem(metadata, { ownId: 'checked' });
  // Without its own id a message cannot be answered: a reply names the message it answers.
  const answerable = OBJECT_ID_PATTERN.test(metadata.messageId) ? { metadata } : {};
  if (problem) return { ...answerable, reason: `PullMessages answer refused: ${which}: ${problem}` };
  if (!tree) return { metadata, reason: `PullMessages answer refused: ${which} came without its object tree` };
  if (index > 0)
    return {
      metadata,
      reason: `PullMessages answer refused: ${which}; a server hands out one message at a time, and only the first is served`,
    };
  return undefined;
}
