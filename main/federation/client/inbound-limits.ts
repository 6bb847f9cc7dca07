// Runs in the party (plain Node): what the server may send this party, from the model it trains; every answer and message is held to it before it is read.
import type { WeightSlot } from '../../engine/weights.js';
import type { FleetRpc } from '../transport/rpc.js';
import { callBytes, messageLimits, type MessageLimits } from '../wire/limits.js';

export interface InboundLimits {
  /** One message from the server: what FedAvg sends this model (its weights once, with settings), and no more. */
  message: MessageLimits;
  /** The most bytes one call's answer may bring. */
  answerBytes: (rpc: FleetRpc) => number;
  /** The largest of them: over gRPC, the channel's receive limit. */
  largestAnswerBytes: number;
}

/** The limits for a model with these weights, refused when a message for it would be over the site's ceiling (`max_message_mb`). */
export function inboundLimits(slots: readonly WeightSlot[], ceilingBytes: number): InboundLimits {
  const message = messageLimits(slots.map((slot) => slot.shape));
  if (message.bytes > ceilingBytes) {
    const limit = `more than the ${ceilingBytes} that federation.max_message_mb allows`;
    throw new Error(`a message carrying this model may weigh up to ${message.bytes} bytes, ${limit}`);
  }
  const calls = callBytes(message);
  return {
    message,
    answerBytes: (rpc) => (rpc === 'PullObject' ? calls.object : calls.other),
    largestAnswerBytes: Math.max(calls.object, calls.other),
  };
}
