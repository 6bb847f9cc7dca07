// Runs anywhere in Node: a Message to send, as the objects, tree and PushMessages entry Flower expects.
import { WireError } from '../errors.js';
import { wireCodecs } from '../proto/codecs.js';
import type { MessageProto, ObjectTree } from '../proto/record-types.js';
import type { AnyRecord, OutgoingMessage, RecordDict } from '../records/model.js';
import { configRecordBody, metricRecordBody } from '../records/record-bodies.js';
import { MAX_CHUNK_BYTES, deflateArray } from './array-objects.js';
import { ObjectSink } from './object-sink.js';
import { pythonJson } from './python-json.js';

export interface DeflatedMessage {
  /** The Message object's id: what PushMessages and the reply's receiver know it by. */
  messageId: string;
  /** For PushMessagesRequest.messagesList: metadata with messageId set, content an empty RecordDict (or the error). */
  message: MessageProto;
  /** For PushMessagesRequest.messageObjectTrees. */
  tree: ObjectTree;
  /** Every object's bytes by id, each id once, children before parents: push those PushMessages asks for. */
  objects: Map<string, Uint8Array>;
}

export interface DeflateOptions {
  /** Bytes per ArrayChunk (default and Flower's maximum: 5 MiB). */
  chunkSize?: number;
}

/**
 * Builds the objects of a message exactly as Flower 1.29 does (so ids match its own byte for byte): the Message
 * object (metadata without message_id, and the error if any) over one RecordDict over its records.
 */
export function deflateMessage(message: OutgoingMessage, options: DeflateOptions = {}): DeflatedMessage {
  const { chunkSize = MAX_CHUNK_BYTES } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new WireError(`chunkSize ${chunkSize} is not a positive integer`);
  if ((message.content === undefined) === (message.error === undefined))
    throw new WireError('a message carries either content or an error, exactly one');
  const sink = new ObjectSink();
  const children = message.content ? [deflateRecordDict(sink, message.content, chunkSize)] : [];
  const body = wireCodecs.Message.encode({ metadata: { ...message.metadata, messageId: '' }, error: message.error });
  const tree = sink.add('Message', children, body);
  const metadata = { ...message.metadata, messageId: tree.objectId };
  return {
    messageId: tree.objectId,
    message: message.error ? { metadata, error: message.error } : { metadata, content: { items: [] } },
    tree,
    objects: sink.objects,
  };
}

function deflateRecordDict(sink: ObjectSink, content: RecordDict, chunkSize: number): ObjectTree {
  const records = [...content].map(([name, record]) => [name, deflateRecord(sink, record, name, chunkSize)] as const);
  return sink.add(
    'RecordDict',
    records.map(([, tree]) => tree),
    referencesBody(records),
  );
}

function deflateRecord(sink: ObjectSink, record: AnyRecord, name: string, chunkSize: number): ObjectTree {
  switch (record.kind) {
    case 'arrays': {
      const arrays = [...record.items].map(
        ([arrayName, array]) =>
          [
            arrayName,
            deflateArray(sink, array, `array ${JSON.stringify(arrayName)} of record ${JSON.stringify(name)}`, chunkSize),
          ] as const,
      );
      return sink.add(
        'ArrayRecord',
        arrays.map(([, tree]) => tree),
        referencesBody(arrays),
      );
    }
    case 'metrics':
      return sink.add('MetricRecord', [], metricRecordBody(record));
    case 'config':
      return sink.add('ConfigRecord', [], configRecordBody(record));
    default:
      throw new WireError(
        `record ${JSON.stringify(name)}: kind ${JSON.stringify((record as { kind: unknown }).kind)} is not arrays, metrics or config`,
      );
  }
}

/** RecordDict and ArrayRecord bodies: json.dumps({name: child_id, ...}) in insertion order. */
function referencesBody(children: readonly (readonly [string, ObjectTree])[]): Uint8Array {
  return new TextEncoder().encode(pythonJson(new Map(children.map(([name, tree]) => [name, tree.objectId]))));
}
