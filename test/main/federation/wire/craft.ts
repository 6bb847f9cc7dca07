// Tests (Node): builds messages object by object, including ones no honest sender would build, to feed inflateMessage.
import { wireCodecs, type MessageProto, type ObjectTree } from '../../../../main/federation/wire/index.js';
import { ObjectSink } from '../../../../main/federation/wire/objects/object-sink.js';
import { scenarioMetadata } from './flower-scenario.js';

export interface Crafted {
  proto: MessageProto;
  tree: ObjectTree;
  objects: Map<string, Uint8Array>;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Objects made with `sink`, under a Message whose body is `messageBody` (default: the scenario metadata). */
export function craftMessage(children: (sink: ObjectSink) => ObjectTree[], messageBody?: Uint8Array): Crafted {
  const sink = new ObjectSink();
  const body = messageBody ?? wireCodecs.Message.encode({ metadata: { ...scenarioMetadata, messageId: '' } });
  const tree = sink.add('Message', children(sink), body);
  return { proto: { metadata: { ...scenarioMetadata, messageId: tree.objectId } }, tree, objects: sink.objects };
}

/** A RecordDict or ArrayRecord: {"name": child id} over the given children. */
export function named(sink: ObjectSink, type: 'RecordDict' | 'ArrayRecord', children: [string, ObjectTree][]): ObjectTree {
  const body = JSON.stringify(Object.fromEntries(children.map(([name, tree]) => [name, tree.objectId])));
  return sink.add(
    type,
    children.map(([, tree]) => tree),
    utf8(body),
  );
}

/** An Array with any body over the given chunk bytes. */
export function rawArray(sink: ObjectSink, body: object, chunks: Uint8Array[]): ObjectTree {
  return sink.add(
    'Array',
    chunks.map((chunk) => sink.add('ArrayChunk', [], chunk)),
    utf8(JSON.stringify(body)),
  );
}

/** A one-array message: RecordDict {"arrays": ArrayRecord {"w": <array>}}. */
export function craftArrayMessage(array: (sink: ObjectSink) => ObjectTree): Crafted {
  return craftMessage((sink) => [named(sink, 'RecordDict', [['arrays', named(sink, 'ArrayRecord', [['w', array(sink)]])]])]);
}

/** A .npy file with any header dict and data bytes (v1, padded as numpy pads). */
export function npyFile(dict: string, data = new Uint8Array(0)): Uint8Array {
  const padded = dict.padEnd(Math.ceil((11 + dict.length) / 64) * 64 - 11, ' ') + '\n';
  const header = new Uint8Array([0x93, ...utf8('NUMPY'), 1, 0, padded.length & 255, padded.length >> 8, ...utf8(padded)]);
  return new Uint8Array([...header, ...data]);
}

export function fetchFrom(objects: ReadonlyMap<string, Uint8Array>): (id: string) => Uint8Array {
  return (id) => {
    const bytes = objects.get(id);
    if (!bytes) throw new Error(`test server has no object ${id}`);
    return bytes;
  };
}
