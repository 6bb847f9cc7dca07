// Runs in the party (plain Node): what the server may send this party, from the model it trains; every answer and message is held to it before it is read.
import type { FleetRpc } from '../transport/rpc.js';
import { messageLimits, type MessageLimits } from '../wire/limits.js';
import type { WeightSlot } from './model-fit.js';

export interface InboundLimits {
  /** One message from the server: what FedAvg sends this model (its weights once, with settings), and no more. */
  message: MessageLimits;
  /** The most bytes one call's answer may bring. */
  answerBytes: (rpc: FleetRpc) => number;
  /** The largest of them: over gRPC, the channel's receive limit. */
  largestAnswerBytes: number;
}

/** A PullObject answer's own fields around the object: two booleans, a tag and a length. */
const OBJECT_ANSWER_FIELDS = 16;
/**
 * Every other answer is small: PullMessages holds one message's metadata (names of at most 256 characters) and its
 * object tree (an id and its framing, under 80 bytes, per object); PushMessages names the reply's objects to push.
 */
const SMALL_ANSWER_BYTES = 64 * 1024;
const ANSWER_BYTES_PER_OBJECT = 128;

/** The limits for a model with these weights, refused when a message for it would be over the site's ceiling (`max_message_mb`). */
export function inboundLimits(slots: readonly WeightSlot[], ceilingBytes: number): InboundLimits {
  const message = messageLimits(slots.map((slot) => slot.shape));
  if (message.bytes > ceilingBytes) {
    throw new Error(`a message carrying this model may weigh up to ${message.bytes} bytes, more than the ${ceilingBytes} that federation.max_message_mb allows`);
  }
  const objectAnswer = message.objectBytes + OBJECT_ANSWER_FIELDS;
  const smallAnswer = SMALL_ANSWER_BYTES + ANSWER_BYTES_PER_OBJECT * message.objects;
  return {
    message,
    answerBytes: (rpc) => (rpc === 'PullObject' ? objectAnswer : smallAnswer),
    largestAnswerBytes: Math.max(objectAnswer, smallAnswer),
  };
}
