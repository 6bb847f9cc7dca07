// Test helper (plain Node): messages a server sends a party: honest ones deflated by the wire layer, and crafted bad ones.
import type { NamedArray } from '../../../../main/engine/weights.js';
import { formatNpyHeader } from '../../../../main/federation/wire/npy/header.js';
import { encodeNpy } from '../../../../main/federation/wire/npy/npy.js';
import { deflateMessage } from '../../../../main/federation/wire/objects/deflate.js';
import { ObjectSink } from '../../../../main/federation/wire/objects/object-sink.js';
import { pythonJson } from '../../../../main/federation/wire/objects/python-json.js';
import { wireCodecs } from '../../../../main/federation/wire/proto/codecs.js';
import type { Metadata, ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';
import { configRecordBody } from '../../../../main/federation/wire/records/record-bodies.js';
import {
  arrayRecord,
  configRecord,
  recordDict,
  type ConfigValue,
  type RecordDict,
} from '../../../../main/federation/wire/records/model.js';
import type { Instruction } from './pushed-replies.js';

export const RUN_ID = 2n ** 62n + 11n;

export interface InstructionOptions {
  type?: string;
  group?: string;
  ttl?: number;
  runId?: bigint;
}

function metadataFor(
  nodeId: bigint,
  { type = 'train', group = '1', ttl = 3600, runId = RUN_ID }: InstructionOptions,
): Omit<Metadata, 'messageId'> {
  return {
    runId,
    srcNodeId: 1n,
    dstNodeId: nodeId,
    replyToMessageId: '',
    groupId: group,
    ttl,
    messageType: type,
    createdAt: Date.now() / 1000,
  };
}

/** A message as Flower's SuperLink stores it: PullMessages hands out its metadata (with the id) and object tree. */
export function instruction(nodeId: bigint, content: RecordDict, options: InstructionOptions = {}): Instruction {
  const deflated = deflateMessage({ metadata: metadataFor(nodeId, options), content });
  return { messageId: deflated.messageId, proto: { metadata: deflated.message.metadata }, tree: deflated.tree, objects: deflated.objects };
}

/** What Flower's Message-API FedAvg sends: {"arrays": ArrayRecord, "config": ConfigRecord with "server-round"}. */
export function fedAvgContent(
  weights: readonly NamedArray[],
  config: Record<string, ConfigValue> = {},
  names?: readonly string[],
): RecordDict {
  const arrays = arrayRecord(
    weights.map((weight, index) => [
      names?.[index] ?? weight.name,
      { dtype: 'float32' as const, shape: [...weight.shape], data: weight.data.slice() },
    ]),
  );
  return recordDict([
    ['arrays', arrays],
    ['config', configRecord({ 'server-round': 1n, ...config })],
  ]);
}

/**
 * What Flower's compat layer sends for a legacy strategy's fit/evaluate (parameters_to_arrayrecord): "<prefix>.parameters"
 * with arrays "0", "1", ... that record neither dtype nor shape (dtype "", shape []: the .npy header says both), and "<prefix>.config".
 */
export function legacyInstruction(
  nodeId: bigint,
  prefix: 'fitins' | 'evaluateins',
  weights: readonly NamedArray[],
  config: Record<string, ConfigValue> = {},
  options: InstructionOptions = {},
): Instruction {
  const sink = new ObjectSink();
  const arrays = weights.map((weight) =>
    arrayObject(sink, encodeNpy({ dtype: 'float32', shape: [...weight.shape], data: weight.data }), { dtype: '', shape: [] }),
  );
  const parameters = sink.add(
    'ArrayRecord',
    arrays,
    utf8(pythonJson(new Map(arrays.map((array, index) => [String(index), array.objectId])))),
  );
  const configTree = sink.add('ConfigRecord', [], configRecordBody(configRecord(config)));
  return messageOver(
    nodeId,
    sink,
    [
      [`${prefix}.parameters`, parameters],
      [`${prefix}.config`, configTree],
    ],
    options,
  );
}

/** A train message whose one array's .npy file is `npy`, as written (a pickle, a lying header, ...). */
export function instructionWithNpy(nodeId: bigint, npy: Uint8Array, declared: { dtype: string; shape: number[] }): Instruction {
  const sink = new ObjectSink();
  const array = arrayObject(sink, npy, declared);
  const arrays = sink.add('ArrayRecord', [array], utf8(pythonJson({ 'dense/kernel': array.objectId })));
  const config = sink.add('ConfigRecord', [], configRecordBody(configRecord({ 'server-round': 1n })));
  return messageOver(
    nodeId,
    sink,
    [
      ['arrays', arrays],
      ['config', config],
    ],
    {},
  );
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** One Array object over `npy` in a single chunk, declaring whatever dtype and shape it is given. */
function arrayObject(sink: ObjectSink, npy: Uint8Array, declared: { dtype: string; shape: number[] }): ObjectTree {
  const chunk = sink.add('ArrayChunk', [], npy);
  return sink.add('Array', [chunk], utf8(pythonJson({ ...declared, stype: 'numpy.ndarray', arraychunk_ids: [0] })));
}

/** The Message and RecordDict objects over records already in `sink`, as the SuperLink hands them out. */
function messageOver(nodeId: bigint, sink: ObjectSink, records: [string, ObjectTree][], options: InstructionOptions): Instruction {
  const content = sink.add(
    'RecordDict',
    records.map(([, tree]) => tree),
    utf8(pythonJson(new Map(records.map(([name, tree]) => [name, tree.objectId])))),
  );
  const metadata = metadataFor(nodeId, options);
  const message: ObjectTree = sink.add('Message', [content], wireCodecs.Message.encode({ metadata: { ...metadata, messageId: '' } }));
  return {
    messageId: message.objectId,
    proto: { metadata: { ...metadata, messageId: message.objectId } },
    tree: message,
    objects: sink.objects,
  };
}

/** A .npy header over `data`: descr and shape as given, however wrong. */
export function npyFile(descr: string, shape: number[], data = new Uint8Array(0)): Uint8Array {
  const header = formatNpyHeader(descr, shape);
  const file = new Uint8Array(header.length + data.length);
  file.set(header);
  file.set(data, header.length);
  return file;
}

/** The same message with one byte of its largest object flipped: the object no longer hashes to its id. */
export function tampered(original: Instruction): Instruction {
  const [id, bytes] = [...original.objects].sort((a, b) => b[1].length - a[1].length)[0]!;
  const copy = bytes.slice();
  copy[copy.length - 1]! ^= 0xff;
  return { ...original, objects: new Map([...original.objects, [id, copy]]) };
}
