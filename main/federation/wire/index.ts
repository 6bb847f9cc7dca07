// Runs anywhere in Node: the wire layer's public API, shared by the party and the reference aggregator.
//
// Receiving: PullMessages -> inflateMessage(messagesList[0], messageObjectTrees[0], id => PullObject…) -> Message.
// Sending:   deflateMessage({ metadata: replyMetadata(incoming), content }) -> PushMessages({ messagesList: [message],
//            messageObjectTrees: [tree] }) -> PushObject each id in objectsToPush with objects.get(id).
// Every call's bytes: fleetRpcs.<Rpc>.request / .response encode and decode. Anything malformed: WireError.
export { WireError } from './errors.js';

export { fleetRpcs, type FleetRpcCodecs, type FleetRpcName, type FleetRequest, type FleetResponse } from './proto/fleet-rpcs.js';
export { wireCodecs } from './proto/codecs.js';
export type { Codec, WireInput } from './proto/codec.js';
export type * from './proto/fleet-types.js';
export type * from './proto/record-types.js';

export { encodeNpy, decodeNpy, DEFAULT_MAX_BYTES, type DecodeNpyOptions } from './npy/npy.js';
export type { AnyNdArray, Dtype, DtypeArrays, NdArray } from './npy/dtypes.js';

export { deflateMessage, type DeflatedMessage, type DeflateOptions } from './objects/deflate.js';
export { inflateMessage, type InflateOptions } from './objects/inflate.js';
export type { FetchObject } from './objects/fetch-tree.js';
export { objectId, parseObject, OBJECT_TYPES, type ObjectType, type ParsedObject } from './objects/object-bytes.js';
export { MAX_CHUNK_BYTES } from './objects/array-objects.js';

export {
  recordDict,
  arrayRecord,
  metricRecord,
  configRecord,
  replyMetadata,
  SUPERLINK_NODE_ID,
  type AnyRecord,
  type ArrayRecord,
  type ConfigRecord,
  type ConfigValue,
  type Message,
  type MetricRecord,
  type MetricValue,
  type OutgoingMessage,
  type RecordDict,
} from './records/model.js';
export { arrayRecordFromWeights, weightsFromArrayRecord } from './records/named-arrays.js';
