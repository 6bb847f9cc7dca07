// Runs anywhere in Node: codecs for the messages and records that travel inside Fleet calls and objects.
import { codec } from './codec.js';
import type {
  ArrayProto,
  ArrayRecordProto,
  ConfigRecordProto,
  MessageError,
  MessageProto,
  Metadata,
  MetricRecordProto,
  ObjectTree,
  RecordDictProto,
} from './record-types.js';

export const wireCodecs = {
  Message: codec<MessageProto>('Message'),
  Metadata: codec<Metadata>('Metadata'),
  Error: codec<MessageError>('Error'),
  ObjectTree: codec<ObjectTree>('ObjectTree'),
  RecordDict: codec<RecordDictProto>('RecordDict'),
  ArrayRecord: codec<ArrayRecordProto>('ArrayRecord'),
  ConfigRecord: codec<ConfigRecordProto>('ConfigRecord'),
  MetricRecord: codec<MetricRecordProto>('MetricRecord'),
  Array: codec<ArrayProto>('Array'),
};
