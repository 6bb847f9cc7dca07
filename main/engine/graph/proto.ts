// Runs in the training thread on the tensorflow backend: the TensorFlow protobuf classes tfjs-node ships (GraphDef, SavedModel, ...), loaded on demand.
import { createRequire } from 'node:module';

/** The few google-protobuf message methods the graph step uses; tfjs-node's generated classes have no TypeScript types. */
export interface Message {
  serializeBinary(): Uint8Array;
  [setter: string]: unknown;
}

type MessageClass = new () => Message & Record<string, (...args: never[]) => unknown>;

/** The classes of tfjs-node's dist/proto/api_pb.js: TensorFlow's own .proto files, generated for google-protobuf. */
export interface Proto {
  GraphDef: MessageClass;
  NodeDef: MessageClass;
  AttrValue: MessageClass & { ListValue: MessageClass };
  Tensor: MessageClass;
  TensorShape: MessageClass & { Dim: MessageClass };
  VersionDef: MessageClass;
  MetaGraphDef: MessageClass & { MetaInfoDef: MessageClass };
  SignatureDef: MessageClass;
  TensorInfo: MessageClass;
  SavedModel: MessageClass;
  DataType: Record<string, number>;
}

let loaded: Proto | undefined;

/** tfjs-node is optional: this is reached only once the tensorflow backend runs, so the package is there. */
export function proto(): Proto {
  loaded ??= createRequire(import.meta.url)('@tensorflow/tfjs-node/dist/proto/api_pb.js') as Proto;
  return loaded;
}
