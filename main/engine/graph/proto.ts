// Runs in the training thread on the tensorflow backend: the TensorFlow protobuf classes tfjs-node ships (GraphDef, SavedModel, ...), loaded on demand.
import { createRequire } from 'node:module';

/** What the graph step calls on tfjs-node's generated google-protobuf messages (the package has no types for them). */
export interface Message {
  serializeBinary(): Uint8Array;
}
export interface TensorShapeMsg extends Message {
  addDim(dim: DimMsg): void;
}
export interface DimMsg extends Message {
  setSize(size: number): void;
}
export interface TensorMsg extends Message {
  setDtype(dtype: number): void;
  setTensorShape(shape: TensorShapeMsg): void;
  setFloatValList(values: number[]): void;
  setIntValList(values: number[]): void;
}
export interface ListValueMsg extends Message {
  setIList(values: number[]): void;
}
export interface AttrValueMsg extends Message {
  setType(dtype: number): void;
  setI(value: number): void;
  setF(value: number): void;
  setB(value: boolean): void;
  setS(value: Uint8Array): void;
  setShape(value: TensorShapeMsg): void;
  setTensor(value: TensorMsg): void;
  setList(value: ListValueMsg): void;
}
export interface NodeDefMsg extends Message {
  setName(name: string): void;
  setOp(op: string): void;
  addInput(input: string): void;
  getAttrMap(): { set(key: string, value: AttrValueMsg): void };
  getName(): string;
}
export interface GraphDefMsg extends Message {
  addNode(node: NodeDefMsg): void;
  setVersions(versions: VersionDefMsg): void;
  getNodeList(): NodeDefMsg[];
}
export interface VersionDefMsg extends Message {
  setProducer(producer: number): void;
}
export interface MetaInfoDefMsg extends Message {
  addTags(tag: string): void;
}
export interface MetaGraphDefMsg extends Message {
  setMetaInfoDef(info: MetaInfoDefMsg): void;
  setGraphDef(graph: GraphDefMsg): void;
}
export interface SavedModelMsg extends Message {
  setSavedModelSchemaVersion(version: number): void;
  addMetaGraphs(metaGraph: MetaGraphDefMsg): void;
}

/** The classes of tfjs-node's dist/proto/api_pb.js: TensorFlow's own .proto files, generated for google-protobuf. */
export interface Proto {
  GraphDef: new () => GraphDefMsg;
  NodeDef: new () => NodeDefMsg;
  AttrValue: (new () => AttrValueMsg) & { ListValue: new () => ListValueMsg };
  Tensor: new () => TensorMsg;
  TensorShape: (new () => TensorShapeMsg) & { Dim: new () => DimMsg };
  VersionDef: new () => VersionDefMsg;
  MetaGraphDef: (new () => MetaGraphDefMsg) & { MetaInfoDef: new () => MetaInfoDefMsg };
  SavedModel: new () => SavedModelMsg;
}

let loaded: Proto | undefined;

/** tfjs-node is optional: this is reached only once the tensorflow backend runs, so the package is there. */
export function proto(): Proto {
  loaded ??= createRequire(import.meta.url)('@tensorflow/tfjs-node/dist/proto/api_pb.js') as Proto;
  return loaded;
}
