// Runs anywhere in Node: a pulled message (its proto, object tree and objects) back into a Message with its RecordDict.
import { WireError, withContext } from '../errors.js';
import { errorProblem, metadataProblem } from '../limits.js';
import type { AnyNdArray } from '../npy/dtypes.js';
import { DEFAULT_MAX_BYTES } from '../npy/npy.js';
import { wireCodecs } from '../proto/codecs.js';
import type { MessageProto, ObjectTree } from '../proto/record-types.js';
import { arrayRecord, type AnyRecord, type Message, type RecordDict } from '../records/model.js';
import { configRecordFromBody, metricRecordFromBody } from '../records/record-bodies.js';
import { inflateArray } from './array-objects.js';
import { fetchTree, type FetchObject } from './fetch-tree.js';
import type { ParsedObject } from './object-bytes.js';
import { parseStringEntries } from './python-json.js';

export interface InflateOptions {
  /** Ceiling on the bytes fetched, and separately on the array bytes assembled from chunks (default 1 GiB). */
  maxBytes?: number;
  /** Ceiling on the objects in the tree (default 65,536: 1 GiB in chunks of 16 KiB). */
  maxObjects?: number;
  /** Objects fetched at once (default 4). */
  concurrency?: number;
  /** One object that is not array data (default: the wire layer's 1 MiB). */
  maxStructureObjectBytes?: number;
  /** One config value (default: the wire layer's 64 KiB). */
  maxSettingBytes?: number;
}

const DEFAULT_MAX_OBJECTS = 65_536;

/**
 * Fetches, verifies and decodes a message pulled with PullMessages. Every object's bytes must hash to its id, the
 * tree must match the headers, and arrays are decoded eagerly (npy checks included), so a message that comes back
 * is whole and checked; anything else is a WireError naming the object, record key or array at fault.
 * The metadata is the Message object's own (hash-verified), with messageId set to the tree's root id.
 */
export async function inflateMessage(
  message: MessageProto,
  tree: ObjectTree,
  fetch: FetchObject,
  options: InflateOptions = {},
): Promise<Message> {
  const {
    maxBytes = DEFAULT_MAX_BYTES,
    maxObjects = DEFAULT_MAX_OBJECTS,
    concurrency = 4,
    maxStructureObjectBytes,
    maxSettingBytes,
  } = options;
  const claimed = message.metadata?.messageId;
  if (claimed !== tree.objectId)
    throw new WireError(`message ${claimed ?? '(no metadata)'}: its object tree is rooted at ${tree.objectId}`);
  const objects = await fetchTree(tree, fetch, { maxBytes, maxObjects, maxStructureObjectBytes }, concurrency);
  return new Inflater(objects, maxBytes, maxSettingBytes).message(objects.get(tree.objectId)!);
}

class Inflater {
  private readonly budget: { bytes: number };
  /** An Array listed under several names (or records) is decoded once. */
  private readonly arrays = new Map<string, AnyNdArray>();

  constructor(
    private readonly objects: ReadonlyMap<string, ParsedObject>,
    maxBytes: number,
    private readonly maxSettingBytes?: number,
  ) {
    this.budget = { bytes: maxBytes };
  }

  message(object: ParsedObject): Message {
    const what = `message ${object.id}`;
    expectType(object, 'Message', what);
    const proto = withContext(what, () => wireCodecs.Message.decode(object.body));
    if (!proto.metadata) throw new WireError(`${what}: no metadata`);
    const problem = metadataProblem(proto.metadata, { ownId: 'ignored' }) ?? (proto.error && errorProblem(proto.error));
    if (problem) throw new WireError(`${what}: ${problem}`);
    if (proto.content) throw new WireError(`${what}: content inside the Message object (it belongs in a RecordDict child)`);
    const metadata = { ...proto.metadata, messageId: object.id };
    if (proto.error) {
      if (object.childIds.length) throw new WireError(`${what}: carries an error and children`);
      return { metadata, error: proto.error };
    }
    if (object.childIds.length !== 1) throw new WireError(`${what}: has ${object.childIds.length} children; one RecordDict was expected`);
    return { metadata, content: this.recordDict(this.objects.get(object.childIds[0]!)!) };
  }

  private recordDict(object: ParsedObject): RecordDict {
    const what = `message content (object ${object.id})`;
    expectType(object, 'RecordDict', what);
    return new Map(this.namedChildren(object, what).map(([name, child]) => [name, this.record(child, name)]));
  }

  private record(object: ParsedObject, name: string): AnyRecord {
    const what = `record ${JSON.stringify(name)} (object ${object.id})`;
    switch (object.type) {
      case 'ArrayRecord':
        return arrayRecord(
          this.namedChildren(object, what).map(([arrayName, child]) => [
            arrayName,
            this.array(child, `array ${JSON.stringify(arrayName)} of ${what}`),
          ]),
        );
      case 'MetricRecord':
        return metricRecordFromBody(object.body, what);
      case 'ConfigRecord':
        return configRecordFromBody(object.body, what, this.maxSettingBytes);
      default:
        throw new WireError(`${what}: type ${object.type} is not a record type`);
    }
  }

  private array(object: ParsedObject, what: string): AnyNdArray {
    expectType(object, 'Array', what);
    let array = this.arrays.get(object.id);
    if (!array) this.arrays.set(object.id, (array = inflateArray(object, this.objects, this.budget, what)));
    return array;
  }

  /** The body's {"name": child id} pairs in order, each naming one of the header's children, every child named. */
  private namedChildren(object: ParsedObject, what: string): [string, ParsedObject][] {
    const entries = parseStringEntries(new TextDecoder().decode(object.body), what);
    const stray = entries.find(([, id]) => !object.childIds.includes(id));
    if (stray) throw new WireError(`${what}: ${JSON.stringify(stray[0])} names ${stray[1]}, which is not one of its children`);
    if (new Set(entries.map(([, id]) => id)).size !== object.childIds.length)
      throw new WireError(`${what}: has children its body does not name`);
    return entries.map(([name, id]) => [name, this.objects.get(id)!]);
  }
}

function expectType(object: ParsedObject, type: ParsedObject['type'], what: string): void {
  if (object.type !== type) throw new WireError(`${what}: object ${object.id} has type ${object.type}, expected ${type}`);
}
