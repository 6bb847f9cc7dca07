// Runs anywhere in Node: how large a message carrying a given model can legitimately be, so that both ends refuse more before reading it.
import { describeValue } from './errors.js';
import { elementCount } from './npy/dtypes.js';
import { formatNpyHeader } from './npy/header.js';
import { OBJECT_ID_PATTERN } from './objects/object-bytes.js';
import type { MessageError, Metadata } from './proto/record-types.js';

/** What one message may hold: every inbound message is refused past any of these. */
export interface MessageLimits {
  /** Its objects' bytes together. */
  bytes: number;
  /** Objects in its tree, each id counted once. */
  objects: number;
  /** One object's bytes: an array's whole .npy in one ArrayChunk at most. */
  objectBytes: number;
  /** One object that is not array data (default MAX_STRUCTURE_OBJECT_BYTES); SecAgg+'s masked vectors travel in a ConfigRecord. */
  structureObjectBytes?: number;
  /** One config value, string or bytes, or each item of a list of them (default MAX_SETTING_BYTES). */
  settingBytes?: number;
}

/**
 * Every object but an ArrayChunk (Message, RecordDict, ArrayRecord, Array, ConfigRecord, MetricRecord) holds
 * metadata, names, ids and settings, never array data: 1 MiB is an ArrayRecord of about 10,000 weights.
 */
export const MAX_STRUCTURE_OBJECT_BYTES = 1024 * 1024;
/** Message, RecordDict and up to 16 records (FedAvg sends 2, the legacy strategies 2, replies 2 or 3). */
const RECORD_OBJECTS = 18;
/**
 * Flower writes ArrayChunks of 5 MiB (all but an array's last); a server set to smaller chunks still fits down to
 * this size, so a message for this model may have this many more objects, not an unbounded number.
 */
const MIN_CHUNK_BYTES = 64 * 1024;
/** "ArrayChunk  5242880" and its 0x00. */
const CHUNK_HEADER_BYTES = 32;
/** The objects that are not array data, all together: their headers list child ids (65 bytes each), their bodies names and settings. */
const STRUCTURE_BYTES = 4 * 1024 * 1024;
const STRUCTURE_BYTES_PER_ARRAY = 1024;

/** The limits for messages whose arrays are float32 weights of these shapes (a model's), as FedAvg sends and a party answers. */
export function messageLimits(shapes: readonly (readonly number[])[]): MessageLimits {
  const npyBytes = shapes.map(float32NpyBytes);
  const chunks = npyBytes.reduce((sum, bytes) => sum + Math.max(1, Math.ceil(bytes / MIN_CHUNK_BYTES)), 0);
  const arrayBytes = npyBytes.reduce((sum, bytes) => sum + bytes, 0) + chunks * CHUNK_HEADER_BYTES;
  const largest = npyBytes.reduce((max, bytes) => Math.max(max, bytes), 0) + CHUNK_HEADER_BYTES;
  return {
    bytes: arrayBytes + STRUCTURE_BYTES + shapes.length * STRUCTURE_BYTES_PER_ARRAY,
    objects: RECORD_OBJECTS + shapes.length + chunks,
    objectBytes: Math.max(largest, MAX_STRUCTURE_OBJECT_BYTES),
  };
}

/** A call's own fields around one object (PushObject, PullObject): node and run ids, the object's id, a tag and a length. */
const OBJECT_CALL_FIELDS = 256;
/**
 * Every other call is small: PullMessages and PushMessages hold one message's metadata (names of at most 256
 * characters) and its object tree (an id and its framing, under 80 bytes, per object), or the ids of objects to push.
 */
const SMALL_CALL_BYTES = 64 * 1024;
const CALL_BYTES_PER_OBJECT = 128;

/** The most bytes one Fleet call about messages within `limits` can carry, request or answer: one carrying an object, and every other. */
export function callBytes(limits: MessageLimits): { object: number; other: number } {
  return { object: limits.objectBytes + OBJECT_CALL_FIELDS, other: SMALL_CALL_BYTES + CALL_BYTES_PER_OBJECT * limits.objects };
}

/** A float32 array as a .npy file: numpy's header, then 4 bytes a value. */
function float32NpyBytes(shape: readonly number[]): number {
  return formatNpyHeader('<f4', shape).length + 4 * elementCount(shape);
}

/** Message types, group ids and record keys are words and numbers ("train", "query.get_weights", "3", "server-round"). */
export const MAX_NAME_CHARS = 256;
/** An error reason is a sentence or a short trace. */
export const MAX_REASON_CHARS = 4096;
/** A config value that is a string or bytes: settings, never data. */
export const MAX_SETTING_BYTES = 64 * 1024;

/**
 * Why metadata cannot be what it claims, or undefined: an id that is not an object id (`ownId: 'ignored'` inside
 * the Message object's own bytes, where the object's id replaces it), a name longer than any honest one, a time
 * that is not a number.
 */
export function metadataProblem(metadata: Metadata, { ownId }: { ownId: 'checked' | 'ignored' }): string | undefined {
  const { messageId, replyToMessageId, messageType, groupId, ttl, createdAt } = metadata;
  if (ownId === 'checked' && !OBJECT_ID_PATTERN.test(messageId)) return `message_id ${describeValue(messageId)} is not an object id`;
  if (replyToMessageId !== '' && !OBJECT_ID_PATTERN.test(replyToMessageId)) {
    return `reply_to_message_id ${describeValue(replyToMessageId)} is not an object id`;
  }
  if (messageType.length > MAX_NAME_CHARS) return `message_type of ${messageType.length} characters (at most ${MAX_NAME_CHARS})`;
  if (groupId.length > MAX_NAME_CHARS) return `group_id of ${groupId.length} characters (at most ${MAX_NAME_CHARS})`;
  if (!Number.isFinite(ttl) || !Number.isFinite(createdAt)) return `ttl ${ttl} and created_at ${createdAt} must be numbers`;
  return undefined;
}

/** Why a message's error cannot be shown as it is, or undefined. */
export function errorProblem(error: MessageError): string | undefined {
  return error.reason.length > MAX_REASON_CHARS
    ? `an error reason of ${error.reason.length} characters (at most ${MAX_REASON_CHARS})`
    : undefined;
}
