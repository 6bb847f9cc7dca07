// Runs anywhere: TypeScript shapes of the protobuf messages in RECORDS_SCHEMA, as the codecs decode them.
//
// Conventions (all codecs): field names are camelCase; uint64/sint64 are bigint (node and run ids exceed 2^53);
// absent scalars decode to their proto3 default; absent sub-messages are undefined; a oneof is exactly one key.

export interface DoubleList {
  vals: number[];
}
export interface SintList {
  vals: bigint[];
}
export interface UintList {
  vals: bigint[];
}
export interface BoolList {
  vals: boolean[];
}
export interface StringList {
  vals: string[];
}
export interface BytesList {
  vals: Uint8Array[];
}

/** flwr.proto.Array: `data` holds a complete .npy file when stype is "numpy.ndarray". */
export interface ArrayProto {
  dtype: string;
  shape: number[];
  stype: string;
  data: Uint8Array;
}

export type MetricRecordValueProto =
  | { double: number }
  | { sint64: bigint }
  | { uint64: bigint }
  | { doubleList: DoubleList }
  | { sintList: SintList }
  | { uintList: UintList };

export type ConfigRecordValueProto =
  | MetricRecordValueProto
  | { bool: boolean }
  | { string: string }
  | { bytes: Uint8Array }
  | { boolList: BoolList }
  | { stringList: StringList }
  | { bytesList: BytesList };

export interface ArrayRecordProto {
  items: { key: string; value?: ArrayProto }[];
}
export interface MetricRecordProto {
  items: { key: string; value?: MetricRecordValueProto }[];
}
export interface ConfigRecordProto {
  items: { key: string; value?: ConfigRecordValueProto }[];
}

export type RecordDictItemProto = { key: string } & (
  { arrayRecord: ArrayRecordProto } | { metricRecord: MetricRecordProto } | { configRecord: ConfigRecordProto }
);
export interface RecordDictProto {
  items: RecordDictItemProto[];
}

/** flwr.proto.Error: why a message carries no content. */
export interface MessageError {
  code: bigint;
  reason: string;
}

export interface Metadata {
  runId: bigint;
  /** The object id of the Message (empty inside the Message object's own bytes). */
  messageId: string;
  srcNodeId: bigint;
  dstNodeId: bigint;
  replyToMessageId: string;
  /** Flower's FedAvg puts the round number here, as a string. */
  groupId: string;
  /** Seconds the message lives after createdAt. */
  ttl: number;
  /** "train", "evaluate", "query", … */
  messageType: string;
  /** Unix time in seconds (a float). */
  createdAt: number;
}

/** flwr.proto.Message as it travels in Pull/PushMessages: the content itself travels as objects. */
export interface MessageProto {
  metadata?: Metadata;
  content?: RecordDictProto;
  error?: MessageError;
}

export interface ObjectTree {
  objectId: string;
  children: ObjectTree[];
}

/** flwr.proto.Scalar (transport.proto), the values of Run.overrideConfig. */
export type Scalar =
  { double: number } | { uint64: bigint } | { sint64: bigint } | { bool: boolean } | { string: string } | { bytes: Uint8Array };
