// Runs anywhere: a message's content as the party and the aggregator handle it (Flower's RecordDict, in TypeScript).
import type { AnyNdArray } from '../npy/dtypes.js';
import type { MessageError, Metadata } from '../proto/record-types.js';

/**
 * Record values keep Python's int/float split the way the wire does: a `number` travels as a double, a `bigint`
 * as sint64 (uint64 above 2^63 - 1). So "server-round" arrives as 3n, a learning rate as 0.01, and a party
 * reports "num-examples" as a bigint. Lists hold one type; an empty list travels as Flower sends one.
 */
export type MetricValue = number | bigint | number[] | bigint[];
export type ConfigValue = MetricValue | boolean | string | Uint8Array | boolean[] | string[] | Uint8Array[];

/** Named arrays in insertion order (for model weights: Keras get_weights() order). */
export interface ArrayRecord {
  readonly kind: 'arrays';
  readonly items: Map<string, AnyNdArray>;
}
export interface MetricRecord {
  readonly kind: 'metrics';
  readonly items: Map<string, MetricValue>;
}
export interface ConfigRecord {
  readonly kind: 'config';
  readonly items: Map<string, ConfigValue>;
}
export type AnyRecord = ArrayRecord | MetricRecord | ConfigRecord;

/** A message's content: records by name, e.g. "arrays" -> ArrayRecord, "config" -> ConfigRecord. */
export type RecordDict = Map<string, AnyRecord>;

/** A message as the party and the aggregator see it: content or an error, never both. */
export interface Message {
  metadata: Metadata;
  content?: RecordDict;
  error?: MessageError;
}

/** A message about to be sent: its id is not known until deflateMessage hashes it. */
export type OutgoingMessage = Omit<Message, 'metadata'> & { metadata: Omit<Metadata, 'messageId'> };

type Entries<V> = Iterable<readonly [string, V]> | { readonly [key: string]: V };

function toMap<V>(entries: Entries<V>): Map<string, V> {
  return new Map(Symbol.iterator in entries ? (entries as Iterable<readonly [string, V]>) : Object.entries(entries));
}

/** `recordDict({ arrays: arrayRecord(...), config: configRecord(...) })`, or from [name, record] pairs. */
export function recordDict(records: Entries<AnyRecord>): RecordDict {
  return toMap(records);
}

export function arrayRecord(arrays: Entries<AnyNdArray>): ArrayRecord {
  return { kind: 'arrays', items: toMap(arrays) };
}

export function metricRecord(values: Entries<MetricValue>): MetricRecord {
  return { kind: 'metrics', items: toMap(values) };
}

export function configRecord(values: Entries<ConfigValue>): ConfigRecord {
  return { kind: 'config', items: toMap(values) };
}

/** Flower's SuperLink is node 1: replies from a party go there. */
export const SUPERLINK_NODE_ID = 1n;

/**
 * Metadata for a reply, as Flower's Message(reply_to=...) builds it: same run, group and type; from the node the
 * instruction went to, back to its sender; created now; living no longer than the instruction it answers.
 */
export function replyMetadata(incoming: Metadata, nowSeconds = Date.now() / 1000): Omit<Metadata, 'messageId'> {
  return {
    runId: incoming.runId,
    srcNodeId: incoming.dstNodeId,
    dstNodeId: incoming.srcNodeId,
    replyToMessageId: incoming.messageId,
    groupId: incoming.groupId,
    ttl: incoming.createdAt + incoming.ttl - nowSeconds,
    messageType: incoming.messageType,
    createdAt: nowSeconds,
  };
}
